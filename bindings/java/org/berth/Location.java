package org.berth;

import java.util.List;
import java.util.Optional;

/**
 * Everything the served snapshot says of a stream ({@link Engine#locate}).
 *
 * @param stream the stream asked about
 * @param status active, migrating or deleting
 * @param version of the snapshot that answered
 * @param owner the write location; empty while deleting or when no server can take the stream
 * @param holder who holds the stream now (docs/ownership.md); empty: nobody
 * @param token the holder's fencing token; 0 without a holder
 * @param tenant "" for an unknown stream
 * @param load the stream's load
 * @param readLocations server ids, the owner first
 * @param known in the assignment (false: unknown, where a lookup places it, or deleting)
 * @param migrationSource while migrating
 * @param migrationDestination while migrating
 * @param migrationQueued a migration waits for a concurrency bound
 * @param queuedDestination of the queued migration ("": the policy chooses); empty if none
 */
public record Location(String stream, StreamStatus status, long version, Optional<String> owner,
    Optional<String> holder, long token, String tenant, double load, List<String> readLocations,
    boolean known, Optional<String> migrationSource, Optional<String> migrationDestination,
    boolean migrationQueued, Optional<String> queuedDestination) {}
