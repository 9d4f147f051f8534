package org.berth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java half of the cross-language agreement tests (test_berth.py on a `file` backend,
 * test_agreement_zookeeper.py on a real ZooKeeper): {@code AgreementMain VERSION key=value...}
 * opens a non-campaigning engine with those settings (e.g. backend.name=file backend.dir=...),
 * waits for VERSION, then prints the version it serves, then the owner of every stream read from
 * stdin (UTF-8, one per line).
 */
public final class AgreementMain {
  private AgreementMain() {}

  public static void main(String[] args) throws Exception {
    long version = Long.parseLong(args[0]);
    List<String> streams = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        streams.add(line);
      }
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Options options = new Options();
    for (int i = 1; i < args.length; ++i) {
      int eq = args[i].indexOf('=');
      options.set(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    options.set("engine.node_id", "java-agreement").set("engine.campaign", "false");
    try (options; Engine engine = new Engine(options)) {
      engine.waitVersion(version, 10_000);
      String[] batch = engine.lookupBatch(streams.toArray(new String[0]));
      out.println(engine.status().version());
      for (int i = 0; i < batch.length; ++i) {
        String single = engine.lookup(streams.get(i));
        if (!single.equals(batch[i])) {
          System.err.println("batch and single lookups differ for " + streams.get(i));
          System.exit(2);
        }
        out.println(single);
      }
    }
  }
}
