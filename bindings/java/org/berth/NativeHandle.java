package org.berth;

import java.lang.ref.Cleaner;

/**
 * Ownership of one native handle: freed by close() or, if the host forgets it, by the Cleaner
 * once the owning object is unreachable. The release action must not reference the owner.
 */
final class NativeHandle implements Runnable {
  static final Cleaner CLEANER = Cleaner.create();

  interface Release {
    void release(long handle);
  }

  private volatile long handle;
  private final Release release;

  NativeHandle(long handle, Release release) {
    this.handle = handle;
    this.release = release;
  }

  long get() {
    return handle;
  }

  /** Runs at most once (Cleaner.Cleanable guarantees it). */
  @Override
  public void run() {
    long h = handle;
    handle = 0;
    if (h != 0) {
      release.release(h);
    }
  }
}
