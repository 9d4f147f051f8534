package org.berth.samples;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.berth.Engine;
import org.berth.Events;
import org.berth.Options;
import org.berth.Ownership;
import org.berth.OwnershipRunner;
import org.berth.StateException;

/**
 * A minimal write-proxy host, like DistributedLog's {@code getOwner}: it joins the cluster as a
 * server and, for each stream name it receives (one per line on stdin, UTF-8), answers the
 * server that owns it (one per line on stdout). A real proxy would serve the stream itself when
 * the owner is its own id and redirect the client otherwise.
 *
 * <pre>
 * java -Dberth.jni.library=.../libberthjni.so -cp berth.jar:berth-write-proxy.jar \
 *   org.berth.samples.WriteProxy --server proxy-1:8080 [--capacity 1.0] [--config berth.toml] \
 *   [--set section.key=value ...] [--wait-servers N] [--wait-ms 30000]
 *   [--ownership [--log FILE] [--add-streams N] [--drain-ms 10000]]
 * </pre>
 *
 * <p>With {@code --ownership} it also serves streams: it opens a (simulated) writer for each
 * stream its server acquires and closes it when the stream is released or revoked, through an
 * {@link OwnershipRunner} on a small thread pool, logging {@code open STREAM TOKEN NANOS} and
 * {@code close STREAM TOKEN NANOS} lines (NANOS: {@link System#nanoTime()}, CLOCK_MONOTONIC on
 * Linux, shared by every process of the machine) to {@code --log} (default stderr). A release
 * is acknowledged only after the writer is closed, so two proxies never have one stream's writer
 * open at once. {@code --add-streams N} registers stream-0 ... stream-(N-1). At the end of stdin
 * it shuts down gracefully: drain, wait (up to {@code --drain-ms}) until its streams moved
 * elsewhere, close what is left, leave.
 *
 * With {@code --wait-servers N} it answers only once the snapshot it serves has N servers (a
 * proxy that waits for its cluster to form). Snapshot changes are logged to stderr by a thread
 * polling the engine's event queue: no callback ever runs on a library thread.
 */
public final class WriteProxy {
  private WriteProxy() {}

  public static void main(String[] args) throws Exception {
    String server = null;
    double capacity = 1.0;
    int waitServers = 0;
    long waitMillis = 30_000;
    boolean ownership = false;
    String logPath = null;
    int addStreams = 0;
    long drainMillis = 10_000;
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    try (Options options = new Options()) {
      for (int i = 0; i < args.length; ++i) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--server" -> server = value;
          case "--capacity" -> capacity = Double.parseDouble(value);
          case "--config" -> options.loadFile(Path.of(value));
          case "--set" -> {
            int eq = value == null ? -1 : value.indexOf('=');
            if (eq < 0) {
              usage("--set takes section.key=value");
            }
            options.set(value.substring(0, eq), value.substring(eq + 1));
          }
          case "--wait-servers" -> waitServers = Integer.parseInt(value);
          case "--wait-ms" -> waitMillis = Long.parseLong(value);
          case "--ownership" -> {
            ownership = true;
            --i; // a flag: no value
          }
          case "--log" -> logPath = value;
          case "--add-streams" -> addStreams = Integer.parseInt(value);
          case "--drain-ms" -> drainMillis = Long.parseLong(value);
          default -> usage("unknown argument " + args[i]);
        }
        ++i;
      }
      if (server == null) {
        usage("--server is required");
      }
      options.set("engine.node_id", server);
      Engine engine = new Engine(options);
      Thread watcher = null;
      Writers writers = null;
      try {
        engine.join(server, capacity);
        watcher = watchVersions(engine, server, err);
        if (ownership) {
          PrintStream log = logPath == null ? err
              : new PrintStream(new FileOutputStream(logPath, true), true, StandardCharsets.UTF_8);
          writers = new Writers(engine, server, log);
        }
        for (int i = 0; i < addStreams; ++i) {
          engine.addStream("stream-" + i);
        }
        engine.flush();
        awaitServers(engine, waitServers, waitMillis);
        err.printf("%s: serving version %d with %d servers%n", server, engine.status().version(),
            engine.status().serverCount());
        answerOwners(engine);
        if (writers != null) {
          writers.shutDown(drainMillis);
        }
      } finally {
        engine.close();  // leaves the cluster; the watcher's poll ends with a StateException
      }
      watcher.join(5_000);
    }
  }

  /**
   * The proxy's per-stream writers (simulated: a map of open writers, each with its token), opened
   * and closed from the server's ownership feed by an OwnershipRunner.
   */
  private static final class Writers implements OwnershipRunner.Handler {
    private final Engine engine;
    private final String server;
    private final PrintStream log;
    private final java.util.Map<String, Long> open = new java.util.concurrent.ConcurrentHashMap<>();
    private final Ownership feed;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final OwnershipRunner runner;

    Writers(Engine engine, String server, PrintStream log) {
      this.engine = engine;
      this.server = server;
      this.log = log;
      this.feed = engine.ownership(server);
      this.runner = OwnershipRunner.start(feed, pool, this);
    }

    @Override
    public void start(String stream, long token) {
      open.put(stream, token);
      log.println("open " + stream + " " + token + " " + System.nanoTime());
    }

    @Override
    public void stop(String stream, long token) {
      // A real proxy finishes the writes in flight here, then closes the writer.
      if (open.remove(stream, token)) {
        log.println("close " + stream + " " + token + " " + System.nanoTime());
      }
    }

    /** Drains the server, waits until its streams moved elsewhere, closes what is left. */
    void shutDown(long drainMillis) throws InterruptedException {
      engine.drain(server, true);
      long deadline = System.nanoTime() + drainMillis * 1_000_000L;
      while (!feed.held().isEmpty() && System.nanoTime() - deadline < 0) {
        Thread.sleep(10);
      }
      runner.close();
      for (var writer : open.entrySet()) {  // nowhere to move them: close before the claims end
        stop(writer.getKey(), writer.getValue());
      }
      feed.close();
      pool.shutdown();
    }
  }

  /** getOwner for every stream read from stdin. */
  private static void answerOwners(Engine engine) throws Exception {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String stream; (stream = in.readLine()) != null; ) {
      if (stream.isEmpty()) {
        continue;
      }
      out.println(engine.lookup(stream));
      if (!in.ready()) {
        out.flush();  // answer now when nothing else is waiting
      }
    }
    out.flush();
  }

  private static void awaitServers(Engine engine, int servers, long waitMillis) throws InterruptedException {
    long deadline = System.nanoTime() + waitMillis * 1_000_000L;
    while (engine.status().serverCount() < servers) {
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException("the served snapshot still has " + engine.status().serverCount()
            + " servers after " + waitMillis + " ms, waiting for " + servers);
      }
      Thread.sleep(10);
    }
  }

  /** Logs every snapshot and leadership change, from a thread of our own. */
  private static Thread watchVersions(Engine engine, String server, PrintStream err) {
    Events events = engine.events();
    Thread t = new Thread(() -> {
      try (events) {
        while (true) {
          Events.Event e = events.poll(Duration.ofSeconds(1));
          if (e == null) {
            continue;
          }
          switch (e.kind()) {
            case VERSION -> err.printf("%s: version %d -> %d%n", server, e.oldVersion(), e.version());
            case LEADERSHIP -> err.printf("%s: %s at epoch %d%n", server, e.leader() ? "leading" : "following",
                e.epoch());
            case DEGRADED -> err.printf("%s: degraded mode %s%n", server, e.degraded() ? "entered" : "left");
          }
        }
      } catch (StateException | InterruptedException closed) {
        // the engine closed: nothing more to watch
      }
    }, "berth-events");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void usage(String problem) {
    System.err.println("write-proxy: " + problem);
    System.err.println("usage: WriteProxy --server ID [--capacity C] [--config FILE] [--set section.key=value ...]"
        + " [--wait-servers N] [--wait-ms MS] [--ownership [--log FILE] [--add-streams N] [--drain-ms MS]]");
    System.exit(2);
  }
}
