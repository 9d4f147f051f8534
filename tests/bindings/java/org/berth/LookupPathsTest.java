package org.berth;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Test;

/**
 * The two ways ids reach the engine from Java give the same bytes: ASCII ids go through a
 * thread's direct buffer, other single lookups as Strings (UTF-8 in JNI), batches are encoded in
 * Java (Utf8). Lone surrogates, supplementary characters, NUL, long ids and several threads.
 */
public class LookupPathsTest {
  private static final String[] ODD = {
    "plain", "nul\u0000inside", "lone-high-\uD800", "lone-low-\uDC00x", "escaped-\uDCFF\uDC80", "pair-\uD83D\uDE00", "é-ü", "流",
    "x".repeat(5000), "y".repeat(300) + "é",
  };

  private static Engine published(String tag) throws InterruptedException {
    Engine engine = Engine.open(EngineTest.settings(EngineTest.freshCluster(tag), "paths"));
    for (int i = 0; i < 40; ++i) {
      engine.join("srv-" + i);
    }
    for (String id : ODD) {
      engine.addStream(id);
    }
    engine.flush();
    assertTrue(engine.waitLeader(5000));
    engine.refresh();
    engine.waitVersion(1, 5000);
    return engine;
  }

  @Test
  public void batchAndSingleLookupsAgreeOnEveryKindOfId() throws Exception {
    try (Engine engine = published("odd")) {
      assertEquals(ODD.length, engine.status().streamCount());
      String[] singles = new String[ODD.length];
      for (int i = 0; i < ODD.length; ++i) {
        singles[i] = engine.lookup(ODD[i]);
      }
      assertArrayEquals(singles, engine.lookupBatch(ODD));
      // A lone surrogate is U+FFFD on both paths: the same id as the one spelled with U+FFFD.
      assertEquals(engine.lookup("lone-high-\uFFFD"), engine.lookup("lone-high-\uD800"));
      assertEquals(engine.lookupBatch("lone-high-\uFFFD")[0], engine.lookupBatch("lone-high-\uD800")[0]);
    }
  }

  @Test
  public void threadsLookUpConcurrentlyWithTheirOwnBuffers() throws Exception {
    try (Engine engine = published("threads")) {
      String[] names = new String[20_000];
      for (int i = 0; i < names.length; ++i) {
        names[i] = (i % 7 == 0 ? "é-" : "n-") + i;
      }
      String[] expected = engine.lookupBatch(names);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 4; ++t) {
          final int offset = t;
          results.add(pool.submit(() -> {
            for (int round = 0; round < 3; ++round) {
              for (int i = offset; i < names.length; i += 4) {
                if (!engine.lookup(names[i]).equals(expected[i])) {
                  return false;
                }
              }
              if (!java.util.Arrays.equals(engine.lookupBatch(names), expected)) {
                return false;
              }
            }
            return true;
          }));
        }
        for (Future<Boolean> r : results) {
          assertTrue(r.get());
        }
      } finally {
        pool.shutdown();
      }
    }
  }
}
