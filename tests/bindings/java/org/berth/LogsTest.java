package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The library's log lines in SLF4J (org.berth.Logs). The run's class path has slf4j-api and
 * Debian's slf4j-jdk14 binding, so the lines SLF4J receives are caught here as java.util.logging
 * records (the Python twin is tests/bindings/python/test_logs.py).
 */
public class LogsTest {
  private final List<LogRecord> records = new ArrayList<>();
  private final Handler catcher = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (records) {
        records.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final Logger berth = Logger.getLogger("berth");
  private Logs.Level before;

  @Before
  public void catchBerthLines() {
    before = Logs.level();
    berth.setLevel(Level.ALL);
    berth.addHandler(catcher);
  }

  @After
  public void restore() {
    berth.removeHandler(catcher);
    Logs.setLevel(before);
  }

  private List<LogRecord> waitFor(Predicate<List<LogRecord>> found, long millis) throws InterruptedException {
    long until = System.nanoTime() + millis * 1_000_000L;
    while (true) {
      List<LogRecord> seen;
      synchronized (records) {
        seen = new ArrayList<>(records);
      }
      if (found.test(seen) || System.nanoTime() > until) {
        return seen;
      }
      Thread.sleep(20);
    }
  }

  private static Predicate<List<LogRecord>> leading(String node) {
    return rs -> rs.stream().anyMatch(r -> r.getMessage().contains("berth node " + node + ": leading at epoch"));
  }

  @Test
  public void anEnginesInfoLineArrivesInSlf4jAtInfoAndLinesBelowTheLevelNever() throws Exception {
    assertEquals("the bridge found SLF4J on the class path", "slf4j", Logs.sink());
    Logs.setLevel(Logs.Level.WARN);
    assertEquals(Logs.Level.WARN, Logs.level());
    String quiet = "quiet-" + ProcessHandle.current().pid();
    try (Engine e = Engine.open(EngineTest.settings(EngineTest.freshCluster("logs"), quiet))) {
      assertTrue(e.waitLeader(20000));
    }
    Logs.setLevel(Logs.Level.INFO);
    String loud = "loud-" + ProcessHandle.current().pid();
    List<LogRecord> seen;
    try (Engine e = Engine.open(EngineTest.settings(EngineTest.freshCluster("logs"), loud))) {
      seen = waitFor(leading(loud), 20000);
    }
    List<LogRecord> line = seen.stream().filter(r -> leading(loud).test(List.of(r))).toList();
    assertEquals("one 'leading' line of " + loud, 1, line.size());
    assertEquals("berth", line.get(0).getLoggerName());
    assertEquals(Level.INFO, line.get(0).getLevel());
    // One queue, one drain thread, in order: a line of the quiet engine would have come first.
    assertTrue(seen.stream().noneMatch(r -> r.getMessage().contains("berth node " + quiet + ":")));
  }

  @Test
  public void theZooKeeperClientsRefusedConnectionArrivesAsAnErrorOfBerthZookeeper() throws Exception {
    Logs.setLevel(Logs.Level.WARN);
    try (Engine e = Engine.open(Map.of("backend.name", "zookeeper", "backend.connect", "127.0.0.1:1",
        "backend.session_timeout", "2s"))) {
      fail("a backend on a dead port opened");
    } catch (UnavailableException expected) {
      // the client logged its refused connections meanwhile
    }
    Predicate<List<LogRecord>> clientError = rs -> rs.stream().anyMatch(r -> r.getLoggerName().equals("berth.zookeeper")
        && r.getLevel() == Level.SEVERE && r.getMessage().startsWith("client: "));
    List<LogRecord> seen = waitFor(clientError, 5000);
    assertTrue("no ZooKeeper client error in " + seen.size() + " lines", clientError.test(seen));
    assertTrue(seen.stream().allMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue()));
  }
}
