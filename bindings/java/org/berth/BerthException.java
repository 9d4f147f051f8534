package org.berth;

/**
 * A failed Berth call. {@link #code()} is the host C API's error code (berth/abi.h); each code
 * has its own subclass, so callers can catch exactly what they handle.
 */
public class BerthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int INVALID_ARGUMENT = 1;
  public static final int NOT_FOUND = 2;
  public static final int NO_SERVERS = 3;
  public static final int FENCED = 4;
  public static final int CONFIG = 5;
  public static final int PLUGIN = 6;
  public static final int UNAVAILABLE = 7;
  public static final int CORRUPT = 8;
  public static final int PERMISSION = 9;
  public static final int STATE = 10;
  public static final int INTERNAL = 11;
  public static final int TIMEOUT = 12;

  private final int code;

  public BerthException(int code, String message) {
    super(message);
    this.code = code;
  }

  /** The BERTH_E_* code. */
  public int code() {
    return code;
  }

  /** The exception for a host C API error; called by the JNI layer. */
  public static BerthException fromNative(int code, String message) {
    switch (code) {
      case INVALID_ARGUMENT: return new InvalidArgumentException(message);
      case NOT_FOUND: return new NotFoundException(message);
      case NO_SERVERS: return new NoServersException(message);
      case FENCED: return new FencedException(message);
      case CONFIG: return new ConfigException(message);
      case PLUGIN: return new PluginException(message);
      case UNAVAILABLE: return new UnavailableException(message);
      case CORRUPT: return new CorruptException(message);
      case PERMISSION: return new PermissionException(message);
      case STATE: return new StateException(message);
      case INTERNAL: return new InternalException(message);
      case TIMEOUT: return new TimeoutException(message);
      default: return new BerthException(code, message);
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(code=" + code + "): " + getMessage();
  }
}
