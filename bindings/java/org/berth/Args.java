package org.berth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Argument checks made before a call crosses the C API: a null is a NullPointerException naming
 * the argument, an empty id or a number that is not finite an {@link InvalidArgumentException}.
 */
final class Args {
  private Args() {}

  static String serverId(String id, String what) {
    Objects.requireNonNull(id, what);
    if (id.isEmpty()) {
      throw new InvalidArgumentException("the " + what + " is empty");
    }
    return id;
  }

  static String streamId(String id) {
    Objects.requireNonNull(id, "stream id");
    if (id.isEmpty()) {
      throw new InvalidArgumentException("the stream id is empty");
    }
    return id;
  }

  static double finite(double value, String what) {
    if (!Double.isFinite(value)) {
      throw new InvalidArgumentException("the " + what + " is not finite (" + value + ")");
    }
    return value;
  }

  /** Milliseconds for a uint32_t timeout, clamped to [0, 2^32 - 1] (as an int's bits). */
  static int timeoutMillis(java.time.Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long ms;
    try {
      ms = timeout.toMillis();
    } catch (ArithmeticException tooLong) {
      ms = timeout.isNegative() ? 0 : Long.MAX_VALUE;
    }
    return (int) Math.min(Math.max(0, ms), 0xFFFFFFFFL);
  }

  /**
   * {@code {zone=a, ssd=""}} as "zone=a,ssd". A null or "" value is a bare tag: the C API keeps a
   * tag as an empty value and refuses "key=". A key holding ',' or '=', an empty or null key, or a
   * value holding ',' would read back as other labels once joined, so it throws
   * {@link InvalidArgumentException} naming the label; the C API checks the rest (allowed
   * characters, lengths).
   */
  static String labelsText(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (key == null || key.isEmpty()) {
        throw new InvalidArgumentException("label '" + key + "'='" + value + "': empty key");
      }
      if (key.indexOf(',') >= 0 || key.indexOf('=') >= 0) {
        throw new InvalidArgumentException("label '" + key + "': ',' and '=' are not allowed in a key");
      }
      if (value != null && value.indexOf(',') >= 0) {
        throw new InvalidArgumentException("label '" + key + "'='" + value + "': ',' is not allowed in a value");
      }
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(key);
      if (value != null && !value.isEmpty()) {
        out.append('=').append(value);
      }
    }
    return out.toString();
  }

  /** "zone=a,ssd" as zone to a, ssd to "" (a bare tag is "", never null). */
  static Map<String, String> parseLabels(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      out.put(eq < 0 ? part : part.substring(0, eq), eq < 0 ? "" : part.substring(eq + 1));
    }
    return out;
  }
}
