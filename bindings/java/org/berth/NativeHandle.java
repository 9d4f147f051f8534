package org.berth;

import java.lang.ref.Cleaner;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Ownership of one native handle: freed by close() or, if the host forgets it, by the Cleaner
 * once the owning object is unreachable. The release action must not reference the owner.
 *
 * <p>Calls that may run while another thread closes the handle (a poll blocked in native code)
 * go through {@link #use}: the handle is freed only once every such call returned, and calls that
 * start after close began throw instead of touching freed memory.
 */
final class NativeHandle implements Runnable {
  static final Cleaner CLEANER = Cleaner.create();

  interface Release {
    void release(long handle);
  }

  /** A native call on the handle. */
  @FunctionalInterface
  interface Call<T> {
    T call(long handle);
  }

  private volatile long handle;
  private volatile boolean closing;
  private final Release release;
  private final String closedMessage;
  // Read side: native calls in progress (any number at once); write side: the free.
  private final ReentrantReadWriteLock inUse = new ReentrantReadWriteLock();

  NativeHandle(long handle, Release release) {
    this(handle, release, "the handle is closed");
  }

  /** {@code closedMessage}: what the StateException {@link #use} throws after close says. */
  NativeHandle(long handle, Release release, String closedMessage) {
    this.handle = handle;
    this.release = release;
    this.closedMessage = closedMessage;
  }

  /** The handle, 0 once freed: for calls that never run concurrently with close. */
  long get() {
    return handle;
  }

  /**
   * Runs {@code call} on the handle; the handle is not freed before it returns.
   *
   * @throws StateException once close began
   */
  <T> T use(Call<T> call) {
    inUse.readLock().lock();
    try {
      long h = handle;
      if (closing || h == 0) {
        throw new StateException(closedMessage);
      }
      return call.call(h);
    } finally {
      inUse.readLock().unlock();
    }
  }

  /** True from the moment close begins. */
  boolean isClosed() {
    return closing || handle == 0;
  }

  /**
   * Frees the handle once every call in {@link #use} returned; calls starting meanwhile throw.
   * Runs at most once (Cleaner.Cleanable guarantees it).
   */
  @Override
  public void run() {
    closing = true;
    inUse.writeLock().lock();
    try {
      long h = handle;
      handle = 0;
      if (h != 0) {
        release.release(h);
      }
    } finally {
      inUse.writeLock().unlock();
    }
  }
}
