package org.berth;


/** What a server takes (berth/abi.h, BERTH_SERVER_*); every policy honours it. */
public enum ServerState {
  /** Takes new streams and keeps its own. */
  UP(berth_swig.BERTH_SERVER_UP),
  /** Takes nothing new; its streams are moved away. */
  DRAINING(berth_swig.BERTH_SERVER_DRAINING),
  /** Takes nothing new; keeps what it has (a read location, no writes). */
  READ_ONLY(berth_swig.BERTH_SERVER_READ_ONLY);

  final int value;

  ServerState(int value) {
    this.value = value;
  }

  static ServerState fromNative(int state) {
    for (ServerState s : values()) {
      if (s.value == state) {
        return s;
      }
    }
    throw new IllegalStateException("unknown server state " + state);
  }
}
