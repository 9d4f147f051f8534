package org.berth;

import java.nio.ByteBuffer;

/**
 * Standard UTF-8, exactly as the JNI layer encodes String arguments (berth_java_encode in
 * berth_java.i): surrogate pairs become 4 bytes, a lone surrogate becomes U+FFFD. Java's own
 * encoder writes '?' for a lone surrogate, which would send other bytes for the same id.
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
}
