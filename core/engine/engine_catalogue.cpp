// The engine's catalogue calls (docs/catalogue.md): locate, and the changes hosts and operators
// send the leader, each checked here first against the snapshot this node serves.
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "engine/catalogue_step.h"
#include "engine/engine.h"
#include "snapshot/catalogue_entries.h"

namespace berth {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view cut(std::string_view id) { return id.substr(0, 64); }

void check_id(std::string_view id, const char* what) {
  if (id.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{} id is empty", what));
  if (id.size() > kMaxIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT,
                fmt::format("{} id of {} bytes exceeds the limit of {} bytes", what, id.size(), kMaxIdBytes));
}

std::shared_ptr<const Snapshot> served(const std::shared_ptr<const Snapshot>& s) {
  if (!s) throw Error(BERTH_E_UNAVAILABLE, "no snapshot yet: the catalogue is unknown until the first version");
  return s;
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

catalogue::StreamLocation Engine::locate(std::string_view stream) const {
  check_id(stream, "stream");
  return catalogue::locate(*served(cell_.shared()), stream);
}

void Engine::migrate(std::string_view stream, std::string_view destination, bool check_only) {
  check_id(stream, "stream");
  if (!destination.empty()) check_id(destination, "destination server");
  std::shared_ptr<const Snapshot> s = served(cell_.shared());
  catalogue::StreamLocation at = catalogue::locate(*s, stream);
  const uint64_t v = s->meta.version;
  if (!at.known)
    throw Error(BERTH_E_NOT_FOUND, fmt::format("migrate: stream '{}' is not in version {} ({})", cut(stream), v,
                                               at.status == CatalogueStatus::deleting ? "it is being deleted" : "unknown"));
  if (at.status == CatalogueStatus::migrating)
    throw Error(BERTH_E_STATE, fmt::format("migrate: stream '{}' is migrating already (from '{}' to '{}', version {})",
                                           cut(stream), at.source ? at.source : "?", at.destination ? at.destination : "?", v));
  if (at.queued)
    throw Error(BERTH_E_STATE, fmt::format("migrate: a migration of stream '{}' is queued already (version {})", cut(stream), v));
  if (s->catalogue) {
    int64_t done = s->catalogue->migrated_at(stream);
    int64_t interval = options_.catalogue.migration_interval.count();
    int64_t since = unix_now_ms() - done;
    if (done != INT64_MIN && since < interval)
      throw Error(BERTH_E_STATE, fmt::format("migrate: stream '{}' finished a migration {} ms ago; it may migrate again in "
                                             "{} ms (catalogue.migration_interval is {} ms)",
                                             cut(stream), since, interval - since, interval));
  }
  if (!destination.empty()) {
    uint32_t d = catalogue::server_of(*s, destination);
    if (d == BERTH_NO_SERVER)
      throw Error(BERTH_E_NOT_FOUND, fmt::format("migrate: destination server '{}' is not in version {}", cut(destination), v));
    if (s->servers->state[d] != BERTH_SERVER_UP)
      throw Error(BERTH_E_STATE, fmt::format("migrate: destination server '{}' is not up (version {})", cut(destination), v));
    if (s->server_name[d] == at.owner)
      throw Error(BERTH_E_STATE, fmt::format("migrate: stream '{}' is written at '{}' already", cut(stream), cut(destination)));
  }
  if (!check_only) record_intake(IntakeOp::migrate, stream, destination, kNaN);
}

void Engine::migration_done(std::string_view stream, std::string_view server, bool ok) {
  check_id(stream, "stream");
  check_id(server, "server");
  std::shared_ptr<const Snapshot> s = served(cell_.shared());
  const Migration* m = s->catalogue ? s->catalogue->migration_of(stream) : nullptr;
  if (m == nullptr || m->destination != server)
    throw Error(BERTH_E_STATE, fmt::format("migration_done: no migration of stream '{}' to server '{}' runs in version {}",
                                           cut(stream), cut(server), s->meta.version));
  record_intake(ok ? IntakeOp::migration_done : IntakeOp::migration_failed, stream, server, kNaN);
}

void Engine::delete_stream(std::string_view stream, bool check_only) {
  check_id(stream, "stream");
  std::shared_ptr<const Snapshot> s = served(cell_.shared());
  catalogue::StreamLocation at = catalogue::locate(*s, stream);
  if (!at.known)
    throw Error(BERTH_E_NOT_FOUND, fmt::format("delete_stream: stream '{}' is not in version {} ({})", cut(stream),
                                               s->meta.version,
                                               at.status == CatalogueStatus::deleting ? "it is being deleted already" : "unknown"));
  if (check_only) return;
  // The removal first: the leader finds the stream gone, and the delete lists where it was.
  record_intake(IntakeOp::remove, stream, "", kNaN);
  record_intake(IntakeOp::delete_stream, stream, "", kNaN);
}

void Engine::purged(std::string_view stream, std::string_view server) {
  check_id(stream, "stream");
  check_id(server, "server");
  std::shared_ptr<const Snapshot> s = served(cell_.shared());
  bool outstanding = false;
  if (s->catalogue)
    for (std::string_view p : s->catalogue->purges_of(stream)) outstanding = outstanding || p == server;
  if (!outstanding)
    throw Error(BERTH_E_STATE, fmt::format("purged: no purge of stream '{}' at server '{}' is outstanding in version {}",
                                           cut(stream), cut(server), s->meta.version));
  record_intake(IntakeOp::purged, stream, server, kNaN);
}

catalogue::EvacuationPlan Engine::migrate_server(std::string_view server, bool mark, bool check_only) {
  check_id(server, "server");
  std::shared_ptr<const Snapshot> s = served(cell_.shared());
  const uint64_t v = s->meta.version;
  const uint32_t index = catalogue::server_of(*s, server);
  catalogue::EvacuationPlan plan = catalogue::evacuation_plan(*s, server, catalogue_settings(options_.catalogue));
  if (mark) {
    if (index == BERTH_NO_SERVER)
      throw Error(BERTH_E_NOT_FOUND, fmt::format("migrate_server: server '{}' is not in version {}", cut(server), v));
    if (plan.marked)
      throw Error(BERTH_E_STATE,
                  fmt::format("migrate_server: server '{}' is marked for data migration already (version {})", cut(server), v));
    const OperatorServer* entry = s->operator_servers ? s->operator_servers->find(server) : nullptr;
    if (s->servers->state[index] == BERTH_SERVER_READ_ONLY || (entry && entry->state == BERTH_SERVER_READ_ONLY))
      throw Error(BERTH_E_STATE, fmt::format("migrate_server: server '{}' is read-only (version {}): its streams move at once "
                                             "and it stays their read location; set it up or draining to migrate them out",
                                             cut(server), v));
  } else if (!plan.marked) {
    throw Error(BERTH_E_STATE,
                fmt::format("migrate_server: server '{}' is not marked for data migration (version {})", cut(server), v));
  }
  if (check_only) return plan;
  ServerChange change;
  change.id = std::string(server);
  change.fields = kServerSetMigrate;
  change.migrate = mark;
  set_server(change);
  return plan;
}

}  // namespace berth
