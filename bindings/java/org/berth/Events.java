package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;

/**
 * Change notifications of one engine as a queue the host polls from a thread of its own: no
 * library thread ever calls into the JVM. Obtained from {@link Engine#events()}.
 *
 * <p>The queue coalesces: a slow consumer sees each kind of change once, with the newest state
 * (versions 3 -> 7 in one event), so it never holds a backlog. It starts from the engine's state
 * when it was opened. Closing the engine makes a waiting {@link #poll} (and every later one) throw
 * {@link StateException}. Polls may run on several threads at once, and concurrently with
 * {@link #close()}: the queue is freed only after every running poll ended. The queue keeps its
 * engine reachable.
 */
public final class Events implements AutoCloseable {
  /** What changed. */
  public enum Kind {
    /** The served snapshot changed: {@code oldVersion -> version}. */
    VERSION,
    /** Leadership gained or lost ({@code leader}), or the epoch moved: {@code oldEpoch -> epoch}. */
    LEADERSHIP,
    /** Degraded mode entered ({@code degraded}) or left. */
    DEGRADED
  }

  /** One change, with the state as delivered so far, itself included (a change still pending comes next). */
  public record Event(Kind kind, long oldVersion, long version, long oldEpoch, long epoch, boolean leader,
      boolean degraded) {}

  private final Engine engine;
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  Events(Engine engine, long handle) {
    this.engine = engine;
    this.handle = new NativeHandle(handle, berth_swigJNI::berth_events_close, "the event queue is closed");
    this.cleanable = NativeHandle.CLEANER.register(this, this.handle);
  }

  /**
   * The next change, waiting up to {@code timeout}; null if none came in time (as
   * {@link java.util.concurrent.BlockingQueue#poll}).
   *
   * @throws StateException once the engine (or this queue) is closed; a poll running when
   *     {@link #close()} begins ends with it within one native wait (200 ms)
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public Event poll(Duration timeout) throws InterruptedException {
    berth_event e = new berth_event();
    try {
      return SlicedPoll.poll(SlicedPoll.nanos(timeout), handle, (h, millis) -> {
        berth_swig.berth_events_poll(h, millis, e);
        if (e.getKind() == berth_swig.BERTH_EVENT_NONE) {
          return null;
        }
        return new Event(Kind.values()[e.getKind() - 1], e.getOld_version(), e.getVersion(), e.getOld_epoch(),
            e.getEpoch(), e.getIs_leader() != 0, e.getDegraded() != 0);
      });
    } finally {
      e.delete();
      Reference.reachabilityFence(this);
    }
  }

  /** The engine this queue reports on. */
  public Engine engine() {
    return engine;
  }

  /** True from the moment {@link #close()} begins. */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /**
   * Frees the queue. Idempotent. A poll running on another thread ends first, with
   * {@link StateException}, within one native wait (200 ms).
   */
  @Override
  public void close() {
    cleanable.clean();
  }
}
