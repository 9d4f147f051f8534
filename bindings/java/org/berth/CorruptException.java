package org.berth;

/** Bytes that do not decode. (BERTH_E_CORRUPT) */
public class CorruptException extends BerthException {
  private static final long serialVersionUID = 1L;

  public CorruptException(String message) {
    super(CORRUPT, message);
  }
}
