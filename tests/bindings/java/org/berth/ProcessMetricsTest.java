package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * {@link ProcessMetrics}: every engine of the process in one text, and the /healthz answer
 * (C API 1.8). The Python twin is tests/bindings/python/test_process_metrics.py.
 */
public class ProcessMetricsTest {
  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  private static Pattern engineEntry(String node, boolean leader) {
    return Pattern.compile("\\{\"degraded\":false,\"epoch\":\\d+,\"leader\":" + leader + ",\"node\":\""
        + Pattern.quote(node) + "\",\"version\":\\d+}");
  }

  private static void awaitLeader(Engine engine) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!engine.status().isLeader()) {
      assertTrue("no leader within 30 s", System.nanoTime() < deadline);
      Thread.sleep(2);
    }
  }

  @Test
  public void textHasEachFamilyOnceAndBothEngines() throws Exception {
    String cluster = EngineTest.freshCluster("process-metrics");
    String a = cluster + "-a";
    String b = cluster + "-b";
    try (Engine ea = Engine.open(EngineTest.settings(cluster, a));
         Engine eb = Engine.open(EngineTest.settings(cluster, b))) {
      awaitLeader(ea);
      String text = ProcessMetrics.text();
      assertTrue(text, text.contains("berth_is_leader{node=\"" + a + "\"} 1\n"));
      assertTrue(text, text.contains("berth_is_leader{node=\"" + b + "\"} 0\n"));
      assertEquals(text, 1, count(text, "# HELP berth_snapshot_version "));
      assertEquals(text, 1, count(text, "berth_build_info{"));

      ProcessMetrics.Health health = ProcessMetrics.health();
      // The body is compact JSON with its keys sorted (nlohmann's dump()).
      assertTrue(health.body(), engineEntry(a, true).matcher(health.body()).find());
      assertTrue(health.body(), engineEntry(b, false).matcher(health.body()).find());
      if (!health.body().contains("\"degraded\":true")) {  // engines of other tests may be open
        assertEquals(health.body(), 200, health.statusCode());
      }
    }
    String after = ProcessMetrics.text();
    assertFalse("a closed engine is still exported", after.contains(a) || after.contains(b));
  }

  /** Run in a JVM of its own by {@link #noEngineIs503}: prints the status code, then the body. */
  public static final class NoEngine {
    public static void main(String[] args) {
      ProcessMetrics.Health health = ProcessMetrics.health();
      System.out.println(health.statusCode());
      System.out.println(health.body());
    }
  }

  @Test
  public void noEngineIs503() throws Exception {
    // Engines of other tests may be open in this JVM: a fresh one has none.
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    String jni = System.getProperty("berth.jni.library");
    if (jni != null) {
      command.add("-Dberth.jni.library=" + jni);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(NoEngine.class.getName());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("the fresh JVM did not end within 120 s", process.waitFor(120, TimeUnit.SECONDS));
    assertEquals(out, 0, process.exitValue());
    String[] lines = out.split("\n");
    assertEquals(out, "503", lines[0]);
    assertTrue(out, lines[1].contains("\"status\":\"no engine\"") && lines[1].contains("\"engines\":[]"));
  }
}
