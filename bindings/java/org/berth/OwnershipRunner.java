package org.berth;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a host's {@code start} / {@code stop} callbacks for the streams of one ownership feed, on
 * an {@link Executor} the host gives. A thread of the runner's own polls the feed:
 *
 * <ul>
 *   <li>ACQUIRE: {@code start(stream, token)};
 *   <li>RELEASE: {@code stop(stream, token)}, then {@link Ownership#release} once stop returned,
 *       so the stream is granted elsewhere only after the host stopped serving it;
 *   <li>REVOKED: {@code stop(stream, token)} (the claim already ended; nothing to release).
 * </ul>
 *
 * <p>Callbacks of one stream run one at a time, in the order of the feed's events (a stream's
 * start never runs concurrently with, or after, a later stop of it); callbacks of different
 * streams run in parallel as the executor allows. A callback that throws is reported to
 * {@link Handler#failed}; a stop that throws still counts as stopped (its release follows). A
 * release the feed refuses while the stream is still held under the token is reported there too.
 *
 * <pre>
 * try (Ownership feed = engine.ownership("proxy-1");
 *      OwnershipRunner runner = OwnershipRunner.start(feed, pool, handler)) {
 *   ...
 * }
 * </pre>
 *
 * Close the runner before its feed (try-with-resources does, as above): a feed closed first stops
 * the poll thread, leaves the releases asked for unacknowledged (their hand-offs stall until the
 * lease ends), and makes {@link #close()} throw. When the engine closes, the runner delivers the
 * revocations (stops) and its poll thread ends; {@link #close()} then only waits for the
 * callbacks.
 */
public final class OwnershipRunner implements AutoCloseable {
  /** The host's side: what to do when a stream is acquired or must stop. */
  public interface Handler {
    /** Start serving {@code stream}; {@code token} fences the storage writes of this grant. */
    void start(String stream, long token) throws Exception;

    /** Stop serving {@code stream} (finish what is in flight first when it is a release). */
    void stop(String stream, long token) throws Exception;

    /** A callback threw, or the executor refused it; by default printed to stderr. */
    default void failed(String stream, long token, Throwable error) {
      System.err.println("berth ownership: callback for '" + stream + "' (token " + token + ") failed: " + error);
    }
  }

  /** The pending callbacks of one stream, run in order by one task at a time. */
  private final class Lane implements Runnable {
    final String stream;
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

    Lane(String stream) {
      this.stream = stream;
    }

    @Override
    public void run() {
      while (true) {
        Runnable task;
        synchronized (lanes) {
          task = tasks.poll();
          if (task == null) {
            lanes.remove(stream);
            lanes.notifyAll();
            return;
          }
        }
        task.run();
      }
    }
  }

  private static final long POLL_MILLIS = 100;

  private final Ownership feed;
  private final Executor executor;
  private final Handler handler;
  private final Map<String, Lane> lanes = new HashMap<>(); // streams with callbacks pending or running
  private final Thread poller;
  private volatile boolean stopping;
  private volatile Throwable pollFailure;

  private OwnershipRunner(Ownership feed, Executor executor, Handler handler) {
    this.feed = feed;
    this.executor = executor;
    this.handler = handler;
    this.poller = new Thread(this::pollLoop, "berth-ownership-" + feed.server());
    this.poller.setDaemon(true);
  }

  /** Starts polling {@code feed} and running {@code handler}'s callbacks on {@code executor}. */
  public static OwnershipRunner start(Ownership feed, Executor executor, Handler handler) {
    Objects.requireNonNull(feed, "OwnershipRunner.start: feed is null");
    Objects.requireNonNull(executor, "OwnershipRunner.start: executor is null");
    Objects.requireNonNull(handler, "OwnershipRunner.start: handler is null");
    if (feed.isClosed()) {
      throw new StateException("OwnershipRunner.start: the ownership feed of '" + feed.server() + "' is closed");
    }
    OwnershipRunner runner = new OwnershipRunner(feed, executor, handler);
    runner.poller.start();
    return runner;
  }

  private void pollLoop() {
    try {
      while (!stopping) {
        Ownership.Event e = feed.poll(POLL_MILLIS);
        if (e == null) {
          continue;
        }
        String stream = e.stream();
        long token = e.token();
        switch (e.kind()) {
          case ACQUIRE -> submit(stream, token, () -> handler.start(stream, token));
          case RELEASE -> submit(stream, token, () -> {
            try {
              handler.stop(stream, token);
            } finally {
              release(stream, token);
            }
          });
          case REVOKED -> submit(stream, token, () -> handler.stop(stream, token));
        }
      }
    } catch (StateException ended) {
      if (feed.isClosed()) {
        // Nobody acknowledges the releases asked for from now on: their hand-offs would stall.
        pollFailure = new IllegalStateException("the ownership feed of '" + feed.server()
            + "' was closed before its runner; close the runner first", ended);
      }
      // else the engine closed or the server left: every revocation was delivered
    } catch (InterruptedException interrupted) {
      // close() asked the thread to end
    } catch (RuntimeException | Error e) {
      pollFailure = e;
    }
  }

  private void release(String stream, long token) {
    try {
      feed.release(stream, token);
    } catch (StateException refused) {
      // held(), unlike token(), may run while the host closes the feed.
      if (feed.isClosed() || Long.valueOf(token).equals(feed.held().get(stream))) {
        // Still held under this token, and unacknowledged: the hand-off stalls until the lease
        // ends. Reported (Handler.failed), never taken for a revocation.
        throw refused;
      }
      // else revoked meanwhile (or the engine closed): nothing is held under this token any more
    }
  }

  private interface Callback {
    void run() throws Exception;
  }

  private void submit(String stream, long token, Callback callback) {
    Runnable task = () -> {
      try {
        callback.run();
      } catch (Exception | Error e) {
        handler.failed(stream, token, e);
      }
    };
    Lane lane;
    synchronized (lanes) {
      lane = lanes.get(stream);
      if (lane != null) {
        lane.tasks.add(task);
        return;
      }
      lane = new Lane(stream);
      lane.tasks.add(task);
      lanes.put(stream, lane);
    }
    try {
      executor.execute(lane);
    } catch (RejectedExecutionException refused) {
      synchronized (lanes) {
        lanes.remove(stream);
        lanes.notifyAll();
      }
      handler.failed(stream, token, refused);
    }
  }

  /** True while the poll thread runs (it ends on close, or once the engine closed). */
  public boolean isPolling() {
    return poller.isAlive();
  }

  /** The feed this runner polls. */
  public Ownership feed() {
    return feed;
  }

  /**
   * Stops the poll thread and waits for it and for every callback already submitted (a release
   * after its stop included). What the server holds is unchanged; the feed stays open.
   */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    poller.join();
    synchronized (lanes) {
      while (!lanes.isEmpty()) {
        lanes.wait();
      }
    }
    Throwable failure = pollFailure;
    if (failure != null) {
      throw new IllegalStateException(
          "the ownership poll thread of '" + feed.server() + "' failed: " + failure.getMessage(), failure);
    }
  }
}
