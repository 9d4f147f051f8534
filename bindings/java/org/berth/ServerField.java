package org.berth;

import java.util.EnumSet;
import java.util.Set;

/** The parts of a server an operator sets (BERTH_SERVER_SET_*). */
public enum ServerField {
  /** Registered: the server persists without a member. */
  REGISTER(berth_swig.BERTH_SERVER_SET_REGISTER),
  CAPACITY(berth_swig.BERTH_SERVER_SET_CAPACITY),
  STATE(berth_swig.BERTH_SERVER_SET_STATE),
  LABELS(berth_swig.BERTH_SERVER_SET_LABELS),
  /** Marked for data migration: set and cleared with {@link Engine#migrateServer} only. */
  MIGRATE(berth_swig.BERTH_SERVER_SET_MIGRATE);

  final int bit;

  ServerField(long bit) {
    this.bit = (int) bit;
  }

  static Set<ServerField> fromMask(int mask) {
    EnumSet<ServerField> out = EnumSet.noneOf(ServerField.class);
    for (ServerField f : values()) {
      if ((mask & f.bit) != 0) {
        out.add(f);
      }
    }
    return out;
  }
}
