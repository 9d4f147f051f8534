package org.berth;

/**
 * What marking a server for data migration means against the snapshot an engine serves
 * ({@link Engine#migrateServer}).
 *
 * @param marked the snapshot shows the server marked already
 * @param streams written there now, not migrating out yet
 * @param migratingOut running migrations with the server as source
 * @param maxMigrations catalogue.max_migrations of the engine that answered (the leader's govern)
 * @param maxMigrationsPerServer catalogue.max_migrations_per_server of the engine that answered
 * @param perRefresh migrations the bounds let start in one refresh, at most
 * @param refreshes the fewest leader refreshes that see every stream out
 */
public record ServerMigration(boolean marked, long streams, long migratingOut, int maxMigrations,
    int maxMigrationsPerServer, int perRefresh, long refreshes) {}
