package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * An embedded Berth engine: loads the plugins, connects the backend and joins the election on
 * open; leaves membership and the election on {@link #close()} (or, if the host forgets, when the
 * Cleaner finds it unreachable). Methods may be called from any thread, but not concurrently with
 * close().
 */
public final class Engine implements AutoCloseable {
  /** What the engine serves now. */
  public record Status(long version, long epoch, boolean isLeader, boolean degraded, int serverCount,
      long streamCount) {}

  /**
   * Balance, refresh and ownership metrics of this node. Hand-offs (started, completed, stalled)
   * are counted by the leader while it leads; {@code streamsReleasing}, {@code streamsUnheld} and
   * {@code streamsHeld} are current counts; {@code unheldStreamSeconds} sums streamsUnheld over time.
   * {@code rulesHash} is an unsigned 64-bit value carried in a signed long.
   */
  public record Metrics(long version, double maxLoad, double minLoad, double maxOverLowerBound,
      double refreshMs, long refreshOk, long refreshFailed, long movedStreams,
      double movedLoadFraction, long lookupsUnknown, long oversizedStreams, long snapshotsRejected,
      long intakeRejected, long rulesHash, long rulesRefused, long rulesProblems, long rulesKeptOwner,
      long rulesViolations, long handoffsStarted, long handoffsCompleted, long handoffsStalled,
      long streamsReleasing, long streamsUnheld, double unheldStreamSeconds, long leasesLost,
      long streamsHeld) {}

  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  /** An owner's Java copy, keyed by the address of the engine's string (stable until close). */
  private static final class Owner {
    final long address;
    final String name;

    Owner(long address, String name) {
      this.address = address;
      this.name = name;
    }
  }

  /**
   * Per thread: a direct buffer lookups write their ids' UTF-8 into, and its address, so the JNI
   * calls pass numbers only and the native side calls back into no JNI function
   * (berth_java_lookup.i). Grown for large batches.
   */
  private static final class Scratch {
    ByteBuffer buffer;
    long address;

    Scratch() {
      allocate(4096);
    }

    private void allocate(int bytes) {
      buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
      address = berth_swigJNI.berth_java_direct_address(buffer);
    }

    void ensure(long bytes) {
      if (bytes > buffer.capacity()) {
        if (bytes > Integer.MAX_VALUE - 64) {
          throw new InvalidArgumentException("a batch of " + bytes + " bytes is too large; split it");
        }
        allocate((int) Math.min(Integer.MAX_VALUE - 64, Math.max(bytes, 2L * buffer.capacity())));
      }
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final int OWNER_CACHE_SIZE = 1024; // a power of two
  // Direct-mapped; racy by design: entries are immutable, a lost update only costs a miss.
  private final Owner[] owners = new Owner[OWNER_CACHE_SIZE];

  /** Opens an engine; the options may be closed afterwards. */
  public Engine(Options options) {
    long[] out = new long[1];
    try {
      berth_swigJNI.berth_engine_open(options == null ? 0 : options.handle(), out);
    } finally {
      Reference.reachabilityFence(options);
    }
    handle = new NativeHandle(out[0], berth_swigJNI::berth_engine_close);
    cleanable = NativeHandle.CLEANER.register(this, handle);
  }

  public static Engine open(Options options) {
    return new Engine(options);
  }

  /** Opens an engine with these {@code section.key} settings. */
  public static Engine open(Map<String, ?> settings) {
    try (Options o = Options.of(settings)) {
      return new Engine(o);
    }
  }

  /** The library's release, e.g. "0.1.0". */
  public static String version() {
    return berth_swigJNI.berth_version();
  }

  /** The host C API version of the libberth this process runs: {major, minor}. */
  public static int[] apiVersion() {
    int packed = berth_swigJNI.berth_api_version();
    return new int[] {packed >>> 16, packed & 0xFFFF};
  }

  private long handle() {
    long h = handle.get();
    if (h == 0) {
      throw new StateException("the engine is closed");
    }
    return h;
  }

  /** The server that owns {@code stream}; unknown streams are placed deterministically. */
  public String lookup(String stream) {
    long address;
    try {
      address = ownerAddress(stream);
    } finally {
      Reference.reachabilityFence(this);
    }
    return ownerName(address);
  }

  /** The Java copy of the owner name at {@code address}, cached by address. */
  private String ownerName(long address) {
    int slot = (int) (address ^ (address >>> 4) ^ (address >>> 12)) & (OWNER_CACHE_SIZE - 1);
    Owner o = owners[slot];
    if (o == null || o.address != address) {
      o = new Owner(address, berth_swigJNI.berth_java_owner_name(address));
      owners[slot] = o;
    }
    return o.name;
  }

  /** The address of the owner's name: ASCII ids through the thread's buffer, others as Strings. */
  private long ownerAddress(String stream) {
    if (stream == null) { // the C API's error for a NULL id, as before
      return berth_swigJNI.berth_engine_lookup(handle(), null);
    }
    int n = stream.length();
    Scratch scratch = SCRATCH.get();
    if (n <= scratch.buffer.capacity()) {
      ByteBuffer b = scratch.buffer;
      int i = 0;
      for (char c; i < n && (c = stream.charAt(i)) < 0x80; ++i) {
        b.put(i, (byte) c); // ASCII is its own UTF-8
      }
      if (i == n) {
        return berth_swigJNI.berth_java_lookup_utf8(handle(), scratch.address, n);
      }
    }
    return berth_swigJNI.berth_engine_lookup(handle(), stream);
  }

  /** The owners of many streams at once, all answered from one snapshot. */
  public String[] lookupBatch(String... streams) {
    // The block berth_java_lookup.i reads: count | owners[count] | ends[count] | UTF-8 of the ids.
    int n = streams.length;
    long chars = 0;
    for (String s : streams) {
      chars += s == null ? 0 : s.length();
    }
    Scratch scratch = SCRATCH.get();
    long header = 8 + 12L * n;
    scratch.ensure(header + 3 * chars);
    ByteBuffer b = scratch.buffer;
    b.putLong(0, n);
    int endsAt = 8 + 8 * n;
    int bytesAt = (int) header;
    int pos = bytesAt;
    for (int i = 0; i < n; ++i) {
      String s = streams[i];
      if (s != null) { // null: an empty id, which the C API rejects naming its index
        pos = Utf8.encode(s, b, pos);
      }
      b.putInt(endsAt + 4 * i, pos - bytesAt);
    }
    try {
      berth_swigJNI.berth_java_lookup_batch_utf8(handle(), scratch.address);
    } finally {
      Reference.reachabilityFence(this);
    }
    String[] owners = new String[n];
    for (int i = 0; i < n; ++i) {
      owners[i] = ownerName(b.getLong(8 + 8 * i));
    }
    return owners;
  }

  public void join(String serverId, double capacity) {
    try {
      berth_swigJNI.berth_engine_join(handle(), serverId, capacity);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public void join(String serverId) {
    join(serverId, 1.0);
  }

  /**
   * Registers a server with labels rules select servers by: "zone=a,rack=r1,ssd" (key=value pairs
   * and bare tags). Joining again replaces them; a malformed label throws
   * {@link InvalidArgumentException} naming it.
   */
  public void join(String serverId, double capacity, String labels) {
    try {
      berth_swigJNI.berth_engine_join_labeled(handle(), serverId, capacity, labels);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /**
   * The same with labels as a map: a null or "" value is a bare tag (parsed labels give "" for a
   * tag). A null, empty or ',' / '=' holding key, or a value holding ',', throws
   * {@link InvalidArgumentException} naming the label.
   */
  public void join(String serverId, double capacity, Map<String, String> labels) {
    join(serverId, capacity, Args.labelsText(labels));
  }

  public void leave(String serverId) {
    try {
      berth_swigJNI.berth_engine_leave(handle(), serverId);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Tells the leader about a stream, its tenant ("" for none) and its load (NaN if unknown). */
  public void addStream(String stream, String tenant, double load) {
    try {
      berth_swigJNI.berth_engine_add_stream(handle(), stream, tenant, load);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public void addStream(String stream) {
    addStream(stream, "", Double.NaN);
  }

  public void removeStream(String stream) {
    try {
      berth_swigJNI.berth_engine_remove_stream(handle(), stream);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public void reportLoad(String stream, double load) {
    try {
      berth_swigJNI.berth_engine_report_load(handle(), stream, load);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public void flush() {
    try {
      berth_swigJNI.berth_engine_flush(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Leader only: rebalance and publish now ({@link StateException} on a follower). */
  public void refresh() {
    try {
      berth_swigJNI.berth_engine_refresh(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public void resign() {
    try {
      berth_swigJNI.berth_engine_resign(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Blocks until a snapshot of at least {@code version} is served ({@link TimeoutException}). */
  public void waitVersion(long version, long timeoutMillis) {
    try {
      berth_swigJNI.berth_engine_wait_version(handle(), version, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Polls until this engine leads; false if it does not within the timeout. */
  public boolean waitLeader(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!status().isLeader()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  public Status status() {
    berth_engine_status st = new berth_engine_status();
    try {
      berth_swig.berth_engine_status_get(handle(), st);
      return new Status(st.getVersion(), st.getEpoch(), st.getIs_leader() != 0, st.getDegraded() != 0,
          st.getServer_count(), st.getStream_count());
    } finally {
      st.delete();
      Reference.reachabilityFence(this);
    }
  }

  public Metrics metrics() {
    berth_metrics m = new berth_metrics();
    try {
      berth_swig.berth_engine_metrics_get(handle(), m);
      return new Metrics(m.getVersion(), m.getMax_load(), m.getMin_load(), m.getMax_over_lb(),
          m.getRefresh_ms(), m.getRefresh_ok(), m.getRefresh_failed(), m.getMoved_streams(),
          m.getMoved_load_fraction(), m.getLookups_unknown(), m.getOversized_streams(),
          m.getSnapshots_rejected(), m.getIntake_rejected(), m.getRules_hash(),
          m.getRules_refused(), m.getRules_problems(), m.getRules_kept_owner(),
          m.getRules_violations(), m.getHandoffs_started(), m.getHandoffs_completed(),
          m.getHandoffs_stalled(), m.getStreams_releasing(), m.getStreams_unheld(),
          m.getUnheld_stream_seconds(), m.getLeases_lost(), m.getStreams_held());
    } finally {
      m.delete();
      Reference.reachabilityFence(this);
    }
  }

  /** Prometheus text exposition of every metric. */
  public String metricsText() {
    String[] out = new String[1];
    try {
      berth_swigJNI.berth_engine_metrics_text(handle(), out);
    } finally {
      Reference.reachabilityFence(this);
    }
    return out[0];
  }

  /** The snapshot served now ({@link NotFoundException} before the first). Close it when done. */
  public Snapshot snapshot() {
    long[] out = new long[1];
    try {
      berth_swigJNI.berth_engine_snapshot(handle(), out);
    } finally {
      Reference.reachabilityFence(this);
    }
    return new Snapshot(out[0]);
  }

  /** A new queue of change events (version, leadership, degraded mode) to poll; close it when done. */
  public Events events() {
    long[] out = new long[1];
    try {
      berth_swigJNI.berth_events_open(handle(), out);
    } finally {
      Reference.reachabilityFence(this);
    }
    return new Events(this, out[0]);
  }

  /**
   * The ownership feed of {@code serverId}, a server joined through this engine
   * ({@link NotFoundException} otherwise); close it when done. Several feeds of one server share
   * its events: each event goes to one of them.
   */
  public Ownership ownership(String serverId) {
    long[] out = new long[1];
    try {
      berth_swigJNI.berth_ownership_open(handle(), serverId, out);
    } finally {
      Reference.reachabilityFence(this);
    }
    return new Ownership(this, serverId, out[0]);
  }

  /**
   * Marks {@code serverId} (joined through this engine) draining: its streams are handed off and it
   * takes no new ones; {@code false} makes it take streams again. A graceful shutdown: drain, wait
   * until the server's feed holds nothing, leave.
   */
  public void drain(String serverId, boolean draining) {
    try {
      berth_swigJNI.berth_engine_drain(handle(), serverId, draining ? 1 : 0);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  // ---- the catalogue (docs/catalogue.md): CatalogueCalls makes the native calls ----

  /** Runs {@code call} on the engine's handle, keeping the engine reachable. */
  private <T> T onHandle(NativeHandle.Call<T> call) {
    try {
      return call.call(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /**
   * Sets the parts of a server that {@code change} names (the others stay as they are), from any
   * node: it goes to the leader and shows from its next refresh (a drain or a seal at once).
   *
   * @throws InvalidArgumentException when the change sets nothing or a bad value
   */
  public void setServer(ServerChange change) {
    java.util.Objects.requireNonNull(change, "change");
    onHandle(h -> {
      CatalogueCalls.setServer(h, change);
      return null;
    });
  }

  /** Drops everything operators set on {@code serverId} ({@link NotFoundException} when nothing was). */
  public void removeServer(String serverId) {
    String id = Args.serverId(serverId, "server id");
    onHandle(h -> berth_swig.berth_engine_server_remove(h, id));
  }

  /** Everything the served snapshot says of {@code stream} ({@link UnavailableException} before the first). */
  public Location locate(String stream) {
    String id = Args.streamId(stream);
    return onHandle(h -> CatalogueCalls.locate(h, id));
  }

  /**
   * Asks the leader to move {@code stream} to {@code destination}; empty: the policy chooses.
   *
   * @throws NotFoundException for an unknown stream or destination
   * @throws StateException for a destination not up, a stream migrating already or migrated too
   *     recently (the message says how long is left)
   */
  public void migrate(String stream, java.util.Optional<String> destination) {
    String id = Args.streamId(stream);
    String to = java.util.Objects.requireNonNull(destination, "destination").orElse(null);
    if (to != null) {
      Args.serverId(to, "destination");
    }
    onHandle(h -> berth_swig.berth_stream_migrate(h, id, to));
  }

  /** {@link #migrate(String, java.util.Optional)} to {@code destination}. */
  public void migrate(String stream, String destination) {
    migrate(stream, java.util.Optional.of(Args.serverId(destination, "destination")));
  }

  /** {@code serverId}'s host copied {@code stream} ({@code ok}: active there only) or failed to. */
  public void migrationDone(String stream, String serverId, boolean ok) {
    String id = Args.streamId(stream);
    String server = Args.serverId(serverId, "server id");
    onHandle(h -> berth_swig.berth_migration_done(h, id, server, ok ? 1 : 0));
  }

  /** Deletes {@code stream}, cancelling its migration; its locations are offered for purging. */
  public void deleteStream(String stream) {
    String id = Args.streamId(stream);
    onHandle(h -> berth_swig.berth_stream_delete(h, id));
  }

  /** {@code serverId}'s host deleted {@code stream}'s data ({@link StateException}: no such purge). */
  public void streamPurged(String stream, String serverId) {
    String id = Args.streamId(stream);
    String server = Args.serverId(serverId, "server id");
    onHandle(h -> berth_swig.berth_stream_purged(h, id, server));
  }

  /** The work {@code serverId}'s host must do (copy-ins, purges); close it when done. */
  public CatalogueFeed catalogueFeed(String serverId) {
    String id = Args.serverId(serverId, "server id");
    long[] out = new long[1];
    onHandle(h -> berth_swig.berth_catalogue_open(h, id, out));
    return new CatalogueFeed(this, id, out[0]);
  }

  /**
   * Checks {@code script} against the served snapshot and submits it to the leader, which checks
   * it again; the rules in force stay until it passes there.
   *
   * @return the script's hash (an unsigned 64-bit value carried in a signed long) and the version
   *     it replaces
   * @throws ConfigException if it does not compile or fails on this cluster (every problem listed)
   */
  public PushedRules pushRules(String script) {
    java.util.Objects.requireNonNull(script, "script");
    if (script.isEmpty()) {
      throw new InvalidArgumentException("the rules script is empty");
    }
    return onHandle(h -> CatalogueCalls.pushRules(h, script));
  }

  /**
   * Waits until this engine serves the rules of {@code hash}; their version.
   *
   * @param hash the rules' hash as {@link PushedRules#hash()} or {@link Rules#hash()} give it: an
   *     unsigned 64-bit value carried in a signed long, so it may be negative (print it with
   *     {@link Long#toUnsignedString(long)})
   * @throws TimeoutException when the leader refused them or has not refreshed in time
   */
  public long waitRules(long hash, java.time.Duration timeout) {
    int ms = Args.timeoutMillis(timeout);
    return onHandle(h -> CatalogueCalls.waitRules(h, hash, ms));
  }

  /**
   * Marks {@code serverId} for data migration ({@code mark} false: clears the mark), from any node:
   * the leader migrates its streams out within the catalogue's bounds while it is published
   * draining. {@code checkOnly}: the checks only, nothing sent.
   *
   * @return the served snapshot's figures for the server
   * @throws NotFoundException for a server the served snapshot does not have
   * @throws StateException for a read-only server, one marked already, or a mark to clear that is
   *     not there
   */
  public ServerMigration migrateServer(String serverId, boolean mark, boolean checkOnly) {
    String id = Args.serverId(serverId, "server id");
    return onHandle(h -> MigrationCalls.migrateServer(h, id, mark, checkOnly));
  }

  /** Why the served snapshot puts {@code stream} where it does ({@link UnavailableException} before the first). */
  public PlacementWhy locateWhy(String stream) {
    String id = Args.streamId(stream);
    return onHandle(h -> MigrationCalls.locateWhy(h, id));
  }

  /** A named number about {@code serverId} for the leader's weigher, from its next refresh. */
  public void reportSignal(String serverId, String name, double value) {
    String id = Args.serverId(serverId, "server id");
    String signal = Args.serverId(name, "signal name");
    double v = Args.finite(value, "signal value");
    onHandle(h -> berth_swig.berth_engine_report_signal(h, id, signal, v));
  }

  public boolean isClosed() {
    return handle.get() == 0;
  }

  /** Leaves membership and the election and frees everything. Idempotent. */
  @Override
  public void close() {
    cleanable.clean();
  }
}
