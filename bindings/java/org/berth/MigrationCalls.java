package org.berth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The native calls of servers marked for data migration and of locate's why, on an engine's
 * handle; {@link Engine} keeps itself reachable around them.
 */
final class MigrationCalls {
  private MigrationCalls() {}

  static ServerMigration migrateServer(long engine, String server, boolean mark, boolean checkOnly) {
    berth_server_migration out = new berth_server_migration();
    try {
      berth_swig.berth_engine_server_migrate(engine, server, mark ? 1 : 0, checkOnly ? 1 : 0, out);
      return new ServerMigration(out.getMarked() != 0, out.getStreams(), out.getMigrating_out(),
          out.getMax_migrations(), out.getMax_migrations_per_server(), out.getPer_refresh(),
          out.getRefreshes());
    } finally {
      out.delete();
    }
  }

  private static List<String> servers(int count, IntFunction<String> at) {
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; ++i) {
      out.add(at.apply(i));
    }
    return Collections.unmodifiableList(out);
  }

  private static Optional<String> unlessEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  static PlacementWhy locateWhy(long engine, String stream) {
    berth_placement_why out = new berth_placement_why();
    try {
      berth_swig.berth_locate_why(engine, stream, out);
      // The strings live until the next berth_locate_why on this thread: copied now.
      return new PlacementWhy(stream, PlacementDecision.fromNative(out.getDecision()), out.getVersion(),
          out.getDetail() == null ? "" : out.getDetail(), out.getRules_evaluated() != 0,
          unlessEmpty(out.getRule()), servers(out.getAllowed_count(), out::allowed_server),
          servers(out.getPreferred_count(), out::preferred_server), unlessEmpty(out.getRules_note()));
    } finally {
      out.delete();
    }
  }
}
