package org.berth;

/** Placement asked for with no server able to take streams. (BERTH_E_NO_SERVERS) */
public class NoServersException extends BerthException {
  private static final long serialVersionUID = 1L;

  public NoServersException(String message) {
    super(NO_SERVERS, message);
  }
}
