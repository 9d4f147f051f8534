package org.berth;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A server as a snapshot tells it. From {@link Snapshot#operatorServers()}: capacity, state and
 * labels as operators set them (empty: not set), no weight. From {@link Snapshot#serverEntries()}:
 * what placement uses, with the server's weight.
 *
 * @param id the server id
 * @param fields the parts operators set (empty: none)
 * @param member a host joined it
 * @param registered an operator registered it (it persists without a member)
 * @param capacity the capacity
 * @param state the state
 * @param labels key to value ("" for a bare tag)
 * @param streams streams the server owns in this version
 * @param load its load
 * @param weight for serverEntries(): configured capacity, effective factor and signals
 */
public record ServerEntry(String id, Set<ServerField> fields, boolean member, boolean registered,
    OptionalDouble capacity, Optional<ServerState> state, Optional<Map<String, String>> labels,
    long streams, double load, Optional<ServerWeight> weight) {
  /** Marked for data migration: its streams move out ({@link Engine#migrateServer}). */
  public boolean migratingOut() {
    return fields.contains(ServerField.MIGRATE);
  }
}
