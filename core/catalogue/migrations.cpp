#include "catalogue/migrations.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"

namespace berth::catalogue {
namespace {

std::string_view cut(std::string_view id) { return id.substr(0, 64); }

// Where the streams the step asks about are among the next version's streams. Built for the
// few ids the requests and entries name: the base's table when the columns are the base's,
// else one pass over the hashes.
class StreamIndex {
 public:
  StreamIndex(const StreamColumns& streams, const Snapshot* base, const std::unordered_set<std::string>& wanted)
      : streams_(streams) {
    if (base != nullptr && base->streams.get() == &streams && base->table) {
      table_ = base->table.get();
      return;
    }
    std::unordered_set<uint64_t> hashes;
    for (const std::string& id : wanted) hashes.insert(stream_hash(id));
    for (uint64_t i = 0; i < streams.size() && !hashes.empty(); ++i)
      if (hashes.count(streams.hash[i]) != 0) {
        std::string id(streams.ids.at(i));
        if (wanted.count(id) != 0) found_.emplace(std::move(id), i);
      }
  }
  // A stream found by another way (a pass over the columns), for later finds.
  void note(std::string id, uint64_t i) {
    if (table_ == nullptr) found_.emplace(std::move(id), i);
  }
  std::optional<uint64_t> find(std::string_view id) const {
    if (table_ != nullptr) return index_in(streams_, *table_, id);
    auto it = found_.find(std::string(id));
    if (it == found_.end()) return std::nullopt;
    return it->second;
  }
  static std::optional<uint64_t> index_in(const StreamColumns& streams, const LookupTable& table, std::string_view id) {
    const LookupTable::Slot* slot = table.find(stream_hash(id), id, streams.ids.arena.data());
    if (slot == nullptr) return std::nullopt;
    const auto& off = streams.ids.offsets;
    // The slot names its id's first byte; ids are back to back, so the stream is the last one
    // starting there (empty ids are never stored).
    auto it = std::upper_bound(off.begin(), off.end() - 1, uint64_t{slot->offset});
    return static_cast<uint64_t>(it - off.begin()) - 1;
  }

 private:
  const StreamColumns& streams_;
  const LookupTable* table_ = nullptr;
  std::unordered_map<std::string, uint64_t> found_;
};

std::optional<uint32_t> server_index(const ServerColumns& servers, std::string_view id) {
  uint32_t lo = 0, hi = servers.size();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (servers.ids.at(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  if (lo < servers.size() && servers.ids.at(lo) == id) return lo;
  return std::nullopt;
}

template <class T, class Pred>
bool erase_if_any(std::vector<T>& list, Pred pred) {
  auto end = std::remove_if(list.begin(), list.end(), pred);
  bool any = end != list.end();
  list.erase(end, list.end());
  return any;
}

class Step {
 public:
  Step(const StepInput& in, std::vector<uint32_t>& owner) : in_(in), owner_(owner), servers_(*in.servers) {
    if (in.base != nullptr && in.base->catalogue) {
      const CatalogueEntries& c = *in.base->catalogue;
      migrations_ = c.migrations;
      queued_ = c.queued;
      sealed_ = c.sealed_reads;
      purges_ = c.purges;
      recent_ = c.recent;
    }
  }

  StepResult run() {
    std::unordered_set<std::string> wanted;
    for (const Request& r : in_.requests) wanted.insert(r.stream);
    for (const Migration& m : migrations_) wanted.insert(m.stream);
    for (const QueuedMigration& q : queued_) wanted.insert(q.stream);
    for (const StreamAt& a : sealed_) wanted.insert(a.stream);
    for (const RecentMigration& r : recent_) wanted.insert(r.stream);
    index_.emplace(*in_.streams, in_.base, wanted);

    for (const Request& r : in_.requests) apply(r);
    mark_servers();
    end_migrations();
    start_queued();
    evacuate();
    for (const Migration& m : migrations_) owner_[*index_->find(m.stream)] = *server_index(servers_, m.destination);
    keep_migrated();
    update_sealed_reads();
    erase_if_any(purges_, [&](const StreamAt& a) { return !server_index(servers_, a.server); });
    erase_if_any(recent_, [&](const RecentMigration& r) {
      return in_.now_ms - r.done_unix_ms >= in_.settings.migration_interval_ms;
    });
    bound(purges_, "purges");
    bound(sealed_, "sealed reads");
    return finish();
  }

 private:
  bool up(uint32_t s) const { return servers_.state[s] == BERTH_SERVER_UP; }
  // Marked for data migration and not read-only: published draining, yet its streams' data is
  // there until their migrations out are done.
  bool marked_out(uint32_t s) const { return !marked_.empty() && marked_[s] != 0; }
  std::optional<uint64_t> find(std::string_view stream) const { return index_->find(stream); }
  uint32_t previous_of(uint64_t i) const {
    uint32_t p = (*in_.previous)[i];
    return p != BERTH_NO_SERVER ? p : owner_[i];
  }

  void reject(const Request& r, std::string why) {
    ++counts_.rejected;
    static constexpr const char* kNames[] = {"migrate", "migration_done", "migration_failed", "purged", "delete_stream"};
    logger().warn("catalogue: {} of stream '{}'{} at version {} refused: {}", kNames[static_cast<int>(r.kind)],
                  cut(r.stream), r.server.empty() ? "" : fmt::format(" (server '{}')", cut(r.server)), in_.version, why);
  }

  Migration* running(std::string_view stream) {
    for (Migration& m : migrations_)
      if (m.stream == stream) return &m;
    return nullptr;
  }
  bool waiting(std::string_view stream) const {
    return std::any_of(queued_.begin(), queued_.end(), [&](const QueuedMigration& q) { return q.stream == stream; });
  }
  int64_t migrated_at(std::string_view stream) const {
    for (const RecentMigration& r : recent_)
      if (r.stream == stream) return r.done_unix_ms;
    return INT64_MIN;
  }

  void apply(const Request& r) {
    switch (r.kind) {
      case RequestKind::migrate: return migrate(r);
      case RequestKind::done:
      case RequestKind::failed: return copied(r);
      case RequestKind::purged: return purged(r);
      case RequestKind::remove: return remove(r);
    }
  }

  void migrate(const Request& r) {
    std::optional<uint64_t> i = find(r.stream);
    if (!i) return reject(r, "the stream is not in the assignment (unknown or removed)");
    if (running(r.stream) != nullptr) return reject(r, "the stream is migrating already");
    if (waiting(r.stream)) return reject(r, "a migration of the stream is queued already");
    int64_t at = migrated_at(r.stream);
    if (at != INT64_MIN && in_.now_ms - at < in_.settings.migration_interval_ms)
      return reject(r, fmt::format("the stream finished a migration {} ms ago (catalogue.migration_interval is {} ms)",
                                   in_.now_ms - at, in_.settings.migration_interval_ms));
    if (!r.server.empty()) {
      std::optional<uint32_t> d = server_index(servers_, r.server);
      if (!d) return reject(r, "no such server");
      if (!up(*d)) return reject(r, "the destination is not up");
      if (*d == previous_of(*i)) return reject(r, "the stream is written there already");
    }
    if (queued_.size() >= kMaxCatalogueEntries) return reject(r, "the migration queue is full");
    queued_.push_back(QueuedMigration{r.stream, r.server});
  }

  void copied(const Request& r) {
    Migration* m = running(r.stream);
    if (m == nullptr || m->destination != r.server)
      return reject(r, fmt::format("no migration of the stream to server '{}' runs", cut(r.server)));
    if (r.kind == RequestKind::failed) {
      ++m->failures;
      ++counts_.failed;
      logger().warn("catalogue: copy of stream '{}' from '{}' to '{}' failed (failure {}): it stays migrating, read from both",
                    cut(m->stream), cut(m->source), cut(m->destination), m->failures);
      return;
    }
    ++counts_.done;
    std::string stream = m->stream;
    erase_if_any(migrations_, [&](const Migration& x) { return x.stream == stream; });
    erase_if_any(recent_, [&](const RecentMigration& x) { return x.stream == stream; });
    recent_.push_back(RecentMigration{stream, in_.now_ms});
  }

  void purged(const Request& r) {
    if (!erase_if_any(purges_, [&](const StreamAt& a) { return a.stream == r.stream && a.server == r.server; }))
      return reject(r, "no purge of the stream at that server is outstanding");
    ++counts_.purged;
  }

  void add_purge(const std::string& stream, std::string_view server) {
    if (server.empty()) return;
    for (const StreamAt& a : purges_)
      if (a.stream == stream && a.server == server) return;
    purges_.push_back(StreamAt{stream, std::string(server)});
  }

  // Deletion wins: every location the stream had is to purge, whatever ran. Unless an add heard
  // after the removal keeps the stream in this very version: then its data is the live stream's,
  // and purging it would lose what the add meant to keep.
  void remove(const Request& r) {
    if (find(r.stream)) return reject(r, "the stream was added again after its deletion, in the same refresh");
    ++counts_.deleted;
    const Snapshot* base = in_.base;
    if (base != nullptr && base->table) {
      if (auto b = StreamIndex::index_in(*base->streams, *base->table, r.stream)) {
        add_purge(r.stream, base->servers->ids.at(base->owner[*b]));
        if (!base->holder.empty() && base->holder[*b] != BERTH_NO_SERVER)
          add_purge(r.stream, base->servers->ids.at(base->holder[*b]));
      }
    }
    if (Migration* m = running(r.stream)) {
      logger().info("catalogue: deleting stream '{}' cancels its migration from '{}' to '{}'", cut(r.stream),
                    cut(m->source), cut(m->destination));
      add_purge(r.stream, m->source);
      add_purge(r.stream, m->destination);
    }
    for (const StreamAt& a : sealed_)
      if (a.stream == r.stream) add_purge(r.stream, a.server);
    auto same = [&](const auto& x) { return x.stream == r.stream; };
    erase_if_any(migrations_, same);
    erase_if_any(queued_, same);
    erase_if_any(sealed_, same);
    erase_if_any(recent_, same);
  }

  void mark_servers() {
    for (const std::string& id : in_.settings.migrate_out)
      if (std::optional<uint32_t> s = server_index(servers_, id); s && servers_.state[*s] != BERTH_SERVER_READ_ONLY) {
        if (marked_.empty()) marked_.assign(servers_.size(), 0);
        marked_[*s] = 1;
      }
  }

  // Running migrations that cannot go on: the stream left the assignment (a remove), or the
  // destination is gone or no longer up. The write location goes back to the source while it
  // is up or marked for data migration (it still has the data; a marked source migrates the
  // stream out again in a later refresh). The streams are noted so the evacuation this refresh
  // leaves them there.
  void end_migrations() {
    erase_if_any(migrations_, [&](const Migration& m) {
      std::optional<uint64_t> i = find(m.stream);
      std::optional<uint32_t> d = server_index(servers_, m.destination);
      if (i && d && up(*d)) return false;
      ++counts_.cancelled;
      logger().warn("catalogue: migration of stream '{}' from '{}' to '{}' cancelled: {}", cut(m.stream), cut(m.source),
                    cut(m.destination), !i ? "the stream was removed" : !d ? "the destination is gone" : "the destination is not up");
      cancelled_.insert(m.stream);
      if (i)
        if (std::optional<uint32_t> s = server_index(servers_, m.source); s && (up(*s) || marked_out(*s))) owner_[*i] = *s;
      return true;
    });
  }

  void start_queued() {
    std::unordered_map<uint32_t, uint32_t> busy = busy_servers();
    std::optional<std::vector<uint32_t>> chosen;  // the policy's owners with the sources draining
    std::vector<QueuedMigration> still;
    for (QueuedMigration& q : queued_) {
      std::optional<uint64_t> i = find(q.stream);
      if (!i) {
        ++counts_.cancelled;
        logger().info("catalogue: queued migration of stream '{}' dropped: the stream was removed", cut(q.stream));
        continue;
      }
      uint32_t source = previous_of(*i);
      if (migrations_.size() >= in_.settings.max_migrations || busy[source] >= in_.settings.max_migrations_per_server) {
        still.push_back(std::move(q));
        continue;
      }
      std::optional<uint32_t> d;
      if (!q.destination.empty()) {
        d = server_index(servers_, q.destination);
        if (!d || !up(*d)) {
          ++counts_.cancelled;
          logger().warn("catalogue: queued migration of stream '{}' to '{}' cancelled: the destination is {}", cut(q.stream),
                        cut(q.destination), d ? "not up" : "gone");
          continue;
        }
      } else {
        if (!chosen) chosen = choose(*i);
        if (!chosen->empty() && (*chosen)[*i] < servers_.size()) d = (*chosen)[*i];
      }
      if (!d || *d == source || !up(*d)) {
        ++counts_.cancelled;
        logger().warn("catalogue: queued migration of stream '{}' cancelled: {}", cut(q.stream),
                      !d ? "the policy chose no destination" : *d == source ? "it is written there already"
                                                                             : "the destination is not up");
        continue;
      }
      if (busy[*d] >= in_.settings.max_migrations_per_server) {
        still.push_back(std::move(q));
        continue;
      }
      ++busy[source];
      ++busy[*d];
      ++counts_.started;
      migrations_.push_back(
          Migration{q.stream, std::string(servers_.ids.at(source)), std::string(servers_.ids.at(*d)), in_.version, 0});
    }
    queued_ = std::move(still);
  }

  // Running migrations per server, as source or destination.
  std::unordered_map<uint32_t, uint32_t> busy_servers() const {
    std::unordered_map<uint32_t, uint32_t> busy;
    for (const Migration& m : migrations_) {
      if (auto s = server_index(servers_, m.source)) ++busy[*s];
      ++busy[*server_index(servers_, m.destination)];
    }
    return busy;
  }

  // Streams written at a server marked for data migration: each migrates to where the policy put
  // it (the server shows draining to the policy, so that is elsewhere) while the bounds leave room,
  // after the operators' queued migrations; the rest stay written where they are until a later
  // refresh. A stream whose own migration is queued stays written there too, and its queued
  // migration starts from there. A stream whose migration was cancelled this refresh stays where
  // end_migrations put it. A read-only server is not evacuated this way: its streams move at
  // once, and it stays their read location.
  void evacuate() {
    if (marked_.empty()) return;
    std::unordered_map<uint32_t, uint32_t> busy = busy_servers();
    std::unordered_set<std::string_view> moving;
    for (const Migration& m : migrations_) moving.insert(m.stream);
    std::unordered_set<std::string_view> asked;
    for (const QueuedMigration& q : queued_) asked.insert(q.stream);
    const std::vector<uint32_t>& previous = *in_.previous;
    const uint32_t per_server = in_.settings.max_migrations_per_server;
    std::vector<Migration> started;
    for (uint64_t i = 0; i < owner_.size(); ++i) {
      const uint32_t p = previous[i];
      if (p == BERTH_NO_SERVER || !marked_[p]) continue;
      const std::string_view stream = in_.streams->ids.at(i);
      if (moving.count(stream) != 0) continue;  // its running migration pins it
      if (!cancelled_.empty() && cancelled_.count(std::string(stream)) != 0) continue;
      const uint32_t d = owner_[i];
      owner_[i] = p;
      if (asked.count(stream) != 0) continue;  // its queued migration moves it, from here
      if (d >= servers_.size() || d == p || !up(d)) continue;
      if (migrations_.size() + started.size() >= in_.settings.max_migrations) continue;
      if (busy[p] >= per_server || busy[d] >= per_server) continue;
      const int64_t at = migrated_at(stream);
      if (at != INT64_MIN && in_.now_ms - at < in_.settings.migration_interval_ms) continue;
      ++busy[p];
      ++busy[d];
      index_->note(std::string(stream), i);
      started.push_back(Migration{std::string(stream), std::string(servers_.ids.at(p)), std::string(servers_.ids.at(d)),
                                  in_.version, 0});
    }
    if (!started.empty())
      logger().info("catalogue: version {}: {} migrations out of servers marked for data migration started", in_.version,
                    started.size());
    counts_.started += started.size();
    for (Migration& m : started) migrations_.push_back(std::move(m));
  }

  // The policy's choice for queued migrations without a destination: one more rebalance, with
  // the source of each such stream draining.
  std::vector<uint32_t> choose(uint64_t) {
    if (!in_.rebalance_draining) return {};
    std::vector<uint32_t> draining;
    for (const QueuedMigration& q : queued_)
      if (q.destination.empty())
        if (std::optional<uint64_t> i = find(q.stream)) draining.push_back(previous_of(*i));
    std::sort(draining.begin(), draining.end());
    draining.erase(std::unique(draining.begin(), draining.end()), draining.end());
    return in_.rebalance_draining(draining);
  }

  // A stream that finished a migration keeps its write location for the interval (the policy
  // does not undo an operator's move), while that server stays up.
  void keep_migrated() {
    for (const RecentMigration& r : recent_) {
      if (in_.now_ms - r.done_unix_ms >= in_.settings.migration_interval_ms) continue;
      std::optional<uint64_t> i = find(r.stream);
      if (!i) continue;
      uint32_t p = (*in_.previous)[*i];
      if (p != BERTH_NO_SERVER && up(p)) owner_[*i] = p;
    }
  }

  // Sealed servers stay read locations of the streams that moved off them, while they exist and
  // stay read-only.
  void update_sealed_reads() {
    erase_if_any(sealed_, [&](const StreamAt& a) {
      std::optional<uint64_t> i = find(a.stream);
      std::optional<uint32_t> s = server_index(servers_, a.server);
      return !i || !s || servers_.state[*s] != BERTH_SERVER_READ_ONLY || owner_[*i] == *s;
    });
    bool any_sealed = false;
    for (uint32_t s = 0; s < servers_.size(); ++s) any_sealed = any_sealed || servers_.state[s] == BERTH_SERVER_READ_ONLY;
    if (!any_sealed) return;
    std::unordered_set<std::string> listed;
    for (const StreamAt& a : sealed_) listed.insert(a.stream + '\0' + a.server);
    const std::vector<uint32_t>& previous = *in_.previous;
    for (uint64_t i = 0; i < owner_.size(); ++i) {
      uint32_t p = previous[i];
      if (p == BERTH_NO_SERVER || servers_.state[p] != BERTH_SERVER_READ_ONLY || owner_[i] == p) continue;
      std::string stream(in_.streams->ids.at(i));
      std::string_view server = servers_.ids.at(p);
      if (const Migration* m = running(stream); m != nullptr && m->source == server) continue;
      if (listed.insert(stream + '\0' + std::string(server)).second) sealed_.push_back(StreamAt{stream, std::string(server)});
    }
  }

  template <class T>
  void bound(std::vector<T>& list, const char* what) {
    if (list.size() <= kMaxCatalogueEntries) return;
    size_t over = list.size() - kMaxCatalogueEntries;
    logger().error("catalogue: {} {} past the bound of {}: the oldest {} are forgotten", list.size(), what,
                   kMaxCatalogueEntries, over);
    list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(over));
  }

  StepResult finish() {
    StepResult out;
    out.counts = counts_;
    const CatalogueEntries* old = in_.base != nullptr ? in_.base->catalogue.get() : nullptr;
    if (old != nullptr && old->migrations == migrations_ && old->queued == queued_ && old->sealed_reads == sealed_ &&
        old->purges == purges_ && old->recent == recent_) {
      out.catalogue = in_.base->catalogue;
      return out;
    }
    auto next = std::make_shared<CatalogueEntries>();
    next->migrations = std::move(migrations_);
    next->queued = std::move(queued_);
    next->sealed_reads = std::move(sealed_);
    next->purges = std::move(purges_);
    next->recent = std::move(recent_);
    if (next->empty()) return out;
    next->index();
    out.catalogue = std::move(next);
    return out;
  }

  const StepInput& in_;
  std::vector<uint32_t>& owner_;
  const ServerColumns& servers_;
  std::optional<StreamIndex> index_;
  std::vector<Migration> migrations_;
  std::vector<QueuedMigration> queued_;
  std::vector<StreamAt> sealed_;
  std::vector<StreamAt> purges_;
  std::vector<RecentMigration> recent_;
  std::vector<char> marked_;  // per server, see marked_out; empty when none is
  std::unordered_set<std::string> cancelled_;
  StepCounts counts_;
};

}  // namespace

StepResult step(const StepInput& in, std::vector<uint32_t>& owner) {
  bool nothing = in.requests.empty() && (in.base == nullptr || !in.base->catalogue) && in.settings.migrate_out.empty();
  if (nothing) {
    bool any_sealed = false;
    for (int32_t state : in.servers->state) any_sealed = any_sealed || state == BERTH_SERVER_READ_ONLY;
    if (!any_sealed) return {};
  }
  return Step(in, owner).run();
}

std::vector<std::string> marked_for_migration(const OperatorServers* operators) {
  std::vector<std::string> out;
  if (operators != nullptr)
    for (const OperatorServer& o : operators->servers)
      if (o.migrate) out.push_back(o.id);
  return out;  // sorted: operator entries are
}

std::vector<int32_t> policy_states(const ServerColumns& servers) {
  if (std::none_of(servers.state.begin(), servers.state.end(), [](int32_t s) { return s == BERTH_SERVER_READ_ONLY; }))
    return {};
  if (std::none_of(servers.state.begin(), servers.state.end(), [](int32_t s) { return s == BERTH_SERVER_UP; }))
    return {};
  std::vector<int32_t> states = servers.state;
  for (int32_t& s : states)
    if (s == BERTH_SERVER_READ_ONLY) s = BERTH_SERVER_DRAINING;
  return states;
}

}  // namespace berth::catalogue
