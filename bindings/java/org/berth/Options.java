package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.Map;

/**
 * Engine configuration: TOML files or strings, then {@code section.key} overrides, e.g.
 * {@code new Options().set("backend.cluster", "prod").set("engine.node_id", "proxy-1")}.
 * A bad key or value throws {@link ConfigException} naming it.
 */
public final class Options implements AutoCloseable {
  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  public Options() {
    long[] out = new long[1];
    berth_swigJNI.berth_options_new(out);
    handle = new NativeHandle(out[0], berth_swigJNI::berth_options_free);
    cleanable = NativeHandle.CLEANER.register(this, handle);
  }

  /** Options with these overrides; values are converted with String.valueOf (true -> "true"). */
  public static Options of(Map<String, ?> settings) {
    Options o = new Options();
    try {
      settings.forEach((k, v) -> o.set(k, String.valueOf(v)));
      return o;
    } catch (RuntimeException e) {
      o.close();
      throw e;
    }
  }

  long handle() {
    long h = handle.get();
    if (h == 0) {
      throw new StateException("the options are closed");
    }
    return h;
  }

  public Options loadFile(Path path) {
    try {
      berth_swigJNI.berth_options_load_file(handle(), path.toString());
    } finally {
      Reference.reachabilityFence(this);
    }
    return this;
  }

  public Options loadString(String toml, String origin) {
    try {
      berth_swigJNI.berth_options_load_string(handle(), toml, origin);
    } finally {
      Reference.reachabilityFence(this);
    }
    return this;
  }

  public Options loadString(String toml) {
    return loadString(toml, "inline");
  }

  public Options set(String key, String value) {
    try {
      berth_swigJNI.berth_options_set(handle(), key, value);
    } finally {
      Reference.reachabilityFence(this);
    }
    return this;
  }

  public Options set(String key, Object value) {
    return set(key, String.valueOf(value));
  }

  public boolean isClosed() {
    return handle.get() == 0;
  }

  @Override
  public void close() {
    cleanable.clean();
  }
}
