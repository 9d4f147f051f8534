package org.berth;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** A call on a thread of its own, keeping what it returned or threw: for tests of blocking polls. */
final class Background {
  final Thread thread;
  private final AtomicReference<Object> outcome = new AtomicReference<>();

  private Background(Callable<?> call) {
    thread = new Thread(() -> {
      try {
        outcome.set(call.call());
      } catch (Throwable e) {
        outcome.set(e);
      }
    });
    thread.start();
  }

  static Background start(Callable<?> call) {
    return new Background(call);
  }

  /** What the call returned or threw; null while it runs. */
  Object outcome() {
    return outcome.get();
  }

  /** The call still waits after 300 ms, and ends with InterruptedException once interrupted. */
  void assertWaitsUntilInterrupted() throws InterruptedException {
    thread.join(300);
    assertTrue("a poll for ever returned at once: " + outcome.get(), thread.isAlive());
    thread.interrupt();
    thread.join(2000);
    assertFalse(thread.isAlive());
    assertTrue("ended by " + outcome.get(), outcome.get() instanceof InterruptedException);
  }
}
