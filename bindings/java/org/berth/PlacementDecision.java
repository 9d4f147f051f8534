package org.berth;


/** Why a stream is where it is, as far as the served version tells it (BERTH_WHY_*). */
public enum PlacementDecision {
  /** Not in the assignment: where a lookup of it would go. */
  UNKNOWN(berth_swig.BERTH_WHY_UNKNOWN),
  /** Deleting: its locations are to purge. */
  DELETED(berth_swig.BERTH_WHY_DELETED),
  /** Where a new stream of that id is placed now. */
  PLACED(berth_swig.BERTH_WHY_PLACED),
  /** Elsewhere: kept where it was (sticky), or balanced there. */
  KEPT(berth_swig.BERTH_WHY_KEPT),
  /** The rules allow one server only. */
  PINNED(berth_swig.BERTH_WHY_PINNED),
  /** An operator's migration runs, or finished within the migration interval. */
  MIGRATING(berth_swig.BERTH_WHY_MIGRATING),
  /** Its server is marked for data migration. */
  MIGRATING_OUT(berth_swig.BERTH_WHY_MIGRATING_OUT),
  /** A migration waits for a concurrency bound. */
  QUEUED(berth_swig.BERTH_WHY_QUEUED),
  /** Moved off a read-only server, which still serves its reads. */
  MOVED_OFF_SEALED(berth_swig.BERTH_WHY_MOVED_OFF_SEALED),
  /** Moved; its last holder hands it off. */
  HANDING_OFF(berth_swig.BERTH_WHY_HANDING_OFF);

  final int value;

  PlacementDecision(long value) {
    this.value = (int) value;
  }

  static PlacementDecision fromNative(int value) {
    for (PlacementDecision d : values()) {
      if (d.value == value) {
        return d;
      }
    }
    throw new IllegalStateException("unknown placement decision " + value);
  }
}
