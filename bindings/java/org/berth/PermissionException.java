package org.berth;

/** The backend refused the credential. (BERTH_E_PERMISSION) */
public class PermissionException extends BerthException {
  private static final long serialVersionUID = 1L;

  public PermissionException(String message) {
    super(PERMISSION, message);
  }
}
