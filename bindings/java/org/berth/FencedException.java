package org.berth;

/** A publish by a leader that has been deposed. (BERTH_E_FENCED) */
public class FencedException extends BerthException {
  private static final long serialVersionUID = 1L;

  public FencedException(String message) {
    super(FENCED, message);
  }
}
