package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A server marked for data migration, and locate's why, from Java (the Python twin is
 * tests/bindings/python/test_migrate_out.py): a leader and a follower on one memory cluster; "s0"
 * (joined through the leader) writes three streams, "s1" (through the follower) the others.
 */
public class MigrateOutTest {
  private Engine leader;
  private Engine follower;
  private final List<String> onS0 = new ArrayList<>();

  static Map<String, String> settings(String cluster, String node) {
    Map<String, String> s = CatalogueTest.settings(cluster, node);
    s.put("catalogue.max_migrations", "2");
    s.put("catalogue.max_migrations_per_server", "1");
    return s;
  }

  /** Polls {@code probe} until it gives non-null; fails naming {@code what} after 10 s. */
  private static <T> T until(String what, Supplier<T> probe) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      T got = probe.get();
      if (got != null) {
        return got;
      }
      if (System.nanoTime() - deadline >= 0) {
        fail(what + ": not within 10 s");
      }
      Thread.sleep(5);
    }
  }

  private static Optional<ServerEntry> operatorEntry(Engine engine, String id) {
    try (Snapshot s = engine.snapshot()) {
      return s.operatorServers().stream().filter(e -> e.id().equals(id)).findFirst();
    }
  }

  private static ServerEntry placedEntry(Engine engine, String id) {
    try (Snapshot s = engine.snapshot()) {
      return s.serverEntries().stream().filter(e -> e.id().equals(id)).findFirst().orElseThrow();
    }
  }

  /** Streams are added until s0 writes exactly three of them (those are {@link #onS0}). */
  @Before
  public void open() throws InterruptedException {
    String cluster = EngineTest.freshCluster("migrate-out");
    leader = Engine.open(settings(cluster, "n0"));
    assertTrue(leader.waitLeader(30_000));
    follower = Engine.open(settings(cluster, "n1"));
    leader.join("s0");
    follower.join("s1");
    for (int i = 0; i < 40 && onS0.size() != 3; ++i) {
      leader.addStream("m" + i, "t", 1.0);
      leader.flush();
      final int added = i + 1;
      until("m" + i + " is placed", () -> {
        if (leader.status().version() == 0 || leader.status().serverCount() != 2) {
          return null;
        }
        for (int k = 0; k < added; ++k) {
          if (!leader.locate("m" + k).known()) {
            return null;
          }
        }
        return Boolean.TRUE;
      });
      onS0.clear();
      for (int k = 0; k < added; ++k) {
        if (leader.locate("m" + k).owner().equals(Optional.of("s0"))) {
          onS0.add("m" + k);
        }
      }
    }
    assertEquals("s0 writes " + onS0, 3, onS0.size());
    until("both engines serve one version",
        () -> follower.status().version() == leader.status().version() ? Boolean.TRUE : null);
    assertFalse(follower.status().isLeader());
  }

  @After
  public void close() {
    if (follower != null) {
      follower.close();
    }
    if (leader != null) {
      leader.close();
    }
  }

  private long migratingOnS0(Engine engine) {
    return onS0.stream().filter(s -> engine.locate(s).status() == StreamStatus.MIGRATING).count();
  }

  @Test
  public void aCheckOnlyChangesNothingAndSaysTheFigures() {
    assertEquals(new ServerMigration(false, 3, 0, 2, 1, 1, 4), follower.migrateServer("s0", true, true));
    leader.flush();
    leader.refresh();
    for (Engine e : List.of(leader, follower)) {
      assertTrue("a check sends nothing", operatorEntry(e, "s0").isEmpty());
      assertEquals(Optional.of(ServerState.UP), placedEntry(e, "s0").state());
      for (String s : onS0) {
        Location at = e.locate(s);
        assertEquals(StreamStatus.ACTIVE, at.status());
        assertEquals(Optional.of("s0"), at.owner());
      }
    }
  }

  @Test
  public void aMarkedServerDrainsAndItsStreamsMigrateOutWithinTheBoundUntilItIsEmpty() throws InterruptedException {
    try (CatalogueFeed feed = follower.catalogueFeed("s1")) {
      assertFalse(follower.migrateServer("s0", true, false).marked());
      for (Engine e : List.of(leader, follower)) {
        ServerEntry entry = until("s0 shows marked", () -> operatorEntry(e, "s0").filter(ServerEntry::migratingOut).orElse(null));
        assertEquals(EnumSet.of(ServerField.MIGRATE), entry.fields());
        assertTrue(entry.member());
        assertEquals(Optional.of(ServerState.DRAINING), placedEntry(e, "s0").state());
        assertFalse(placedEntry(e, "s1").migratingOut());
      }
      StateException twice = assertThrows(StateException.class, () -> follower.migrateServer("s0", true, false));
      assertTrue(twice.getMessage(), twice.getMessage().contains("s0"));
      assertThrows(StateException.class, () -> leader.migrateServer("s0", true, true));

      List<String> done = new ArrayList<>();
      while (done.size() < onS0.size()) {
        leader.refresh();
        CatalogueFeed.Event copy = feed.poll(Duration.ofSeconds(10));
        assertNotNull("a copy-in after " + done, copy);
        assertEquals(CatalogueFeed.Kind.COPY_IN, copy.kind());
        assertEquals(Optional.of("s0"), copy.source());
        assertTrue(copy.stream(), onS0.contains(copy.stream()) && !done.contains(copy.stream()));
        Location at = until(copy.stream() + " migrates on the follower", () -> {
          Location l = follower.locate(copy.stream());
          return l.status() == StreamStatus.MIGRATING ? l : null;
        });
        assertEquals("max_migrations_per_server 1: one migration out of s0 at a time", 1, migratingOnS0(follower));
        assertEquals(Optional.of("s1"), at.owner());
        assertEquals(Optional.of("s0"), at.migrationSource());
        for (String s : onS0) {
          if (!done.contains(s)) {
            assertEquals(s, PlacementDecision.MIGRATING_OUT, follower.locateWhy(s).decision());
          }
        }
        ServerMigration plan = leader.migrateServer("s0", false, true);
        assertTrue(plan.marked());
        assertEquals(1, plan.migratingOut());
        assertEquals(onS0.size() - done.size() - 1, plan.streams());
        follower.migrationDone(copy.stream(), "s1", true);
        done.add(copy.stream());
        until(copy.stream() + " is active at s1",
            () -> follower.locate(copy.stream()).status() == StreamStatus.ACTIVE ? Boolean.TRUE : null);
      }
    }
    for (Engine e : List.of(leader, follower)) {
      until("s0 shows empty", () -> placedEntry(e, "s0").streams() == 0 ? Boolean.TRUE : null);
      for (String s : onS0) {
        assertEquals(List.of("s1"), e.locate(s).readLocations());
      }
      assertTrue("an empty server stays marked", operatorEntry(e, "s0").get().migratingOut());
    }

    follower.migrateServer("s0", false, false);
    for (Engine e : List.of(leader, follower)) {
      until("the mark is cleared", () -> operatorEntry(e, "s0").isEmpty() ? Boolean.TRUE : null);
      assertEquals(Optional.of(ServerState.UP), placedEntry(e, "s0").state());
    }
    assertThrows(StateException.class, () -> follower.migrateServer("s0", false, false));
  }

  @Test
  public void anUnknownServerAndBadArgumentsAreRefused() {
    NotFoundException unknown = assertThrows(NotFoundException.class, () -> follower.migrateServer("nowhere", true, false));
    assertTrue(unknown.getMessage(), unknown.getMessage().contains("nowhere"));
    assertThrows(StateException.class, () -> follower.migrateServer("s1", false, false));
    assertThrows(InvalidArgumentException.class, () -> follower.migrateServer("", true, false));
    assertThrows(InvalidArgumentException.class, () -> follower.locateWhy(""));
  }

  @Test
  public void whyOfAPlacedAnUnknownAndAMigratingOutStream() throws InterruptedException {
    leader.addStream("fresh", "t", 1.0);
    leader.flush();
    until("fresh reaches the follower", () -> follower.locate("fresh").known() ? Boolean.TRUE : null);
    PlacementWhy fresh = follower.locateWhy("fresh");
    assertEquals(fresh.toString(), PlacementDecision.PLACED, fresh.decision());
    assertEquals("fresh", fresh.stream());
    Location at = follower.locate("fresh");
    assertEquals(at.version(), fresh.version());
    assertTrue(fresh.detail(), fresh.detail().contains(at.owner().get()));
    assertFalse(fresh.rulesEvaluated());
    assertEquals(Optional.empty(), fresh.rule());
    assertEquals(List.of(), fresh.allowed());
    assertTrue(fresh.rulesNote().isPresent());

    PlacementWhy unknown = follower.locateWhy("never-added");
    assertEquals(PlacementDecision.UNKNOWN, unknown.decision());
    assertTrue(unknown.detail(), unknown.detail().contains("lookup"));
    assertFalse("an answer keeps its own strings after the next call on the thread: " + fresh.detail(),
        fresh.detail().contains("lookup") || fresh.detail().equals(unknown.detail()));

    PlacementWhy kept = follower.locateWhy(onS0.get(0));
    assertTrue(kept.toString(), kept.decision() == PlacementDecision.KEPT || kept.decision() == PlacementDecision.PLACED);
    assertTrue(kept.detail(), kept.detail().contains("'s0'"));

    leader.migrateServer("s0", true, false);
    PlacementWhy out = until("a stream of s0 migrates out on the follower", () -> {
      PlacementWhy w = follower.locateWhy(onS0.get(0));
      return w.decision() == PlacementDecision.MIGRATING_OUT ? w : null;
    });
    assertTrue(out.detail(), out.detail().contains("s0"));
  }
}
