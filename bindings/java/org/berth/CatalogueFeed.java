package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The catalogue feed of one server: the work its storage host must do (docs/catalogue.md).
 * Obtained from {@link Engine#catalogueFeed(String)} for any server id (a storage node need not be
 * joined here); the host polls it from a thread of its own.
 *
 * <ul>
 *   <li>{@link Kind#COPY_IN}: copy the stream from {@code source}, then
 *       {@link Engine#migrationDone}.
 *   <li>{@link Kind#PURGE}: delete the stream's data, then {@link Engine#streamPurged}.
 * </ul>
 *
 * <p>Close it when done (try-with-resources); a poll running on another thread then ends with
 * {@link StateException} within one native wait, and the feed is freed once it returned. Closing
 * the engine ends every poll the same way. The feed keeps its engine reachable.
 */
public final class CatalogueFeed implements AutoCloseable {
  /** The work asked for. */
  public enum Kind {
    /** Copy the stream from {@code source}; then {@link Engine#migrationDone}. */
    COPY_IN,
    /** Delete the stream's data; then {@link Engine#streamPurged}. */
    PURGE
  }

  /**
   * One piece of work.
   *
   * @param kind copy in or purge
   * @param stream the stream id (stray bytes as U+DC80..U+DCFF, as {@link Ownership} says)
   * @param source for {@link Kind#COPY_IN}: the server to copy from
   * @param version the version that asked for it
   * @param attempt for {@link Kind#COPY_IN}: failed copies before this one
   */
  public record Event(Kind kind, String stream, Optional<String> source, long version, int attempt) {}

  private final Engine engine;
  private final String server;
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;
  private final ReentrantLock polling = new ReentrantLock();

  CatalogueFeed(Engine engine, String server, long handle) {
    this.engine = engine;
    this.server = server;
    this.handle = new NativeHandle(handle, berth_swigJNI::berth_catalogue_close,
        "the catalogue feed of '" + server + "' is closed");
    this.cleanable = NativeHandle.CLEANER.register(this, this.handle);
  }

  /**
   * The next piece of work, waiting up to {@code timeout}; null if none came in time. Threads
   * polling one feed take turns, and each event goes to one of them.
   *
   * @throws StateException once the engine or the feed is closed
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public Event poll(Duration timeout) throws InterruptedException {
    long timeoutNanos = SlicedPoll.nanos(timeout);
    long start = System.nanoTime();
    if (!polling.tryLock(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
      return null;
    }
    berth_catalogue_event e = new berth_catalogue_event();
    try {
      return SlicedPoll.poll(timeoutNanos - (System.nanoTime() - start), handle, (h, millis) -> {
        berth_swig.berth_catalogue_poll(h, millis, e);
        int kind = e.getKind();
        if (kind == berth_swig.BERTH_CATALOGUE_NONE) {
          return null;
        }
        Kind k = kind == berth_swig.BERTH_CATALOGUE_COPY_IN ? Kind.COPY_IN : Kind.PURGE;
        return new Event(k, Utf8.decode(e.stream_bytes()), Optional.ofNullable(e.getSource()),
            e.getVersion(), e.getAttempt());
      });
    } finally {
      e.delete();
      polling.unlock();
      Reference.reachabilityFence(this);
    }
  }

  /** The server this feed reports on. */
  public String server() {
    return server;
  }

  public Engine engine() {
    return engine;
  }

  /** True from the moment {@link #close()} begins. */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /** Frees the feed; work not polled yet stays with the catalogue. Idempotent. */
  @Override
  public void close() {
    cleanable.clean();
  }
}
