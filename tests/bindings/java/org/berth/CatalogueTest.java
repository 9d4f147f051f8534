package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The catalogue surface from Java (the Python twin is tests/bindings/python/test_catalogue.py): two
 * engines on one memory cluster, a leader and a follower, each joining one server.
 */
public class CatalogueTest {
  private static final String ZONE_A = "tenant('acme', function(t) t:require { zone = 'a' } end)\n";

  private Engine leader;
  private Engine follower;

  static Map<String, String> settings(String cluster, String node) {
    Map<String, String> s = EngineTest.settings(cluster, node);
    s.put("engine.refresh_interval", "1h");
    s.put("engine.refresh_on_change", "true");
    s.put("engine.intake_flush", "2ms");
    s.put("engine.intake_refresh_delay", "2ms");
    s.put("policy.name", "sticky");
    s.put("catalogue.migration_interval", "1h");
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

  private static Location withStatus(Engine engine, String stream, StreamStatus status) throws InterruptedException {
    return until(stream + " is " + status, () -> {
      Location at = engine.locate(stream);
      return at.status() == status ? at : null;
    });
  }

  @Before
  public void open() throws InterruptedException {
    String cluster = EngineTest.freshCluster("catalogue");
    leader = Engine.open(settings(cluster, "n0"));
    assertTrue(leader.waitLeader(30_000));
    follower = Engine.open(settings(cluster, "n1"));
    leader.join("s0");
    follower.join("s1");
    leader.addStream("x", "tenant-x", 1.0);
    leader.flush();
    for (Engine e : List.of(leader, follower)) {
      until("x and both servers reach an engine", () -> e.status().version() > 0 && e.locate("x").known()
          && e.status().serverCount() == 2 ? Boolean.TRUE : null);
    }
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

  /** The next event of {@code feed}; fails naming {@code what} and the feed's server after 30 s. */
  private static CatalogueFeed.Event polled(CatalogueFeed feed, String what) throws InterruptedException {
    CatalogueFeed.Event got = feed.poll(Duration.ofSeconds(30));
    assertNotNull(what + " reaches the feed of " + feed.server() + " within 30 s", got);
    return got;
  }

  private static Optional<ServerEntry> operatorEntry(Engine engine, String id) {
    try (Snapshot s = engine.snapshot()) {
      return s.operatorServers().stream().filter(e -> e.id().equals(id)).findFirst();
    }
  }

  private static Map<String, String> labels(String key, String value) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(key, value);
    return out;
  }

  @Test
  public void labelsFromAMapThatWouldJoinIntoOtherLabelsAreRefusedNamingTheLabel() {
    Map<Map<String, String>, String> refused = new LinkedHashMap<>();
    refused.put(labels("zone", "a,ssd"), "label 'zone'='a,ssd': ',' is not allowed in a value");
    refused.put(labels("zone=a", null), "label 'zone=a': ',' and '=' are not allowed in a key");
    refused.put(labels("zone,ssd", "a"), "label 'zone,ssd': ',' and '=' are not allowed in a key");
    refused.put(labels("", "a"), "label ''='a': empty key");
    refused.put(labels(null, "a"), "label 'null'='a': empty key");
    refused.forEach((map, message) -> {
      InvalidArgumentException set = assertThrows(InvalidArgumentException.class,
          () -> ServerChange.of("store-5").register().labels(map));
      assertEquals(message, set.getMessage());
      InvalidArgumentException join = assertThrows(InvalidArgumentException.class,
          () -> leader.join("store-5", 1.0, map));
      assertEquals(message, join.getMessage());
    });
    // '=' in a value is the C API's own refusal.
    InvalidArgumentException equals = assertThrows(InvalidArgumentException.class,
        () -> leader.join("store-5", 1.0, Map.of("zone", "a=b")));
    assertTrue(equals.getMessage(), equals.getMessage().contains("label 'zone=a=b': '=' is not allowed in a value"));
  }

  @Test
  public void anEmptyOrNullLabelValueIsABareTagReadBackAsEmpty() throws InterruptedException {
    Map<String, String> sent = new LinkedHashMap<>();
    sent.put("zone", "a");
    sent.put("ssd", "");
    sent.put("fast", null);
    assertEquals("zone=a,ssd,fast", Args.labelsText(sent));
    follower.setServer(ServerChange.of("store-7").register().labels(sent));
    ServerEntry entry = until("store-7 reaches the leader", () -> operatorEntry(leader, "store-7").orElse(null));
    assertEquals(Map.of("zone", "a", "ssd", "", "fast", ""), entry.labels().get());
    leader.join("store-8", 1.0, Map.of("ssd", "")); // "ssd=" would be refused by the C API
  }

  @Test
  public void aServerSetFromTheFollowerReachesBothAndOnlyTheGivenFieldsChange() throws InterruptedException {
    follower.setServer(ServerChange.of("store-9").register().capacity(2.5).labels(Map.of("zone", "a")));
    for (Engine e : List.of(leader, follower)) {
      ServerEntry entry = until("store-9 reaches an engine", () -> operatorEntry(e, "store-9").orElse(null));
      assertTrue(entry.registered());
      assertFalse(entry.member());
      assertEquals(2.5, entry.capacity().getAsDouble(), 0);
      assertTrue(entry.state().isEmpty());
      assertEquals(Map.of("zone", "a"), entry.labels().get());
      assertEquals(EnumSet.of(ServerField.REGISTER, ServerField.CAPACITY, ServerField.LABELS), entry.fields());
    }
    follower.setServer(ServerChange.of("store-9").state(ServerState.READ_ONLY));
    for (Engine e : List.of(leader, follower)) {
      ServerEntry entry = until("the state change reaches an engine", () -> operatorEntry(e, "store-9")
          .filter(x -> x.state().equals(Optional.of(ServerState.READ_ONLY))).orElse(null));
      assertEquals("a set of the state leaves the capacity", 2.5, entry.capacity().getAsDouble(), 0);
      assertEquals(Map.of("zone", "a"), entry.labels().get());
    }
    try (Snapshot s = leader.snapshot()) {
      ServerEntry placed = s.serverEntries().stream().filter(x -> x.id().equals("store-9")).findFirst().get();
      assertTrue(placed.registered());
      assertEquals(Optional.of(ServerState.READ_ONLY), placed.state());
      assertEquals(1.0, placed.weight().get().factor(), 0);
      ServerEntry member = s.serverEntries().stream().filter(x -> x.id().equals("s1")).findFirst().get();
      assertTrue(member.member());
      assertEquals(Set.of(), member.fields());
    }
    leader.removeServer("store-9");
    for (Engine e : List.of(leader, follower)) {
      until("store-9 leaves an engine", () -> operatorEntry(e, "store-9").isEmpty() ? Boolean.TRUE : null);
    }
    assertThrows(NotFoundException.class, () -> leader.removeServer("store-9"));
  }

  @Test
  public void aMigrationReadsFromBothUntilTheDestinationsCopyIsDone() throws InterruptedException {
    String source = leader.locate("x").owner().get();
    String dest = source.equals("s0") ? "s1" : "s0";
    CatalogueFeed kept;
    try (CatalogueFeed feed = leader.catalogueFeed(dest)) {
      kept = feed;
      follower.migrate("x", dest);
      for (Engine e : List.of(leader, follower)) {
        Location at = withStatus(e, "x", StreamStatus.MIGRATING);
        assertEquals(Optional.of(dest), at.owner());
        assertEquals(List.of(dest, source), at.readLocations());
        assertEquals(Optional.of(source), at.migrationSource());
        assertEquals(Optional.of(dest), at.migrationDestination());
        assertEquals("tenant-x", at.tenant());
      }
      assertThrows(StateException.class, () -> follower.migrate("x", source));
      CatalogueFeed.Event copy = polled(feed, "the copy of x");
      assertEquals(CatalogueFeed.Kind.COPY_IN, copy.kind());
      assertEquals("x", copy.stream());
      assertEquals(Optional.of(source), copy.source());
      assertEquals(0, copy.attempt());
      follower.migrationDone("x", dest, false);
      CatalogueFeed.Event again = polled(feed, "the copy of x offered again");
      assertEquals("a failed copy is offered again", 1, again.attempt());
      follower.migrationDone("x", dest, true);
      for (Engine e : List.of(leader, follower)) {
        Location at = withStatus(e, "x", StreamStatus.ACTIVE);
        assertEquals(Optional.of(dest), at.owner());
        assertEquals(List.of(dest), at.readLocations());
      }
    }
    assertTrue(kept.isClosed());
    assertThrows(StateException.class, () -> kept.poll(Duration.ZERO));
  }

  @Test
  public void aMigrationThePolicyChoosesGoesToTheOtherServer() throws InterruptedException {
    String source = leader.locate("x").owner().get();
    follower.migrate("x", Optional.empty());
    Location at = withStatus(leader, "x", StreamStatus.MIGRATING);
    assertNotEquals(Optional.of(source), at.owner());
    assertEquals(Optional.of(source), at.migrationSource());
  }

  @Test
  public void aDeletionMidMigrationPurgesBothLocationsAndLeavesNothing() throws InterruptedException {
    String source = leader.locate("x").owner().get();
    String dest = source.equals("s0") ? "s1" : "s0";
    try (CatalogueFeed atDest = follower.catalogueFeed(dest); CatalogueFeed atSource = follower.catalogueFeed(source)) {
      leader.migrate("x", dest);
      withStatus(follower, "x", StreamStatus.MIGRATING);
      assertEquals(CatalogueFeed.Kind.COPY_IN, polled(atDest, "the copy of x").kind());
      follower.deleteStream("x");
      for (Engine e : List.of(leader, follower)) {
        Location at = withStatus(e, "x", StreamStatus.DELETING);
        assertFalse(at.known());
        assertTrue(at.owner().isEmpty());
        assertEquals(Set.of(source, dest), Set.copyOf(at.readLocations()));
        assertTrue("the deletion cancelled the migration", at.migrationSource().isEmpty());
      }
      assertThrows(StateException.class, () -> follower.migrationDone("x", dest, true));
      for (CatalogueFeed feed : List.of(atDest, atSource)) {
        CatalogueFeed.Event purge = polled(feed, "the purge of x");
        assertEquals(CatalogueFeed.Kind.PURGE, purge.kind());
        assertEquals("x", purge.stream());
        follower.streamPurged("x", feed.server());
      }
    }
    for (Engine e : List.of(leader, follower)) {
      Location at = withStatus(e, "x", StreamStatus.ACTIVE);
      assertFalse("purged everywhere, the stream is unknown", at.known());
      assertEquals("", at.tenant());
    }
    assertThrows(StateException.class, () -> follower.streamPurged("x", dest));
    assertThrows(NotFoundException.class, () -> leader.deleteStream("x"));
  }

  @Test
  public void rulesRoundTripAndABadScriptLeavesTheOldRules() throws InterruptedException {
    String cluster = EngineTest.freshCluster("catalogue-rules");
    try (Engine l = Engine.open(settings(cluster, "n0")); Engine f = Engine.open(settings(cluster, "n1"))) {
      assertTrue(l.waitLeader(30_000));
      l.join("srv-a", 1.0, "zone=a");
      f.join("srv-b", 1.0, "zone=b");
      for (int i = 0; i < 8; ++i) {
        l.addStream("acme-" + i, "acme", 1.0);
      }
      l.flush();
      until("the follower sees every stream", () -> f.status().streamCount() == 8 && f.status().serverCount() == 2
          ? Boolean.TRUE : null);
      try (Snapshot s = f.snapshot()) {
        assertEquals(new Rules(0, 0, ""), s.rules());
      }
      PushedRules pushed = f.pushRules(ZONE_A);
      assertEquals(0, pushed.replacesVersion());
      long version = f.waitRules(pushed.hash(), Duration.ofSeconds(30));
      assertTrue(version > 0);
      l.waitRules(pushed.hash(), Duration.ofSeconds(30));
      for (Engine e : List.of(l, f)) {
        try (Snapshot s = e.snapshot()) {
          assertEquals(new Rules(version, pushed.hash(), ZONE_A), s.rules());
        }
      }
      ConfigException bad = assertThrows(ConfigException.class,
          () -> f.pushRules("tenant('acme', function(t) t:require('srv-nope') end)"));
      assertTrue(bad.getMessage(), bad.getMessage().contains("srv-nope"));
      assertThrows(ConfigException.class, () -> l.pushRules("tenant("));
      try (Snapshot s = f.snapshot()) {
        assertEquals(new Rules(version, pushed.hash(), ZONE_A), s.rules());
      }
      assertThrows(TimeoutException.class, () -> f.waitRules(12345, Duration.ofMillis(50)));
      assertThrows(InvalidArgumentException.class, () -> f.pushRules(""));
      assertThrows(NullPointerException.class, () -> f.pushRules(null));
    }
  }

  @Test
  public void aReportedSignalShowsInTheSnapshotsWeightsWithAWeigher() throws InterruptedException {
    String cluster = EngineTest.freshCluster("catalogue-signals");
    // Ordered: the weigher's name must be set before its keys.
    Map<String, String> weigh = new java.util.LinkedHashMap<>(settings(cluster, "n0"));
    weigh.put("weigher.name", "marconi");
    weigh.put("weigher.smoothing", "1");
    Map<String, String> weighFollower = new java.util.LinkedHashMap<>(weigh);
    weighFollower.put("engine.node_id", "n1");
    try (Engine l = Engine.open(weigh); Engine f = Engine.open(weighFollower)) {
      assertTrue(l.waitLeader(30_000));
      l.join("a", 2.0);
      f.join("b", 2.0);
      f.reportSignal("b", "cpu_load", 1.5);
      f.reportSignal("b", "free_capacity", 0.25);
      f.flush();
      Map<String, ServerWeight> weights = until("the signals reach the follower's snapshot", () -> {
        l.refresh(); // signals alone wait for the periodic refresh
        if (f.status().version() == 0) {
          return null;
        }
        try (Snapshot s = f.snapshot()) {
          Map<String, ServerWeight> w = s.weights();
          return w.containsKey("b") && w.get("b").signals().size() == 2 ? w : null;
        }
      });
      assertEquals(Map.of("cpu_load", 1.5, "free_capacity", 0.25), weights.get("b").signals());
      assertEquals(2.0, weights.get("b").configuredCapacity(), 0);
      assertTrue(weights.get("b").factor() < 0.5);
      assertEquals(1.0, weights.get("a").factor(), 0);
      try (Snapshot s = f.snapshot()) {
        assertEquals(Optional.of("marconi"), s.weigher());
        ServerEntry b = s.serverEntries().stream().filter(x -> x.id().equals("b")).findFirst().get();
        assertEquals(weights.get("b"), b.weight().get());
      }
    }
    try (Snapshot s = leader.snapshot()) {
      assertEquals(Optional.empty(), s.weigher());
      assertEquals(1.0, s.weights().get("s0").factor(), 0);
    }
  }

  @Test
  public void badArgumentsThrowBeforeTheCallWithTheRightType() {
    InvalidArgumentException empty = assertThrows(InvalidArgumentException.class, () -> ServerChange.of(""));
    assertTrue(empty.getMessage(), empty.getMessage().contains("server id is empty"));
    assertThrows(NullPointerException.class, () -> ServerChange.of(null));
    InvalidArgumentException nothing = assertThrows(InvalidArgumentException.class,
        () -> leader.setServer(ServerChange.of("s0")));
    assertTrue(nothing.getMessage(), nothing.getMessage().contains("nothing to set"));
    assertThrows(InvalidArgumentException.class, () -> ServerChange.of("s0").capacity(Double.NaN));
    assertThrows(InvalidArgumentException.class, () -> leader.setServer(ServerChange.of("s0").capacity(-1)));
    assertThrows(NullPointerException.class, () -> ServerChange.of("s0").state(null));
    assertThrows(InvalidArgumentException.class, () -> leader.locate(""));
    assertThrows(NullPointerException.class, () -> leader.migrate(null, Optional.empty()));
    assertThrows(InvalidArgumentException.class, () -> leader.migrate("x", ""));
    assertThrows(NullPointerException.class, () -> leader.migrate("x", (Optional<String>) null));
    assertThrows(InvalidArgumentException.class, () -> leader.reportSignal("s0", "", 1.0));
    assertThrows(InvalidArgumentException.class, () -> leader.reportSignal("s0", "cpu_load", Double.POSITIVE_INFINITY));
    assertThrows(InvalidArgumentException.class, () -> leader.catalogueFeed(""));
    assertThrows(NotFoundException.class, () -> leader.migrate("nope", "s1"));
    assertThrows(NotFoundException.class, () -> leader.migrate("x", "nowhere"));
    assertThrows(StateException.class, () -> leader.migrationDone("x", "s1", true));
    assertThrows(StateException.class, () -> leader.streamPurged("x", "s0"));
    assertThrows(NotFoundException.class, () -> leader.removeServer("never-set"));
  }

  @Test
  public void aFeedEndsWhenItsEngineCloses() throws InterruptedException {
    CatalogueFeed feed = follower.catalogueFeed("s0");
    assertEquals(null, feed.poll(Duration.ZERO));
    follower.close();
    assertThrows(StateException.class, () -> feed.poll(Duration.ofMillis(10)));
    feed.close();
    feed.close();
    assertTrue(feed.isClosed());
    assertThrows(StateException.class, () -> follower.locate("x"));
  }

  @Test
  public void closingAFeedEndsAPollInProgressOnAnotherThread() throws Exception {
    CatalogueFeed feed = leader.catalogueFeed("s1");
    java.util.concurrent.CompletableFuture<Object> outcome = new java.util.concurrent.CompletableFuture<>();
    Thread poller = new Thread(() -> {
      try {
        outcome.complete(feed.poll(Duration.ofDays(1)));
      } catch (Throwable t) {
        outcome.complete(t);
      }
    });
    poller.start();
    // The poller's stack shows the native wait: the poll has started and not returned.
    until("the poll waits in a native call (there is no work for s1)", () -> java.util.Arrays
        .stream(poller.getStackTrace()).anyMatch(f -> f.getMethodName().equals("berth_catalogue_poll")) ? Boolean.TRUE : null);
    assertFalse("the poll had not returned before close", outcome.isDone());
    long started = System.nanoTime();
    feed.close();
    poller.join(30_000);
    System.out.printf("close returned and the poll ended %.3f s after close began%n", (System.nanoTime() - started) / 1e9);
    assertFalse(poller.isAlive());
    assertTrue(String.valueOf(outcome.getNow(null)), outcome.getNow(null) instanceof StateException);
    assertTrue(feed.isClosed());
  }

  @Test
  public void aMigrationBeyondTheBoundIsQueuedAndStartsWhenACopyIsDone() throws InterruptedException {
    Map<String, String> bounded = settings(EngineTest.freshCluster("catalogue-queued"), "n0");
    bounded.put("catalogue.max_migrations", "1");
    try (Engine e = Engine.open(bounded)) {
      assertTrue(e.waitLeader(30_000));
      e.join("s0");
      e.join("s1");
      e.addStream("x", "t", 1.0);
      e.addStream("y", "t", 1.0);
      e.flush();
      until("x and y are placed", () -> e.status().version() > 0 && e.locate("x").known() && e.locate("y").known()
          ? Boolean.TRUE : null);
      String xDest = e.locate("x").owner().get().equals("s0") ? "s1" : "s0";
      e.migrate("x", xDest);
      withStatus(e, "x", StreamStatus.MIGRATING);
      e.migrate("y", Optional.empty()); // the bound of 1 is taken by x
      Location y = until("y's migration is queued", () -> {
        Location at = e.locate("y");
        return at.migrationQueued() ? at : null;
      });
      assertEquals(StreamStatus.ACTIVE, y.status());
      assertEquals("the policy chooses the queued migration's destination", Optional.of(""), y.queuedDestination());
      assertEquals(Optional.empty(), e.locate("x").queuedDestination());
      String ySource = y.owner().get();
      e.migrationDone("x", xDest, true);
      y = withStatus(e, "y", StreamStatus.MIGRATING);
      assertFalse(y.migrationQueued());
      assertEquals(Optional.of(ySource), y.migrationSource());
      assertNotEquals(Optional.of(ySource), y.owner());
    }
  }
}
