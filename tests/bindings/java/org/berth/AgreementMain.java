package org.berth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java half of the cross-language agreement test (test_berth.py): joins a `file` backend
 * directory as a non-campaigning node, waits for version {@code args[1]}, then prints
 * "version", then the owner of every stream read from stdin (UTF-8, one per line).
 */
public final class AgreementMain {
  private AgreementMain() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    long version = Long.parseLong(args[1]);
    List<String> streams = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        streams.add(line);
      }
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (Options options = new Options()
            .set("backend.name", "file")
            .set("backend.dir", dir)
            .set("engine.node_id", "java-agreement")
            .set("engine.campaign", "false");
        Engine engine = new Engine(options)) {
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
