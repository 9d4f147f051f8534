package org.berth;


/** A stream's status in the catalogue (docs/catalogue.md). */
public enum StreamStatus {
  /** Written and read at its owner. */
  ACTIVE,
  /** Written at the destination, read from both until the destination's copy is done. */
  MIGRATING,
  /** Deleted; its read locations are still to purge. */
  DELETING;

  static StreamStatus fromNative(int status) {
    if (status == berth_swig.BERTH_STREAM_ACTIVE) {
      return ACTIVE;
    }
    if (status == berth_swig.BERTH_STREAM_MIGRATING) {
      return MIGRATING;
    }
    if (status == berth_swig.BERTH_STREAM_DELETING) {
      return DELETING;
    }
    throw new IllegalStateException("unknown stream status " + status);
  }
}
