package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/** The polled event queue from Java (the Python twin is tests/bindings/python/test_events.py). */
public class EventsTest {
  private static Map<String, String> settings(String cluster, String node, boolean campaign) {
    Map<String, String> s = EngineTest.settings(cluster, node);
    s.put("engine.campaign", campaign ? "true" : "false");
    return s;
  }

  private static Events.Event next(Events events, Events.Kind kind) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      Events.Event e = events.poll(Duration.ofMillis(100));
      if (e != null && e.kind() == kind) {
        return e;
      }
    }
    fail("no " + kind + " event within 5 s");
    return null;
  }

  @Test
  public void followerSeesAVersionEventAfterTheLeaderRefreshes() throws Exception {
    String cluster = EngineTest.freshCluster("events");
    try (Engine leader = Engine.open(settings(cluster, "leader", true));
        Engine follower = Engine.open(settings(cluster, "follower", false))) {
      assertTrue(leader.waitLeader(5000));
      leader.join("srv-a");
      // The new leader's own first refresh is done (it would race with ours), and the follower has
      // seen the election and that version: no event is pending when the queue opens.
      boolean settled = false;
      for (long until = System.nanoTime() + 30_000_000_000L; !settled && System.nanoTime() < until; ) {
        Engine.Metrics m = leader.metrics();
        settled = m.refreshOk() + m.refreshFailed() > 0 && follower.status().version() == leader.status().version()
            && follower.status().epoch() == leader.status().epoch();
        if (!settled) {
          Thread.sleep(1);
        }
      }
      assertTrue("the leader's first refresh or the follower's catch-up took over 30 s", settled);
      try (Events events = follower.events()) {
        assertNull(events.poll(Duration.ZERO));
        long before = follower.status().version();
        leader.refresh();
        Events.Event e = events.poll(Duration.ofSeconds(5));
        assertNotNull(e);
        assertEquals(Events.Kind.VERSION, e.kind());
        assertEquals(before, e.oldVersion());
        assertEquals(leader.status().version(), e.version());
        assertFalse(e.leader());
        assertFalse(e.degraded());

        // Coalesced: three refreshes nobody polled for arrive as one event, old -> newest.
        for (int i = 0; i < 3; ++i) {
          leader.refresh();
        }
        long newest = leader.status().version();
        follower.waitVersion(newest, 5000);
        e = events.poll(Duration.ofSeconds(1));
        assertEquals(Events.Kind.VERSION, e.kind());
        assertEquals(newest - 3, e.oldVersion());
        assertEquals(newest, e.version());
        assertNull(events.poll(Duration.ZERO));
      }
    }
  }

  @Test
  public void leadershipEventsOnResign() throws Exception {
    String cluster = EngineTest.freshCluster("resign");
    try (Engine first = Engine.open(settings(cluster, "first", true))) {
      assertTrue(first.waitLeader(5000));
      try (Engine second = Engine.open(settings(cluster, "second", true));
          Events onFirst = first.events();
          Events onSecond = second.events()) {
        long epoch = first.status().epoch();
        first.resign();
        Events.Event lost = next(onFirst, Events.Kind.LEADERSHIP);
        assertFalse(lost.leader());
        assertEquals(epoch, lost.oldEpoch());
        Events.Event gained = next(onSecond, Events.Kind.LEADERSHIP);
        if (!gained.leader()) { // saw the epoch move before it won
          gained = next(onSecond, Events.Kind.LEADERSHIP);
        }
        assertTrue(gained.leader());
        assertTrue(gained.epoch() > epoch);
      }
    }
  }

  @Test
  public void closingTheEngineWakesAWaitingPollWithAStateException() throws Exception {
    Engine engine = Engine.open(settings(EngineTest.freshCluster("closing"), "closing", false));
    Events events = engine.events();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    long[] waitedMillis = new long[1];
    Thread poller = new Thread(() -> {
      long start = System.nanoTime();
      try {
        events.poll(Duration.ofSeconds(30));
      } catch (Throwable t) {
        thrown.set(t);
      }
      waitedMillis[0] = (System.nanoTime() - start) / 1_000_000L;
    });
    poller.start();
    Thread.sleep(300);
    engine.close();
    poller.join(10_000);
    assertFalse(poller.isAlive());
    Throwable t = thrown.get();
    assertTrue(String.valueOf(t), t instanceof StateException);
    assertEquals(BerthException.STATE, ((StateException) t).code());
    assertTrue(t.getMessage(), t.getMessage().contains("engine was closed"));
    assertTrue(waitedMillis[0] < 5000);
    try {
      events.poll(Duration.ZERO);
      fail("a poll after close must throw");
    } catch (StateException expected) {
      // every later poll fails the same way
    }
    events.close();
    events.close();
    assertTrue(events.isClosed());
  }

  @Test
  public void pollTimesOutWithNullAndHonoursInterrupts() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("quiet"), "quiet", false));
        Events events = engine.events()) {
      long start = System.nanoTime();
      assertNull(events.poll(Duration.ofMillis(300)));
      assertTrue(System.nanoTime() - start >= 290_000_000L);
      Thread.currentThread().interrupt();
      try {
        events.poll(Duration.ofSeconds(10));
        fail("an interrupted poll must throw");
      } catch (InterruptedException expected) {
        assertFalse(Thread.currentThread().isInterrupted());
      }
    }
  }

  /**
   * close() on one thread while polls wait in native code on others: each poll ends with the
   * queue's StateException, and only then is the queue freed (a queue freed under a waiting poll
   * crashes the JVM or hangs the poll). Several rounds, since a free racing a poll does not
   * always crash at once.
   */
  @Test
  public void closingTheQueueEndsPollsRunningOnOtherThreadsBeforeFreeingIt() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("events-close-poll"), "n1", false))) {
      for (int round = 0; round < 5; ++round) {
        Events events = engine.events();
        List<Background> polls = new ArrayList<>();
        for (int i = 0; i < 3; ++i) {
          polls.add(Background.start(() -> events.poll(Duration.ofSeconds(Long.MAX_VALUE))));
        }
        Thread.sleep(100); // each poll is inside a native wait (or about to enter the next)
        for (Background poll : polls) {
          assertTrue("a poll for ever returned at once: " + poll.outcome(), poll.thread.isAlive());
        }
        long start = System.nanoTime();
        events.close();
        long closeMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(events.isClosed());
        for (Background poll : polls) {
          poll.thread.join(2000);
          assertFalse("round " + round + ": a poll did not end after close", poll.thread.isAlive());
          Object outcome = poll.outcome();
          assertTrue("round " + round + ": ended by " + outcome, outcome instanceof StateException);
          assertEquals("the event queue is closed", ((StateException) outcome).getMessage());
        }
        assertTrue("close took " + closeMillis + " ms", closeMillis < 1000);
        try {
          events.poll(Duration.ZERO);
          fail("a poll after close must throw");
        } catch (StateException expected) {
          assertEquals("the event queue is closed", expected.getMessage());
        }
        events.close(); // idempotent
      }
      assertFalse("the engine lives on", engine.isClosed());
      engine.status();
    }
  }

  /** A timeout too long to count in nanoseconds waits for ever, as BlockingQueue.poll does. */
  @Test
  public void aPollForEverWaitsUntilInterrupted() throws Exception {
    try (Engine engine = Engine.open(settings(EngineTest.freshCluster("events-forever"), "n1", false));
        Events events = engine.events()) {
      Background.start(() -> events.poll(Duration.ofSeconds(Long.MAX_VALUE))).assertWaitsUntilInterrupted();
    }
  }
}
