package org.berth;

/**
 * The wait shared by the polled queues ({@link Events}, {@link Ownership}): a long wait is made of
 * native waits of at most {@link #SLICE_MILLIS}, so {@link Thread#interrupt()} is noticed between
 * them, and each native wait runs under {@link NativeHandle#use}, so closing the queue on another
 * thread ends the wait (within one slice) before the queue is freed.
 */
final class SlicedPoll {
  /** The longest native wait. */
  static final long SLICE_MILLIS = 200;

  /** One native poll of {@code handle}: waits up to {@code millis} and gives null when nothing came. */
  @FunctionalInterface
  interface Once<T> {
    T poll(long handle, int millis);
  }

  private SlicedPoll() {}

  /** {@code timeout} in nanoseconds, Long.MAX_VALUE for one too long to count in them. */
  static long nanos(java.time.Duration timeout) {
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return timeout.isNegative() ? 0 : Long.MAX_VALUE;
    }
  }

  /**
   * Calls {@code once} until it gives something, or {@code timeoutNanos} passed (0 or less: one
   * poll that does not wait); null then.
   *
   * @throws StateException once {@code queue} is closing (from the next native wait on)
   * @throws InterruptedException if the thread is interrupted before or between native waits
   */
  static <T> T poll(long timeoutNanos, NativeHandle queue, Once<T> once) throws InterruptedException {
    // Capped so that the deadline arithmetic below cannot overflow: Long.MAX_VALUE means for ever.
    long deadline = System.nanoTime() + Math.min(Math.max(0, timeoutNanos), Long.MAX_VALUE / 4);
    while (true) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      long left = Math.max(0, (deadline - System.nanoTime() + 999_999L) / 1_000_000L); // rounded up
      int millis = (int) Math.min(left, SLICE_MILLIS);
      T got = queue.use(h -> once.poll(h, millis));
      if (got != null) {
        return got;
      }
      if (System.nanoTime() - deadline >= 0) {
        return null;
      }
    }
  }
}
