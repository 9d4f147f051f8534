package org.berth;

/** A plugin failed to load, was rejected, or misbehaved. (BERTH_E_PLUGIN) */
public class PluginException extends BerthException {
  private static final long serialVersionUID = 1L;

  public PluginException(String message) {
    super(PLUGIN, message);
  }
}
