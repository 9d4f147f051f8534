package org.berth;

import java.util.Arrays;
import java.util.Map;

/**
 * Lookups per second through the Java bindings, one thread (medians of 5 runs of 1 s):
 * java -Dberth.jni.library=<build>/lib/libberthjni.so -cp <build>/bindings/berth.jar:<test classes>
 *   org.berth.BenchMain
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    try (Engine engine = Engine.open(Map.of("backend.cluster", "bench", "engine.node_id", "bench",
        "engine.refresh_on_change", "false"))) {
      for (int i = 0; i < 10; ++i) {
        engine.join("srv-" + i);
      }
      String[] names = new String[10000];
      for (int i = 0; i < names.length; ++i) {
        names[i] = "stream-" + i;
        engine.addStream(names[i]);
      }
      engine.flush();
      if (!engine.waitLeader(10_000)) {
        throw new IllegalStateException("no leadership");
      }
      engine.refresh();
      engine.waitVersion(1, 10_000);
      double[] single = new double[5];
      double[] batch = new double[5];
      for (int r = 0; r < 5; ++r) {
        long n = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 1_000_000_000L) {
          for (String name : names) {
            engine.lookup(name);
          }
          n += names.length;
        }
        single[r] = n / ((System.nanoTime() - t0) / 1e9);
        n = 0;
        t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 1_000_000_000L) {
          engine.lookupBatch(names);
          n += names.length;
        }
        batch[r] = n / ((System.nanoTime() - t0) / 1e9);
      }
      Arrays.sort(single);
      Arrays.sort(batch);
      System.out.printf("java lookups/s (10 servers, 10k known streams): single %.2f M, batch %.2f M%n",
          single[2] / 1e6, batch[2] / 1e6);
    }
  }
}
