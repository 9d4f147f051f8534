package org.berth;

import java.nio.ByteBuffer;

/**
 * Stream ids between Java Strings and bytes, exactly as the JNI layer converts them
 * (berth_java_encode / berth_java_string in berth_java.i), and as Python's "surrogateescape" does:
 * a byte that is not part of valid UTF-8 becomes the lone surrogate U+DC80..U+DCFF, and such a
 * surrogate becomes that byte again. An id some host wrote as arbitrary bytes thus round-trips
 * through a Java String exactly (its release and holds() name the same stream). Surrogate pairs
 * become 4 bytes; any other lone surrogate becomes U+FFFD (Java's own encoder writes '?', which
 * would send other bytes for the same id).
 */
final class Utf8 {
  private Utf8() {}

  /** Writes {@code s} at {@code pos} (room for 3 bytes per char is the caller's); returns the end. */
  static int encode(String s, ByteBuffer b, int pos) {
    int n = s.length();
    for (int i = 0; i < n; ++i) {
      int c = s.charAt(i);
      if (c < 0x80) {
        b.put(pos++, (byte) c);
        continue;
      }
      if (Character.isHighSurrogate((char) c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        c = Character.toCodePoint((char) c, s.charAt(++i));
      } else if (c >= 0xDC80 && c <= 0xDCFF) {
        b.put(pos++, (byte) (c - 0xDC00)); // an escaped byte
        continue;
      } else if (Character.isSurrogate((char) c)) {
        c = 0xFFFD;
      }
      if (c < 0x800) {
        b.put(pos++, (byte) (0xC0 | (c >> 6)));
      } else if (c < 0x10000) {
        b.put(pos++, (byte) (0xE0 | (c >> 12)));
        b.put(pos++, (byte) (0x80 | ((c >> 6) & 0x3F)));
      } else {
        b.put(pos++, (byte) (0xF0 | (c >> 18)));
        b.put(pos++, (byte) (0x80 | ((c >> 12) & 0x3F)));
        b.put(pos++, (byte) (0x80 | ((c >> 6) & 0x3F)));
      }
      b.put(pos++, (byte) (0x80 | (c & 0x3F)));
    }
    return pos;
  }

  /** The String of {@code bytes}: UTF-8, each byte outside a valid sequence as U+DC80..U+DCFF. */
  static String decode(byte[] bytes) {
    int n = bytes.length;
    StringBuilder out = new StringBuilder(n);
    for (int i = 0; i < n; ) {
      int c = bytes[i] & 0xFF;
      if (c < 0x80) {
        out.append((char) c);
        ++i;
        continue;
      }
      int need;
      int min;
      if ((c & 0xE0) == 0xC0) {
        need = 1;
        c &= 0x1F;
        min = 0x80;
      } else if ((c & 0xF0) == 0xE0) {
        need = 2;
        c &= 0x0F;
        min = 0x800;
      } else if ((c & 0xF8) == 0xF0) {
        need = 3;
        c &= 0x07;
        min = 0x10000;
      } else {
        out.append((char) (0xDC00 + (bytes[i++] & 0xFF)));
        continue;
      }
      boolean ok = i + need < n;
      for (int k = 1; ok && k <= need; ++k) {
        int b = bytes[i + k] & 0xFF;
        ok = (b & 0xC0) == 0x80;
        c = (c << 6) | (b & 0x3F);
      }
      if (!ok || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        out.append((char) (0xDC00 + (bytes[i++] & 0xFF)));
        continue;
      }
      out.appendCodePoint(c);
      i += need + 1;
    }
    return out.toString();
  }
}
