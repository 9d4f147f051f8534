package org.berth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Java host of one server for the cross-language ownership tests (test_raw_stream_ids.py):
 * {@code OwnershipHostMain SERVER key=value...} opens a non-campaigning engine with those
 * settings, joins SERVER and runs an {@link OwnershipRunner} on its feed. It prints, one line
 * each, with every stream id as the hex of the bytes Java sends for it:
 * {@code start HEX TOKEN HOLDS} (HOLDS: the token {@link Ownership#token} gives for the id as
 * delivered, -1 if none), {@code stop HEX TOKEN}, {@code failed HEX TOKEN ERROR}. The stdin line
 * {@code drain} drains SERVER; at the end of stdin it closes everything and exits, with status 1
 * if a callback failed.
 */
public final class OwnershipHostMain {
  private OwnershipHostMain() {}

  static String hex(String stream) {
    ByteBuffer b = ByteBuffer.allocate(3 * stream.length());
    return HexFormat.of().formatHex(b.array(), 0, Utf8.encode(stream, b, 0));
  }

  public static void main(String[] args) throws Exception {
    String server = args[0];
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Options options = new Options();
    for (int i = 1; i < args.length; ++i) {
      int eq = args[i].indexOf('=');
      options.set(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    options.set("engine.node_id", "java-" + server).set("engine.campaign", "false");
    boolean[] failed = new boolean[1];
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (options; Engine engine = new Engine(options)) {
      engine.join(server);
      try (Ownership feed = engine.ownership(server);
          OwnershipRunner runner = OwnershipRunner.start(feed, pool, new OwnershipRunner.Handler() {
            @Override
            public void start(String stream, long token) {
              out.println("start " + hex(stream) + " " + token + " " + feed.token(stream));
            }

            @Override
            public void stop(String stream, long token) {
              out.println("stop " + hex(stream) + " " + token);
            }

            @Override
            public void failed(String stream, long token, Throwable error) {
              failed[0] = true;
              out.println("failed " + hex(stream) + " " + token + " " + error);
            }
          })) {
        out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
          if (line.equals("drain")) {
            engine.drain(server, true);
          }
        }
      }
    } finally {
      pool.shutdown();
    }
    System.exit(failed[0] ? 1 : 0);
  }
}
