package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ownership feed of one server joined through an engine: when the server may serve a stream,
 * with the promise that no two servers hold one stream at once (docs/ownership.md). Obtained from
 * {@link Engine#ownership(String)}; the host polls it from a thread of its own (no library thread
 * ever calls into the JVM), or hands it to an {@link OwnershipRunner}.
 *
 * <ul>
 *   <li>{@link Kind#ACQUIRE}: start serving the stream; pass the token to the storage written to.
 *   <li>{@link Kind#RELEASE}: finish what is in flight, stop, then {@link #release}. The stream
 *       stays this server's until then (or until the node's lease ends).
 *   <li>{@link Kind#REVOKED}: the claim already ended (at {@code endedNanos}, on the clock of
 *       {@link System#nanoTime()} on Linux: CLOCK_MONOTONIC); stop at once.
 * </ul>
 *
 * <p>{@link #holds} answers "do I hold this stream now, with which token" without a lock: checking
 * it before each write keeps a host inside its claim even when the feed is polled late. Calls may
 * come from any thread; all but {@link #holds} and {@link #token} may run concurrently with
 * {@link #close()} (a poll ends; the feed is freed once they returned).
 * Closing the feed changes nothing the server holds. Closing the engine revokes every claim: the
 * revocations are delivered, then {@link #poll} throws {@link StateException}. The feed keeps its
 * engine reachable.
 *
 * <p>Stream ids are bytes: one that is not valid UTF-8 (another host may add such a stream) comes
 * as a String holding each stray byte as the lone surrogate U+DC80..U+DCFF, as Python's
 * "surrogateescape" does. Handing that String back to {@link #release}, {@link #holds} or
 * {@link Engine#lookup} sends the exact bytes again.
 */
public final class Ownership implements AutoCloseable {
  /** What happened to a stream. */
  public enum Kind {
    /** The server now holds the stream under {@code token}: start serving it. */
    ACQUIRE,
    /** The leader moves the stream elsewhere: stop, then acknowledge with {@link #release}. */
    RELEASE,
    /** The claim ended at {@code endedNanos} (lease lost, server left, engine closed): stop at once. */
    REVOKED
  }

  /**
   * One ownership event.
   *
   * @param kind what happened
   * @param stream the stream id (stray bytes as U+DC80..U+DCFF, as above)
   * @param token the grant's fencing token: it strictly increases per stream across grants
   * @param version the snapshot version that granted the stream or asked for its release; 0 for a
   *     revocation no version caused
   * @param endedNanos for {@link Kind#REVOKED}: when the claim ended, by CLOCK_MONOTONIC; else 0
   */
  public record Event(Kind kind, String stream, long token, long version, long endedNanos) {}

  private final Engine engine;
  private final String server;
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;
  private final ReentrantLock polling = new ReentrantLock();

  Ownership(Engine engine, String server, long handle) {
    this.engine = engine;
    this.server = server;
    this.handle = new NativeHandle(handle, berth_swigJNI::berth_ownership_close,
        "the ownership feed of '" + server + "' is closed");
    this.cleanable = NativeHandle.CLEANER.register(this, this.handle);
  }

  /** For the lock-free calls, which must not run concurrently with close(). */
  private long handle() {
    long h = handle.get();
    if (h == 0 || handle.isClosed()) {
      throw new StateException("the ownership feed of '" + server + "' is closed");
    }
    return h;
  }

  /**
   * The next event, waiting up to {@code timeout}; null if none came in time (as
   * {@link java.util.concurrent.BlockingQueue#poll}). Threads polling one feed take turns (the
   * time spent waiting for a turn counts), and each event goes to one of them.
   *
   * @throws StateException once the engine is closed or the server left (after their revocations
   *     were delivered), or when this feed is closed
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public Event poll(Duration timeout) throws InterruptedException {
    return pollNanos(SlicedPoll.nanos(timeout));
  }

  /**
   * {@link #poll(Duration)} with the timeout in milliseconds (0: does not wait; Long.MAX_VALUE: for
   * ever).
   */
  public Event poll(long timeoutMillis) throws InterruptedException {
    return pollNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis)); // saturates, never wraps
  }

  private Event pollNanos(long timeoutNanos) throws InterruptedException {
    // The native feed refuses a second poll while one runs (the event's bytes live in the feed
    // until its next poll); Java pollers wait for their turn instead, and copy the bytes in it.
    long start = System.nanoTime();
    if (!polling.tryLock(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
      return null;
    }
    berth_ownership_event e = new berth_ownership_event();
    try {
      return SlicedPoll.poll(timeoutNanos - (System.nanoTime() - start), handle, (h, millis) -> {
        berth_swig.berth_ownership_poll(h, millis, e);
        int kind = e.getKind();
        if (kind == berth_swig.BERTH_OWNERSHIP_NONE) {
          return null;
        }
        return new Event(kindOf(kind), Utf8.decode(e.stream_bytes()), e.getToken(), e.getVersion(),
            e.getEnded_ns());
      });
    } finally {
      e.delete();
      polling.unlock();
      Reference.reachabilityFence(this);
    }
  }

  private static Kind kindOf(int kind) {
    if (kind == berth_swig.BERTH_OWNERSHIP_ACQUIRE) {
      return Kind.ACQUIRE;
    }
    if (kind == berth_swig.BERTH_OWNERSHIP_RELEASE) {
      return Kind.RELEASE;
    }
    if (kind == berth_swig.BERTH_OWNERSHIP_REVOKED) {
      return Kind.REVOKED;
    }
    throw new IllegalStateException("unknown ownership event kind " + kind);
  }

  /**
   * Acknowledges that the host stopped serving {@code stream} (asked to or not): from the return
   * on, {@link #holds} is empty for it and the leader hears of it.
   *
   * @throws StateException when the server does not hold the stream under {@code token} (e.g. it
   *     was revoked meanwhile), or the engine is closed
   * @throws InvalidArgumentException for a null or empty id, or one over 64 KiB in UTF-8
   */
  public void release(String stream, long token) {
    try {
      handle.use(h -> {
        berth_swig.berth_ownership_release_stream(h, stream, token);
        return null;
      });
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /**
   * The token under which the server holds {@code stream} now, or empty. Lock-free; the native
   * side allocates nothing (ids up to 85 chars cross on the stack).
   */
  public OptionalLong holds(String stream) {
    long token = token(stream);
    return token < 0 ? OptionalLong.empty() : OptionalLong.of(token);
  }

  /** {@link #holds} without the OptionalLong: the token, or -1 when the server does not hold it. */
  public long token(String stream) {
    try {
      return berth_swig.berth_ownership_token(handle(), stream);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** What the server holds now: stream to token, by stream id (a copy). */
  public Map<String, Long> held() {
    long[] out = new long[1];
    handle.use(h -> {
      berth_swigJNI.berth_held_new(h, out);
      return null;
    });
    long list = out[0];
    try {
      long n = berth_swigJNI.berth_held_count(list);
      Map<String, Long> held = new LinkedHashMap<>();
      String[] id = new String[1];
      long[] token = new long[1];
      for (long i = 0; i < n; ++i) {
        berth_swigJNI.berth_held_stream(list, i, id, token);
        held.put(id[0], token[0]);
      }
      return held;
    } finally {
      berth_swigJNI.berth_held_free(list);
      Reference.reachabilityFence(this);
    }
  }

  /** The server this feed reports on. */
  public String server() {
    return server;
  }

  /** The engine the server joined through. */
  public Engine engine() {
    return engine;
  }

  /** True from the moment {@link #close()} begins. */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /**
   * Frees the feed; what the server holds is unchanged. Idempotent. A poll running on another
   * thread ends first, with {@link StateException}, within one native wait (200 ms).
   */
  @Override
  public void close() {
    cleanable.clean();
  }
}
