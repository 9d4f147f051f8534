// The catalogue's per-stream entries beyond owner and holder (docs/catalogue.md, "The
// catalogue"): running and queued migrations, read locations kept on sealed servers, locations
// still to purge after a deletion, and when each stream last finished a migration.
//
// Servers are named by id, not index, so an entry survives membership changes; the leader's step
// (catalogue/migrations.h) drops entries whose server is gone. Immutable once published and
// shared between versions (std::shared_ptr<const CatalogueEntries>), so any thread may read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace berth {

// A running migration: the stream's write location is `destination`; reads go to both until the
// destination's host reports the copy done.
struct Migration {
  std::string stream;
  std::string source;
  std::string destination;
  uint64_t since_version = 0;  // the version that started it
  uint32_t failures = 0;       // copies reported failed (each is retried by the destination's host)
  bool operator==(const Migration&) const = default;
};

// A migration asked for and not started yet (a concurrency bound), in the order asked.
struct QueuedMigration {
  std::string stream;
  std::string destination;  // empty: the policy chooses, as if the source were draining
  bool operator==(const QueuedMigration&) const = default;
};

// A stream at `server` beyond its write location: a sealed (read-only) server it moved off, or
// a location to purge after the stream was deleted.
struct StreamAt {
  std::string stream;
  std::string server;
  bool operator==(const StreamAt&) const = default;
};

struct RecentMigration {
  std::string stream;
  int64_t done_unix_ms = 0;  // the leader's clock when the copy was reported done
  bool operator==(const RecentMigration&) const = default;
};

// Bounds a reader holds any catalogue to (the leader never publishes past them, codec refuses).
inline constexpr size_t kMaxCatalogueEntries = size_t{1} << 20;  // per list

struct CatalogueEntries {
  std::vector<Migration> migrations;
  std::vector<QueuedMigration> queued;
  std::vector<StreamAt> sealed_reads;
  std::vector<StreamAt> purges;
  std::vector<RecentMigration> recent;

  // Builds the indexes the lookups below use; call once the lists are final.
  void index();

  bool empty() const {
    return migrations.empty() && queued.empty() && sealed_reads.empty() && purges.empty() && recent.empty();
  }
  const Migration* migration_of(std::string_view stream) const;
  const QueuedMigration* queued_of(std::string_view stream) const;
  // Servers in the order listed.
  std::vector<std::string_view> sealed_reads_of(std::string_view stream) const;
  std::vector<std::string_view> purges_of(std::string_view stream) const;
  // When the stream last finished a migration, or INT64_MIN.
  int64_t migrated_at(std::string_view stream) const;

 private:
  std::unordered_map<std::string, uint32_t> migration_index_, queued_index_, recent_index_;
  std::unordered_multimap<std::string, uint32_t> sealed_index_, purge_index_;
};

// The status locate answers (BERTH_STREAM_* in berth.h): deleting when the stream is absent and
// purges remain, migrating while a migration runs, else active.
enum class CatalogueStatus : int32_t { active = 0, migrating = 1, deleting = 2 };

}  // namespace berth
