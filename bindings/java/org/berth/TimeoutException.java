package org.berth;

/** A wait ran out of time. (BERTH_E_TIMEOUT) */
public class TimeoutException extends BerthException {
  private static final long serialVersionUID = 1L;

  public TimeoutException(String message) {
    super(TIMEOUT, message);
  }
}
