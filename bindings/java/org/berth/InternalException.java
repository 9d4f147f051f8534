package org.berth;

/** A bug in Berth: an invariant broke. (BERTH_E_INTERNAL) */
public class InternalException extends BerthException {
  private static final long serialVersionUID = 1L;

  public InternalException(String message) {
    super(INTERNAL, message);
  }
}
