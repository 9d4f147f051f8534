package org.berth;

/** A caller passed something malformed. (BERTH_E_INVALID_ARGUMENT) */
public class InvalidArgumentException extends BerthException {
  private static final long serialVersionUID = 1L;

  public InvalidArgumentException(String message) {
    super(INVALID_ARGUMENT, message);
  }
}
