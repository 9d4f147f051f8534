package org.berth;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.Map;

/**
 * The library's log lines in the host's logging: SLF4J when its API is on the class path, else
 * {@link System.Logger} (java.util.logging unless configured otherwise). Loggers are named
 * {@code berth} for the engine and {@code berth.<plugin>} for a plugin's lines:
 * {@code berth.zookeeper} for the ZooKeeper backend and the ZooKeeper client library. With SLF4J,
 * the engine's node id is in the MDC as {@code berth.node} while a line is logged.
 *
 * <p>Started when the native library loads: a daemon thread drains the library's log queue, so no
 * library thread ever calls into the JVM. The library filters before anything is queued
 * ({@link #setLevel}, INFO at first); the host's logger levels apply on top. When the queue is
 * full, lines are dropped and the next line that gets through is preceded by a WARN saying how
 * many.
 */
public final class Logs {
  /** The library's level filter. */
  public enum Level {
    DEBUG(berth_swig.BERTH_LOG_DEBUG),
    INFO(berth_swig.BERTH_LOG_INFO),
    WARN(berth_swig.BERTH_LOG_WARN),
    ERROR(berth_swig.BERTH_LOG_ERROR),
    /** No line at all. */
    OFF(berth_swig.BERTH_LOG_OFF);

    final int code;

    Level(int code) {
      this.code = code;
    }

    /** The level of a library code; ERROR for a code this binding does not know. */
    static Level of(int code) {
      for (Level l : values()) {
        if (l.code == code) {
          return l;
        }
      }
      return ERROR;
    }

    /** 0 (DEBUG) to 3 (ERROR): a line's index into a sink's per-level tables. */
    static int rank(int code) {
      return Math.min(of(code).ordinal(), ERROR.ordinal());
    }
  }

  /** Lines the library holds for the drain thread before it drops new ones. */
  public static final int CAPACITY = 10000;

  private static Drain drain;

  private Logs() {}

  /** Sets the library's filter: lines below {@code level} are never made. */
  public static void setLevel(Level level) {
    berth_swig.berth_log_set_level(level.code);
  }

  /** The library's filter in force. */
  public static Level level() {
    return Level.of(berth_swig.berth_log_level());
  }

  /** Where lines go: "slf4j", "system" (System.Logger), or "stderr" when the queue could not open. */
  public static synchronized String sink() {
    return drain == null ? "stderr" : drain.sink.name();
  }

  /** Lines dropped because the queue was full, since the drain started. */
  public static synchronized long dropped() {
    if (drain == null) {
      return 0;
    }
    try {
      return drain.queue.use(berth_swig::berth_log_dropped);
    } catch (StateException e) {
      return 0;
    }
  }

  /** Opens the queue and starts the drain thread; called once the native library is loaded. */
  static synchronized void start() {
    if (drain != null) {
      return;
    }
    long[] out = new long[1];
    try {
      berth_swig.berth_log_open(CAPACITY, out);
    } catch (BerthException e) {
      return;  // another host of this process holds the queue: the lines stay where it sends them
    }
    drain = new Drain(new NativeHandle(out[0], berth_swigJNI::berth_log_close, "the log queue is closed"),
        Sink.make());
    Thread t = new Thread(drain, "berth-log");
    t.setDaemon(true);
    t.start();
  }

  private static final class Drain implements Runnable {
    final NativeHandle queue;
    final Sink sink;
    private long reported;

    Drain(NativeHandle queue, Sink sink) {
      this.queue = queue;
      this.sink = sink;
    }

    @Override
    public void run() {
      berth_log_record record = new berth_log_record();
      int[] count = new int[1];
      try {
        while (true) {
          queue.use(h -> {
            berth_swig.berth_log_poll(h, record, 1, 200, count);
            return null;
          });
          if (count[0] == 0) {
            continue;
          }
          long total = queue.use(berth_swig::berth_log_dropped);
          if (total > reported) {
            sink.log("berth", berth_swig.BERTH_LOG_WARN, "",
                (total - reported) + " log line(s) of the library dropped: its queue was full");
            reported = total;
          }
          String source = record.getSource();
          sink.log("berth".equals(source) ? "berth" : "berth." + source, record.getLevel(), record.getNode(),
              record.getMessage());
        }
      } catch (StateException e) {
        // closed
      } finally {
        record.delete();
      }
    }
  }

  /** SLF4J through method handles (no compile-time dependency), or System.Logger. */
  private abstract static class Sink {
    abstract String name();

    abstract void log(String logger, int level, String node, String message);

    static Sink make() {
      try {
        return new Slf4j();
      } catch (ReflectiveOperationException | LinkageError e) {
        return new SystemLogger();
      }
    }
  }

  private static final class Slf4j extends Sink {
    private final MethodHandle getLogger;
    private final MethodHandle[] enabled = new MethodHandle[4];
    private final MethodHandle[] write = new MethodHandle[4];
    private final MethodHandle mdcPut;
    private final MethodHandle mdcRemove;
    private final Map<String, Object> loggers = new HashMap<>();

    Slf4j() throws ReflectiveOperationException {
      ClassLoader loader = Logs.class.getClassLoader();
      Class<?> factory = Class.forName("org.slf4j.LoggerFactory", true, loader);
      Class<?> logger = Class.forName("org.slf4j.Logger", true, loader);
      Class<?> mdc = Class.forName("org.slf4j.MDC", true, loader);
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      getLogger = lookup.findStatic(factory, "getLogger", MethodType.methodType(logger, String.class));
      String[] names = {"debug", "info", "warn", "error"};
      for (int i = 0; i < 4; i++) {
        String capital = Character.toUpperCase(names[i].charAt(0)) + names[i].substring(1);
        enabled[i] = lookup.findVirtual(logger, "is" + capital + "Enabled", MethodType.methodType(boolean.class));
        write[i] = lookup.findVirtual(logger, names[i], MethodType.methodType(void.class, String.class));
      }
      mdcPut = lookup.findStatic(mdc, "put", MethodType.methodType(void.class, String.class, String.class));
      mdcRemove = lookup.findStatic(mdc, "remove", MethodType.methodType(void.class, String.class));
    }

    @Override
    String name() {
      return "slf4j";
    }

    @Override
    void log(String name, int level, String node, String message) {
      int i = Level.rank(level);
      try {
        Object logger = loggers.get(name);
        if (logger == null) {
          logger = getLogger.invoke(name);
          loggers.put(name, logger);
        }
        if (!(boolean) enabled[i].invoke(logger)) {
          return;
        }
        mdcPut.invoke("berth.node", node);
        try {
          write[i].invoke(logger, message);
        } finally {
          mdcRemove.invoke("berth.node");
        }
      } catch (Throwable t) {
        // A logging backend that fails loses the line, never the drain thread.
      }
    }
  }

  private static final class SystemLogger extends Sink {
    private static final System.Logger.Level[] LEVELS = {
      System.Logger.Level.DEBUG, System.Logger.Level.INFO, System.Logger.Level.WARNING, System.Logger.Level.ERROR
    };

    @Override
    String name() {
      return "system";
    }

    @Override
    void log(String name, int level, String node, String message) {
      System.getLogger(name).log(LEVELS[Level.rank(level)], message);
    }
  }
}
