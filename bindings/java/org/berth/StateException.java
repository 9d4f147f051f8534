package org.berth;

/** The call does not fit the object's state (e.g. refresh on a follower, a closed handle). (BERTH_E_STATE) */
public class StateException extends BerthException {
  private static final long serialVersionUID = 1L;

  public StateException(String message) {
    super(STATE, message);
  }
}
