package org.berth;

/** A bad configuration key or value; the message names it. (BERTH_E_CONFIG) */
public class ConfigException extends BerthException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(CONFIG, message);
  }
}
