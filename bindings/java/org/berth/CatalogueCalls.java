package org.berth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The catalogue surface's native calls on an engine's or a snapshot's handle; {@link Engine} and
 * {@link Snapshot} keep themselves reachable around them.
 */
final class CatalogueCalls {
  private CatalogueCalls() {}

  // ---- engine ----

  static void setServer(long engine, ServerChange change) {
    if (change.fields == 0) {
      throw new InvalidArgumentException("setServer('" + change.server
          + "'): nothing to set (register, capacity, state or labels)");
    }
    berth_swig.berth_bind_server_set(engine, change.server, change.fields, change.capacity,
        change.state == null ? 0 : change.state.value, change.labels);
  }

  static Location locate(long engine, String stream) {
    berth_location at = new berth_location();
    try {
      berth_swig.berth_locate(engine, stream, at);
      // The tenant and read locations live until the next locate on this thread: copied now.
      int n = at.getRead_location_count();
      List<String> reads = new ArrayList<>(n);
      for (int i = 0; i < n; ++i) {
        reads.add(at.read_location(i));
      }
      boolean queued = at.getMigration_queued() != 0;
      return new Location(stream, StreamStatus.fromNative(at.getStatus()), at.getVersion(),
          Optional.ofNullable(at.getOwner()), Optional.ofNullable(at.getHolder()), at.getToken(),
          at.getTenant() == null ? "" : at.getTenant(), at.getLoad(), Collections.unmodifiableList(reads),
          at.getKnown() != 0, Optional.ofNullable(at.getMigration_source()),
          Optional.ofNullable(at.getMigration_destination()), queued,
          queued ? Optional.ofNullable(at.getQueued_destination()) : Optional.empty());
    } finally {
      at.delete();
    }
  }

  static PushedRules pushRules(long engine, String script) {
    long[] replaces = new long[1];
    long[] hash = new long[1];
    berth_swig.berth_engine_rules_push(engine, script, replaces, hash);
    return new PushedRules(hash[0], replaces[0]);
  }

  static long waitRules(long engine, long hash, int timeoutMillis) {
    long[] version = new long[1];
    berth_swig.berth_engine_rules_wait(engine, hash, timeoutMillis, version);
    return version[0];
  }

  // ---- snapshot ----

  private static ServerEntry entry(berth_server_entry e, Optional<ServerWeight> weight) {
    String labels = e.labels_text();
    long origin = e.getOrigin();
    return new ServerEntry(e.getId(), ServerField.fromMask(e.getFields()),
        (origin & berth_swig.BERTH_SERVER_ORIGIN_MEMBER) != 0,
        (origin & berth_swig.BERTH_SERVER_ORIGIN_REGISTERED) != 0,
        Double.isNaN(e.getCapacity()) ? OptionalDouble.empty() : OptionalDouble.of(e.getCapacity()),
        e.getState() < 0 ? Optional.empty() : Optional.of(ServerState.fromNative(e.getState())),
        labels == null ? Optional.empty() : Optional.of(Collections.unmodifiableMap(Args.parseLabels(labels))),
        e.getStreams(), e.getLoad(), weight);
  }

  static List<ServerEntry> operatorServers(long snapshot) {
    int n = berth_swig.berth_snapshot_operator_server_count(snapshot);
    List<ServerEntry> out = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) {
      berth_server_entry e = new berth_server_entry(); // one per call: it frees its labels
      try {
        berth_swig.berth_snapshot_operator_server(snapshot, i, e);
        out.add(entry(e, Optional.empty()));
      } finally {
        e.delete();
      }
    }
    return Collections.unmodifiableList(out);
  }

  static List<ServerEntry> serverEntries(long snapshot) {
    int n = berth_swig.berth_snapshot_server_count(snapshot);
    List<ServerEntry> out = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) {
      berth_server_entry e = new berth_server_entry();
      try {
        berth_swig.berth_snapshot_server_entry(snapshot, i, e);
        out.add(entry(e, Optional.of(weight(snapshot, i))));
      } finally {
        e.delete();
      }
    }
    return Collections.unmodifiableList(out);
  }

  static ServerWeight weight(long snapshot, int index) {
    double[] configured = new double[1];
    double[] factor = new double[1];
    int[] count = new int[1];
    berth_swig.berth_snapshot_server_weight(snapshot, index, configured, factor, count);
    Map<String, Double> signals = new LinkedHashMap<>();
    String[] name = new String[1];
    double[] value = new double[1];
    for (int k = 0; k < count[0]; ++k) {
      berth_swig.berth_snapshot_server_signal(snapshot, index, k, name, value);
      signals.put(name[0], value[0]);
    }
    return new ServerWeight(configured[0], factor[0], Collections.unmodifiableMap(signals));
  }

  static Map<String, ServerWeight> weights(long snapshot) {
    int n = berth_swig.berth_snapshot_server_count(snapshot);
    Map<String, ServerWeight> out = new LinkedHashMap<>();
    String[] id = new String[1];
    for (int i = 0; i < n; ++i) {
      berth_swig.berth_snapshot_server(snapshot, i, id, new double[1], new double[1], new long[1]);
      out.put(id[0], weight(snapshot, i));
    }
    return Collections.unmodifiableMap(out);
  }

  static Rules rules(long snapshot) {
    long[] version = new long[1];
    long[] hash = new long[1];
    String[] script = new String[] {""};
    berth_swig.berth_snapshot_rules(snapshot, version, hash, script);
    return new Rules(version[0], hash[0], script[0]);
  }
}
