package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.Test;

/**
 * The ownership feed and OwnershipRunner from Java (the Python twin of the feed's tests is
 * tests/bindings/python/test_ownership.py): engines on one memory cluster, one server each.
 */
public class OwnershipTest {
  private static Map<String, String> settings(String cluster, String node) {
    Map<String, String> s = EngineTest.settings(cluster, node);
    s.put("engine.refresh_interval", "2s");
    s.put("engine.refresh_on_change", "true");
    s.put("engine.intake_flush", "2ms");
    s.put("engine.intake_refresh_delay", "5ms");
    s.put("policy.name", "sticky");
    return s;
  }

  private static void await(String what, long timeoutMillis, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        fail(what + " did not happen within " + timeoutMillis + " ms");
      }
      Thread.sleep(2);
    }
  }

  private static Map<String, Long> acquire(Ownership feed, int count) throws InterruptedException {
    Map<String, Long> got = new HashMap<>();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (got.size() < count && System.nanoTime() < deadline) {
      Ownership.Event e = feed.poll(100);
      if (e != null) {
        assertEquals(e.toString(), Ownership.Kind.ACQUIRE, e.kind());
        got.put(e.stream(), e.token());
      }
    }
    assertEquals(feed.server() + " acquired every stream within 10 s", count, got.size());
    return got;
  }

  @Test
  public void feedPollsHoldsReleasesAndLists() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own"), "n1"))) {
      engine.join("srv-a");
      assertTrue(engine.waitLeader(5000));
      assertThrows(NotFoundException.class, () -> engine.ownership("srv-nobody"));
      Ownership feed = engine.ownership("srv-a");
      assertEquals("srv-a", feed.server());
      for (String s : new String[] {"orders", "strüm-ß"}) {
        engine.addStream(s);
      }
      engine.flush();
      Map<String, Long> got = acquire(feed, 2);
      long token = got.get("orders");
      assertTrue(token > 0);
      assertEquals(OptionalLong.of(token), feed.holds("orders"));
      assertEquals(got.get("strüm-ß").longValue(), feed.token("strüm-ß"));
      assertEquals(OptionalLong.empty(), feed.holds("never-added"));
      assertEquals(-1, feed.token("never-added"));
      assertEquals(got, feed.held());
      assertEquals(2, engine.metrics().streamsHeld());
      assertThrows(StateException.class, () -> feed.release("orders", token + 1));
      feed.release("orders", token);
      // Still its owner, the stream may be granted again at once (a grant-only version takes well
      // under a millisecond): never again under the released token.
      OptionalLong after = feed.holds("orders");
      assertTrue("still held under " + after + " after releasing " + token, !after.isPresent() || after.getAsLong() > token);
      assertNotEquals(Long.valueOf(token), feed.held().get("orders"));
      // Released while still its owner: granted again, under a higher token.
      assertTrue(acquire(feed, 1).get("orders") > token);
      engine.close();
      assertFalse("closing the engine ends every claim", feed.holds("strüm-ß").isPresent());
      feed.close();
      assertTrue(feed.isClosed());
      assertThrows(StateException.class, () -> feed.poll(0));
    }
  }

  /**
   * Ids that are not valid UTF-8 (each U+DC80..U+DCFF below escapes one byte in a Java String: a
   * stray byte, an overlong NUL, an encoded surrogate, a cut sequence, one past U+10FFFF) come
   * from the feed spelled the same way, and that String names the same bytes for holds(), held()
   * and release(). Decoded lossily (U+FFFD), a release would be refused and its hand-off stall.
   * The Python host writing such bytes itself: test_raw_stream_ids.py.
   */
  @Test
  public void idsThatAreNotUtf8RoundTripThroughTheFeedAndAreReleasedByThem() throws Exception {
    List<String> raw = List.of("raw-\uDCFF\uDCFE-id", "overlong-\uDCC0\uDC80", "surrogate-\uDCED\uDCA0\uDC80",
        "cut-\uDCE2\uDC82", "cut-then-ascii-\uDCE2\uDC82A", "past-max-\uDCF5\uDC80\uDC80\uDC80");
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-raw"), "n1"))) {
      engine.join("srv-a");
      assertTrue(engine.waitLeader(5000));
      Ownership feed = engine.ownership("srv-a");
      for (String id : raw) {
        engine.addStream(id);
      }
      engine.flush();
      Map<String, Long> got = acquire(feed, raw.size());
      assertEquals("the ids as the feed spells them", new HashSet<>(raw), got.keySet());
      assertEquals("held() decodes as the feed does", got, feed.held());
      for (String id : raw) {
        long token = got.get(id);
        assertEquals(id, OptionalLong.of(token), feed.holds(id));
        assertEquals(id, "srv-a", engine.lookup(id));
        feed.release(id, token);
        OptionalLong after = feed.holds(id);
        assertTrue(id + " still held under " + after + " after releasing " + token,
            !after.isPresent() || after.getAsLong() > token);
      }
      feed.close();
    }
  }

  /**
   * The native feed refuses a second poll while one runs; the Java feed makes its pollers take
   * turns instead: no poller sees an exception, and every event goes to exactly one of them.
   */
  @Test
  public void threadsPollingOneFeedTakeTurnsAndEachEventGoesToOne() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-turns"), "n1"))) {
      engine.join("srv-a");
      assertTrue(engine.waitLeader(5000));
      Ownership feed = engine.ownership("srv-a");
      List<String> seen = Collections.synchronizedList(new ArrayList<>());
      List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> pollers = new ArrayList<>();
      for (int i = 0; i < 3; ++i) {
        Thread t = new Thread(() -> {
          try {
            while (!stop.get()) {
              Ownership.Event e = feed.poll(50);
              if (e != null) {
                seen.add(e.stream());
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        t.start();
        pollers.add(t);
      }
      int count = 30;
      for (int i = 0; i < count; ++i) {
        engine.addStream("turn-" + i);
      }
      engine.flush();
      await(count + " acquisitions", 10_000, () -> seen.size() >= count || !errors.isEmpty());
      stop.set(true);
      for (Thread t : pollers) {
        t.join();
      }
      assertEquals(List.of(), errors);
      assertEquals("an event was lost or seen twice", count, new HashSet<>(seen).size());
      assertEquals(count, seen.size());
      feed.close();
    }
  }

  /** A timeout too long to count in nanoseconds waits for ever, as BlockingQueue.poll does. */
  @Test
  public void aPollForEverWaitsUntilInterrupted() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-forever"), "n1"))) {
      engine.join("srv-a");
      Ownership feed = engine.ownership("srv-a");
      List<Callable<Ownership.Event>> forevers =
          List.of(() -> feed.poll(Long.MAX_VALUE), () -> feed.poll(Duration.ofSeconds(Long.MAX_VALUE)));
      for (Callable<Ownership.Event> forever : forevers) Background.start(forever).assertWaitsUntilInterrupted();
      feed.close();
    }
  }

  /** close() on one thread ends a poll waiting for ever on another, before the feed is freed. */
  @Test
  public void closingAFeedEndsAPollRunningOnAnotherThread() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-close-poll"), "n1"))) {
      engine.join("srv-a");
      Ownership feed = engine.ownership("srv-a");
      Background poll = Background.start(() -> feed.poll(Long.MAX_VALUE));
      Thread.sleep(100);
      long start = System.nanoTime();
      feed.close();
      poll.thread.join(2000);
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertFalse("the poll did not end after close", poll.thread.isAlive());
      assertTrue("ended by " + poll.outcome(), poll.outcome() instanceof StateException);
      assertTrue(((StateException) poll.outcome()).getMessage(),
          ((StateException) poll.outcome()).getMessage().contains("'srv-a' is closed"));
      assertTrue("close took " + tookMillis + " ms", tookMillis < 1000);
    }
  }

  /** A feed closed under its runner leaves releases unacknowledged: the runner says so on close. */
  @Test
  public void aFeedClosedBeforeItsRunnerIsReported() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-close-order"), "n1"))) {
      engine.join("srv-a");
      Ownership feed = engine.ownership("srv-a");
      OwnershipRunner runner = OwnershipRunner.start(feed, Runnable::run, new OwnershipRunner.Handler() {
        @Override
        public void start(String stream, long token) {}

        @Override
        public void stop(String stream, long token) {}
      });
      Thread.sleep(50);
      feed.close();
      await("the runner's poll thread to end", 2000, () -> !runner.isPolling());
      IllegalStateException e = assertThrows(IllegalStateException.class, runner::close);
      assertTrue(e.getMessage(), e.getMessage().contains("'srv-a' was closed before its runner"));
    }
  }

  @Test
  public void aRunnerRefusesMissingArgumentsByName() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-args"), "n1"))) {
      engine.join("srv-a");
      Ownership feed = engine.ownership("srv-a");
      OwnershipRunner.Handler handler = new OwnershipRunner.Handler() {
        @Override
        public void start(String stream, long token) {}

        @Override
        public void stop(String stream, long token) {}
      };
      Runnable[] bad = {
          () -> OwnershipRunner.start(null, Runnable::run, handler),
          () -> OwnershipRunner.start(feed, null, handler),
          () -> OwnershipRunner.start(feed, Runnable::run, null)};
      String[] named = {"feed", "executor", "handler"};
      for (int i = 0; i < bad.length; ++i) {
        NullPointerException e = assertThrows(NullPointerException.class, bad[i]::run);
        assertEquals("OwnershipRunner.start: " + named[i] + " is null", e.getMessage());
      }
      feed.close();
      StateException closed =
          assertThrows(StateException.class, () -> OwnershipRunner.start(feed, Runnable::run, handler));
      assertTrue(closed.getMessage(), closed.getMessage().contains("'srv-a' is closed"));
    }
  }

  /** The host side of a server in the tests below: checks its callbacks' order as they run. */
  private static final class Host implements OwnershipRunner.Handler {
    final String server;
    final Map<String, String> serving; // shared by every host: stream -> server serving it
    final List<String> violations;
    final Map<String, Long> started = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger stops = new AtomicInteger();
    volatile int maxStartMillis;
    volatile CountDownLatch stopGate = new CountDownLatch(0);

    Host(String server, Map<String, String> serving, List<String> violations) {
      this.server = server;
      this.serving = serving;
      this.violations = violations;
    }

    private void violation(String what) {
      synchronized (violations) {
        violations.add(server + ": " + what);
      }
    }

    private AtomicInteger enter(String stream) {
      AtomicInteger in = inside.computeIfAbsent(stream, k -> new AtomicInteger());
      if (in.incrementAndGet() != 1) {
        violation("two callbacks of " + stream + " at once");
      }
      return in;
    }

    @Override
    public void start(String stream, long token) throws Exception {
      AtomicInteger in = enter(stream);
      try {
        if (started.putIfAbsent(stream, token) != null) {
          violation("start of " + stream + " while started");
        }
        String other = serving.putIfAbsent(stream, server);
        if (other != null) {
          violation("start of " + stream + " while " + other + " serves it");
        }
        int pause = maxStartMillis;
        if (pause > 0) {
          Thread.sleep(ThreadLocalRandom.current().nextInt(pause + 1));
        }
        starts.incrementAndGet();
      } finally {
        in.decrementAndGet();
      }
    }

    @Override
    public void stop(String stream, long token) throws Exception {
      AtomicInteger in = enter(stream);
      try {
        stopGate.await();
        Long was = started.remove(stream);
        if (was == null || was != token) {
          violation("stop of " + stream + " token " + token + " but started under " + was);
        }
        if (!serving.remove(stream, server)) {
          violation("stop of " + stream + " it did not serve");
        }
        stops.incrementAndGet();
      } finally {
        in.decrementAndGet();
      }
    }

    @Override
    public void failed(String stream, long token, Throwable error) {
      violation("callback of " + stream + " failed: " + error);
    }
  }

  @Test
  public void runnerReleasesOnlyAfterStopReturned() throws Exception {
    String cluster = EngineTest.freshCluster("own-runner");
    Map<String, String> serving = new ConcurrentHashMap<>();
    List<String> violations = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Engine first = Engine.open(settings(cluster, "n1")); Engine second = Engine.open(settings(cluster, "n2"))) {
      first.join("srv-a");
      assertTrue(first.waitLeader(5000));
      second.join("srv-b");
      second.drain("srv-b", true); // every stream goes to srv-a first
      Host a = new Host("srv-a", serving, violations);
      Host b = new Host("srv-b", serving, violations);
      try (Ownership feedA = first.ownership("srv-a"); Ownership feedB = second.ownership("srv-b")) {
        OwnershipRunner runA = OwnershipRunner.start(feedA, pool, a);
        OwnershipRunner runB = OwnershipRunner.start(feedB, pool, b);
        for (int i = 0; i < 10; ++i) {
          first.addStream(i == 9 ? "raw-\uDCFF-" + i : "s" + i); // one id is not valid UTF-8
        }
        first.flush();
        await("srv-a starting 10 streams", 10_000, () -> a.starts.get() == 10);
        a.stopGate = new CountDownLatch(1);
        second.drain("srv-b", false);
        first.drain("srv-a", true);
        await("a release request reaching srv-a's stop", 10_000, () -> a.inside.values().stream().anyMatch(n -> n.get() > 0));
        Thread.sleep(300);
        assertEquals("nothing moves while srv-a's stops are running", 0, b.starts.get());
        assertTrue(feedB.held().isEmpty());
        assertEquals(10, feedA.held().size());
        a.stopGate.countDown();
        await("srv-b starting the 10 streams", 10_000, () -> b.starts.get() == 10);
        assertTrue(feedA.held().isEmpty());
        assertEquals(10, a.stops.get());
        runA.close();
        runB.close();
        assertFalse(runA.isPolling());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), violations);
  }

  /**
   * Streams bounce between two servers faster than their (slow, random) starts run, on a pool of
   * several threads: each stream's callbacks still run one at a time and in the feed's order, and
   * no stream is started on one server before the other stopped it.
   */
  @Test
  public void runnerKeepsEachStreamsCallbacksInOrderOnAPoolOfThreads() throws Exception {
    String cluster = EngineTest.freshCluster("own-order");
    Map<String, String> serving = new ConcurrentHashMap<>();
    List<String> violations = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    final int streams = 30;
    try (Engine first = Engine.open(settings(cluster, "n1")); Engine second = Engine.open(settings(cluster, "n2"))) {
      first.join("srv-a");
      assertTrue(first.waitLeader(5000));
      second.join("srv-b");
      second.drain("srv-b", true);
      Host a = new Host("srv-a", serving, violations);
      Host b = new Host("srv-b", serving, violations);
      a.maxStartMillis = 20;
      b.maxStartMillis = 20;
      try (Ownership feedA = first.ownership("srv-a"); Ownership feedB = second.ownership("srv-b")) {
        OwnershipRunner runA = OwnershipRunner.start(feedA, pool, a);
        OwnershipRunner runB = OwnershipRunner.start(feedB, pool, b);
        for (int i = 0; i < streams; ++i) {
          first.addStream("s" + i);
        }
        first.flush();
        await("srv-a holding every stream", 10_000, () -> feedA.held().size() == streams);
        for (int round = 0; round < 6; ++round) {
          // Move everything to the other server as soon as the engine granted it, while starts run.
          boolean toB = round % 2 == 0;
          second.drain("srv-b", !toB);
          first.drain("srv-a", toB);
          Ownership target = toB ? feedB : feedA;
          await("round " + round + " moving every stream", 15_000, () -> target.held().size() == streams);
        }
        runA.close();
        runB.close();
        assertEquals(a.starts.get() + b.starts.get() - streams, a.stops.get() + b.stops.get());
        assertTrue("the streams moved back and forth", a.stops.get() >= 3 * streams && b.stops.get() >= 3 * streams);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), violations);
  }

  @Test
  public void closeStopsPollingAndWaitsForTheCallbacksSubmitted() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<String> violations = new ArrayList<>();
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("own-close"), "n1"))) {
      engine.join("srv-a");
      assertTrue(engine.waitLeader(5000));
      Host a = new Host("srv-a", new ConcurrentHashMap<>(), violations);
      a.maxStartMillis = 0;
      CountDownLatch entered = new CountDownLatch(1);
      CountDownLatch proceed = new CountDownLatch(1);
      AtomicInteger finished = new AtomicInteger();
      try (Ownership feed = engine.ownership("srv-a")) {
        OwnershipRunner runner = OwnershipRunner.start(feed, pool, new OwnershipRunner.Handler() {
          @Override
          public void start(String stream, long token) throws Exception {
            entered.countDown();
            proceed.await();
            a.start(stream, token);
            finished.incrementAndGet();
          }

          @Override
          public void stop(String stream, long token) throws Exception {
            a.stop(stream, token);
          }
        });
        assertTrue(runner.isPolling());
        engine.addStream("s0");
        engine.flush();
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        Thread closer = new Thread(() -> {
          try {
            runner.close();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        closer.start();
        closer.join(500);
        assertTrue("close() waits for a running callback", closer.isAlive());
        proceed.countDown();
        closer.join(5000);
        assertFalse(closer.isAlive());
        assertFalse(runner.isPolling());
        assertEquals(1, finished.get());
        // Events after close stay in the feed for whoever polls it next.
        engine.addStream("s1");
        engine.flush();
        Ownership.Event e = null;
        for (long until = System.nanoTime() + 10_000_000_000L; e == null && System.nanoTime() < until; ) {
          e = feed.poll(100);
        }
        assertNotNull(e);
        assertEquals("s1", e.stream());
        assertEquals(1, a.starts.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), violations);
  }
}
