package org.berth;

/** A named thing (e.g. a plugin file) does not exist. (BERTH_E_NOT_FOUND) */
public class NotFoundException extends BerthException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(NOT_FOUND, message);
  }
}
