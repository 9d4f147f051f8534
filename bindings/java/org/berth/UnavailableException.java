package org.berth;

/** The backend cannot be reached; the last snapshot is still served. (BERTH_E_UNAVAILABLE) */
public class UnavailableException extends BerthException {
  private static final long serialVersionUID = 1L;

  public UnavailableException(String message) {
    super(UNAVAILABLE, message);
  }
}
