#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include "common/log.h"

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/codec.h"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kWakeIntake = 1u << 16;  // intake records wait to be flushed
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string default_node_id() {
  static std::atomic<uint64_t> counter{0};
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return fmt::format("{}-{}-{}", host, getpid(), counter.fetch_add(1));
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::filesystem::path> search_dirs(const EngineOptions& options) {
  std::vector<std::filesystem::path> dirs = options.plugin_path;
  dirs.push_back(builtin_plugin_dir());
  return dirs;
}

}  // namespace

Engine::Engine(EngineOptions options)
    : options_(std::move(options)),
      node_id_(options_.node_id.empty() ? default_node_id() : options_.node_id),
      registry_(search_dirs(options_)) {
  appraiser_ = std::make_unique<Appraiser>(registry_.load(BERTH_PLUGIN_APPRAISER, options_.appraiser.name),
                                           options_.appraiser.config);
  policy_ = std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, options_.policy.name), options_.policy.config);
  snapshot_policies_ = std::make_unique<SnapshotPolicies>(registry_, policy_);
  if (options_.implicit_owners) own_defaults_ = owner_defaults(policy_);
  checkpoints_.use_policies(own_defaults_, snapshot_policies_->finder());
  if (!options_.rules.file.empty())
    rules_ = std::make_unique<rules::RulesSource>(options_.rules.file, options_.rules.limits);
  watch_ = berth_backend_watch{BERTH_SIZE_THROUGH(berth_backend_watch, changed), this, &Engine::on_watch};
  backend_ = std::make_unique<Backend>(registry_.load(BERTH_PLUGIN_BACKEND, options_.backend.name),
                                       options_.backend.config, &watch_);
  keyed_intake_ = backend_->supports_intake_keys();
  next_refresh_ = Clock::now() + options_.refresh_interval;
  install_latest();
  if (options_.campaign) {
    std::lock_guard lock(backend_mutex_);
    backend_->campaign();
  }
  wake(BERTH_CHANGED_LEADER | BERTH_CHANGED_SNAPSHOT);
  worker_ = std::thread([this] { worker_loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard lock(wake_mutex_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  try {
    // What hosts told this node, and what it drained as leader but never published, must not
    // be lost with it: back to the backend for whoever leads next (records a keyed backend keeps
    // pending need nothing; published ones are settled a last time).
    flush_intake();
    return_pending();
  } catch (const std::exception& e) {
    logger().warn("berth node {}: intake records lost at close: {}", node_id_, e.what());
  }
  backend_.reset();  // leaves membership and the election; no watch fires after this
}

// ------------------------------------------------------------------------------ lookups ----

const char* Engine::lookup(std::string_view stream) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  SnapshotCell::Reader reader(cell_);
  const Snapshot* s = reader.get();
  if (s == nullptr)
    throw Error(BERTH_E_UNAVAILABLE, fmt::format("node {} has no snapshot yet: no leader has published", node_id_));
  uint64_t h = stream_hash(stream);
  if (const auto* slot = s->table->find(h, stream, s->streams->ids.arena.data()))
    return s->server_name[slot->owner];
  return place_unknown(*s, h, stream);
}

void Engine::lookup_batch(const std::string_view* streams, size_t count, const char** out_owners) {
  SnapshotCell::Reader reader(cell_);
  const Snapshot* s = reader.get();
  if (s == nullptr)
    throw Error(BERTH_E_UNAVAILABLE, fmt::format("node {} has no snapshot yet: no leader has published", node_id_));
  const char* arena = s->streams->ids.arena.data();
  // Software pipelining: the probe of stream i + kAhead is prefetched while stream i is resolved,
  // so about kAhead table misses are in flight (memory latency here is ~200 ns; a probe ~5 ns).
  constexpr size_t kAhead = 32;
  uint64_t hash[kAhead];
  size_t primed = std::min(kAhead, count);
  for (size_t i = 0; i < primed; ++i) {
    hash[i] = stream_hash(streams[i]);
    __builtin_prefetch(s->table->home(hash[i]));
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t h = hash[i % kAhead];
    if (i + kAhead < count) {
      uint64_t ahead = stream_hash(streams[i + kAhead]);
      hash[i % kAhead] = ahead;
      __builtin_prefetch(s->table->home(ahead));
    }
    const auto* slot = s->table->find(h, streams[i], arena);
    out_owners[i] = slot != nullptr ? s->server_name[slot->owner] : place_unknown(*s, h, streams[i]);
  }
}

// A stream the snapshot does not know: placed as a pure function of this snapshot, so every
// node answers the same, and recorded so the leader's next refresh includes it.
const char* Engine::place_unknown(const Snapshot& snapshot, uint64_t h, std::string_view stream) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  const Snapshot* s = &snapshot;
  if (!s->placer) throw Error(s->placer_error_code, fmt::format("stream '{}': {}", stream, s->placer_error));
  uint32_t server = s->placer->place(h, kNaN);
  if (server >= s->server_count())
    throw Error(BERTH_E_PLUGIN, fmt::format("policy placed stream '{}' on server #{} of {}", stream, server, s->server_count()));
  lookups_unknown_.fetch_add(1, std::memory_order_relaxed);
  // Recorded once per snapshot version; a node flooded with distinct unknown names stops
  // recording (not answering) until the next version clears the set.
  constexpr size_t kMaxRecordedPerVersion = size_t{1} << 20;
  bool first = false;
  {
    std::lock_guard lock(intake_mutex_);
    if (submitted_unknown_.size() < kMaxRecordedPerVersion) first = submitted_unknown_.emplace(stream).second;
  }
  if (first) record_intake(IntakeOp::seen, stream, "", kNaN);
  return s->server_name[server];
}

// ------------------------------------------------------------------ membership and intake ----

void Engine::join(std::string_view server, double capacity, const Labels& labels) {
  if (server.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "server id is empty");
  if (!std::isfinite(capacity) || capacity <= 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("server '{}': capacity {} is not a positive number", server, capacity));
  std::string info = encode_server_info(ServerInfo{capacity, BERTH_SERVER_UP, labels});
  std::lock_guard lock(backend_mutex_);
  backend_->join(server, info);
}

void Engine::leave(std::string_view server) {
  std::lock_guard lock(backend_mutex_);
  backend_->leave(server);
}

void Engine::add_stream(std::string_view stream, std::string_view tenant, double load) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  if (!std::isnan(load) && (!std::isfinite(load) || load < 0))
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("stream '{}': load {} is not a finite number >= 0", stream, load));
  record_intake(IntakeOp::add, stream, tenant, load);
}

void Engine::remove_stream(std::string_view stream) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  record_intake(IntakeOp::remove, stream, "", kNaN);
}

void Engine::report_load(std::string_view stream, double load) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  if (!std::isfinite(load) || load < 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("stream '{}': load {} is not a finite number >= 0", stream, load));
  record_intake(IntakeOp::report, stream, "", load);
}

void Engine::record_intake(IntakeOp op, std::string_view stream, std::string_view tenant, double load) {
  // Every record must fit a backend's record whatever its batch: a stream id or tenant of
  // megabytes would be refused by the backend at every flush, and hold back what follows it.
  if (stream.size() > kMaxIdBytes || tenant.size() > kMaxIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT,
                fmt::format("{} of {} bytes is longer than the limit of {} bytes (stream id starts '{}')",
                            stream.size() > kMaxIdBytes ? "stream id" : "tenant",
                            std::max(stream.size(), tenant.size()), kMaxIdBytes, stream.substr(0, 32)));
  bool was_empty;
  {
    std::lock_guard lock(intake_mutex_);
    was_empty = intake_batch_.empty() && intake_full_.empty();
    if (was_empty) intake_since_ = Clock::now();
    if (intake_batch_.size() >= kIntakeBatchBytes) intake_full_.push_back(std::exchange(intake_batch_, {}));
    append_intake(intake_batch_, op, stream, tenant, load);
  }
  if (was_empty) wake(kWakeIntake);
}

void Engine::flush() { flush_intake(); }

void Engine::flush_intake() {
  std::lock_guard flush_lock(flush_mutex_);  // batches reach the backend in the order recorded
  std::vector<std::string> batches;
  {
    std::lock_guard lock(intake_mutex_);
    batches.swap(intake_full_);
    if (!intake_batch_.empty()) batches.push_back(std::exchange(intake_batch_, {}));
  }
  if (batches.empty()) return;
  std::lock_guard lock(backend_mutex_);
  size_t sent = 0;
  try {
    for (; sent < batches.size(); ++sent) backend_->submit(batches[sent]);
  } catch (...) {
    // Keep the unsent batches for the next attempt, ahead of anything recorded meanwhile.
    std::lock_guard intake_lock(intake_mutex_);
    batches.erase(batches.begin(), batches.begin() + static_cast<std::ptrdiff_t>(sent));
    batches.insert(batches.end(), std::make_move_iterator(intake_full_.begin()),
                   std::make_move_iterator(intake_full_.end()));
    intake_full_ = std::move(batches);
    throw;
  }
}

// ------------------------------------------------------------------ leadership and refresh ----

void Engine::on_watch(void* context, uint32_t what) { static_cast<Engine*>(context)->wake(what); }

void Engine::wake(uint32_t bits) {
  {
    std::lock_guard lock(wake_mutex_);
    wake_bits_ |= bits;
  }
  wake_cv_.notify_one();
}

void Engine::worker_loop() {
  std::unique_lock lock(wake_mutex_);
  while (!stop_) {
    auto deadline = Clock::now() + std::chrono::seconds(1);  // also a heartbeat for housekeeping
    if (is_leader_.load()) deadline = std::min(deadline, next_refresh_.load());
    {
      std::lock_guard intake_lock(intake_mutex_);
      if (!intake_batch_.empty() || !intake_full_.empty())
        deadline = std::min(deadline, intake_since_ + options_.intake_flush);
    }
    // Any bit wakes the worker, if only to recompute its deadline (a first intake record).
    wake_cv_.wait_until(lock, deadline, [&] { return stop_ || wake_bits_ != 0; });
    if (stop_) break;
    uint32_t bits = std::exchange(wake_bits_, 0);
    lock.unlock();
    try {
      handle(bits);
    } catch (const std::exception& e) {
      // Keep what was not handled for the next round, after a pause (the backend may be down).
      logger().warn("berth node {}: {}", node_id_, e.what());
      lock.lock();
      wake_bits_ |= bits & ~kWakeIntake;
      wake_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
      continue;
    }
    lock.lock();
  }
}

void Engine::handle(uint32_t bits) {
  if (bits & (BERTH_CHANGED_LEADER | BERTH_CHANGED_CONNECTION)) sync_leadership();
  if (bits & BERTH_CHANGED_SNAPSHOT) install_latest();
  if ((bits & BERTH_CHANGED_MEMBERS) && options_.refresh_on_change && is_leader_.load()) refresh_if_leading();
  if (is_leader_.load() && Clock::now() >= next_refresh_.load()) refresh_if_leading();
  if (rules_ && is_leader_.load() && rules_->poll()) refresh_if_leading();  // a changed rules file
  bool intake_due;
  {
    std::lock_guard lock(intake_mutex_);
    intake_due = (!intake_batch_.empty() || !intake_full_.empty()) && Clock::now() >= intake_since_ + options_.intake_flush;
  }
  if (intake_due) flush_intake();
  cell_.collect();
}

void Engine::sync_leadership() {
  berth_leadership l;
  {
    std::lock_guard lock(backend_mutex_);
    l = backend_->leadership();
  }
  bool was_leader = is_leader_.exchange(l.is_leader != 0);
  epoch_.store(l.epoch);
  connected_.store(l.connected != 0);
  notify_change();  // event queues compare leadership, epoch and degraded mode with what they saw
  if (was_leader && !l.is_leader) return_pending();
  if (l.is_leader && !was_leader) {
    logger().info("berth node {}: leading at epoch {}", node_id_, l.epoch);
    refresh_if_leading();  // publish under the new epoch straight away
  } else if (!l.is_leader && was_leader) {
    logger().info("berth node {}: no longer leading (epoch {})", node_id_, l.epoch);
  }
}

void Engine::install_latest() {
  // The base of a delta can go between reading the pointer and fetching the base, when a newer
  // checkpoint is published meanwhile: then the newest version is read again.
  for (int attempt = 0; attempt < 3; ++attempt)
    if (try_install_latest(attempt < 2)) return;
}

bool Engine::try_install_latest(bool again_if_base_gone) {
  // What this node publishes it installs from memory: never fetch and decode it back.
  uint64_t known = std::max(version_.load(), publishing_.load());
  Backend::Latest latest;
  try {
    std::lock_guard lock(backend_mutex_);
    latest = backend_->fetch_latest(known);
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CORRUPT) throw;
    // The backend cannot vouch for the newest bytes (a damaged file): as for bytes that do not
    // decode, count it and keep serving what this node has until a readable version is published.
    {
      std::lock_guard lock(metrics_mutex_);
      ++metrics_.snapshots_rejected;
    }
    logger().error("berth node {}: the newest published version cannot be read, still serving version {}: {}", node_id_,
                   version_.load(), e.what());
    return true;
  }
  // Remembered even if its bytes are rejected below, so this node never tries to publish a
  // version number that is already taken.
  uint64_t seen = latest_seen_.load();
  while (latest.version > seen && !latest_seen_.compare_exchange_weak(seen, latest.version)) {
  }
  if (latest.bytes.empty() || latest.version <= known) return true;
  std::shared_ptr<const Snapshot> base;  // the checkpoint a delta was read against
  try {
    auto fetch_base = [this](uint64_t version) {
      std::lock_guard lock(backend_mutex_);
      return backend_->fetch_version(version);
    };
    auto on_base = [&](const Snapshot& checkpoint) { base = std::make_shared<const Snapshot>(bare_copy(checkpoint)); };
    Checkpoints::Read read = checkpoints_.read(latest.version, latest.base_version, latest.bytes, fetch_base, on_base);
    if (latest.base_version != 0) base = read.checkpoint;
    auto snapshot = std::make_shared<Snapshot>(std::move(read.snapshot));
    std::shared_ptr<const Snapshot> current = cell_.shared();
    finish_snapshot(*snapshot, policy_.get(), names_, current.get());  // patches current's table when it can
    checkpoints_.keep(std::move(read.checkpoint), read.checkpoint_bytes);
    install(std::move(snapshot));
  } catch (const Error& e) {
    if (again_if_base_gone && e.code() == BERTH_E_NOT_FOUND && latest.base_version != 0 && !base) return false;
    // The backend could not be reached for the base: not the bytes' fault, and the worker tries
    // again shortly (as when fetch_latest fails).
    if (e.code() == BERTH_E_UNAVAILABLE || e.code() == BERTH_E_TIMEOUT) throw;
    {
      std::lock_guard lock(metrics_mutex_);
      ++metrics_.snapshots_rejected;
    }
    logger().error("berth node {}: published version {} rejected, still serving version {}: {}", node_id_, latest.version,
                   version_.load(), e.what());
    // A delta that cannot be read on top of a readable checkpoint: serve the checkpoint if it is
    // newer than what this node has, until the leader's next full publication.
    if (base && base->meta.version > version_.load()) {
      try {
        auto checkpoint = std::make_shared<Snapshot>(bare_copy(*base));
        finish_snapshot(*checkpoint, policy_.get(), names_);
        install(std::move(checkpoint));
        logger().warn("berth node {}: serving checkpoint version {} instead", node_id_, base->meta.version);
      } catch (const Error& fallback) {
        logger().error("berth node {}: checkpoint version {} rejected too: {}", node_id_, base->meta.version, fallback.what());
      }
    }
  }
  return true;
}

void Engine::install(std::shared_ptr<const Snapshot> snapshot) {
  uint64_t version = snapshot->meta.version;
  std::lock_guard install_lock(install_mutex_);
  if (version <= version_.load()) return;  // a newer one is already served
  {
    std::lock_guard lock(metrics_mutex_);
    const Balance& b = snapshot->balance;
    metrics_.version = version;
    metrics_.servers = snapshot->server_count();
    metrics_.streams = snapshot->stream_count();
    metrics_.total_load = b.total_load;
    metrics_.max_load = b.max_load;
    metrics_.min_load = b.min_load;
    metrics_.lower_bound = b.lower_bound;
    metrics_.max_over_lb = b.max_over_lb;
    metrics_.oversized_streams = b.oversized_streams;
  }
  cell_.store(std::move(snapshot));
  {
    std::lock_guard lock(intake_mutex_);
    submitted_unknown_.clear();  // streams still unknown in this version are recorded again
  }
  {
    std::lock_guard lock(version_mutex_);
    version_.store(version);
    change_generation_.fetch_add(1);
  }
  version_changed_.notify_all();
}

std::shared_ptr<const ServerColumns> Engine::members_as_servers() {
  std::vector<std::pair<std::string, std::string>> members;
  {
    std::lock_guard lock(backend_mutex_);
    members = backend_->members();
  }
  std::sort(members.begin(), members.end());
  auto servers = std::make_shared<ServerColumns>();
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& [id, info_bytes] = members[i];
    if (i > 0 && members[i - 1].first == id) continue;
    try {
      ServerInfo info = decode_server_info(info_bytes);
      servers->ids.push_back(id);
      servers->capacity.push_back(info.capacity);
      servers->state.push_back(info.state);
      servers->labels.push_back(std::move(info.labels));
    } catch (const Error& e) {
      logger().warn("berth node {}: member '{}' left out: {}", node_id_, id, e.what());
    }
  }
  return servers;
}

void Engine::refresh_if_leading() {
  try {
    refresh();
  } catch (const std::exception& e) {
    logger().warn("berth node {}: refresh failed: {}", node_id_, e.what());
  }
}

void Engine::return_pending() {
  std::lock_guard refresh_lock(refresh_mutex_);
  return_pending_locked();
}

// Stream changes this node took while leading, handed back when it stops leading without having
// published them: resubmitted when they were drained; a keyed backend still has them pending.
void Engine::return_pending_locked() {
  if (keyed_intake_) {
    pending_.clear();
    intake_keys_.forget_taken();
    settle_published_locked();
    return;
  }
  if (pending_.empty()) return;
  std::vector<std::string> batches = pending_as_batches();
  {
    std::lock_guard lock(backend_mutex_);
    for (const std::string& batch : batches) backend_->submit(batch);
  }
  pending_.clear();
}

// pending_ as intake batches (each stream in one of them, each batch well below a backend's
// record limit): applied on their own they have the effect of every record they came from.
std::vector<std::string> Engine::pending_as_batches() const {
  std::vector<std::string> batches(1);
  for (const std::string& id : pending_.order()) {
    if (batches.back().size() >= kIntakeBatchBytes) batches.emplace_back();
    std::string& batch = batches.back();
    const StreamChange& c = pending_.all().at(id);
    if (!c.present)
      append_intake(batch, IntakeOp::remove, id, "", kNaN);
    else if (c.added)
      append_intake(batch, IntakeOp::add, id, c.tenant, c.reported_load);
    else
      append_intake(batch, c.seen_only ? IntakeOp::seen : IntakeOp::report, id, "", c.reported_load);
  }
  if (batches.back().empty()) batches.pop_back();
  return batches;
}

// After a failed refresh on a keyed backend: when many records wait, they are replaced by a few
// records with the same effect (submitted first, the originals settled after, so a crash between
// the two only leaves both, and applying both changes nothing more). Without this, refreshes
// failing for a long time (a publish outage) would let the pending list grow without bound, where
// drain() used to empty it into memory.
void Engine::fold_taken_locked() noexcept {
  constexpr size_t kFoldAbove = 256;
  if (!keyed_intake_ || intake_keys_.taken_count() <= kFoldAbove) return;
  try {
    std::vector<std::string> batches = pending_as_batches();
    {
      std::lock_guard lock(backend_mutex_);
      for (const std::string& batch : batches) backend_->submit(batch);
      backend_->settle_intake(intake_keys_.taken());
    }
    logger().info("berth node {}: folded {} pending intake records into {}", node_id_, intake_keys_.taken_count(),
                  batches.size());
    pending_.clear();
    intake_keys_.forget_taken();  // the folded records are read back, and applied, by the next refresh
  } catch (const std::exception& e) {
    logger().warn("berth node {}: could not fold {} pending intake records: {}", node_id_, intake_keys_.taken_count(),
                  e.what());
  }
}

void Engine::refresh() {
  std::lock_guard refresh_lock(refresh_mutex_);
  auto started = Clock::now();
  auto fail = [&](const Error& e) {
    std::lock_guard lock(metrics_mutex_);
    ++metrics_.refresh_failed;
    metrics_.refresh_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    throw e;
  };
  berth_leadership l;
  std::vector<std::string> batches;
  {
    std::lock_guard lock(backend_mutex_);
    l = backend_->leadership();
  }
  if (!l.is_leader) {
    is_leader_.store(false);
    next_refresh_ = Clock::now() + options_.refresh_interval;
    throw Error(BERTH_E_STATE, fmt::format("node {} is not the leader (epoch {})", node_id_, l.epoch));
  }
  try {
    install_latest();  // build on the newest published version, whoever published it
    batches = take_intake_locked(l.epoch);
    for (const std::string& batch : batches) {
      try {
        for (const IntakeRecord& r : parse_intake(batch)) pending_.apply(r);
      } catch (const Error& e) {
        std::lock_guard lock(metrics_mutex_);
        ++metrics_.intake_rejected;
        logger().warn("berth node {}: intake batch dropped: {}", node_id_, e.what());
      }
    }

    std::shared_ptr<const Snapshot> base = cell_.shared();
    Provenance meta;
    // On top of the newest version anyone published, even one this node could not read.
    meta.version = std::max(base ? base->meta.version : 0, latest_seen_.load()) + 1;
    meta.epoch = l.epoch;
    meta.leader = node_id_;
    meta.created_unix_ms = unix_ms();
    RefreshResult result = compute_refresh(base.get(), members_as_servers(), pending_, *appraiser_, *policy_,
                                           std::move(meta), names_, rules_.get());
    publishing_.store(result.snapshot->meta.version);
    try {
      publish_locked(*result.snapshot, l.epoch);
    } catch (...) {
      publishing_.store(0);  // not ours after all: whoever published this version, fetch it
      wake(BERTH_CHANGED_SNAPSHOT);
      throw;
    }
    pending_.clear();
    intake_keys_.published();
    install(result.snapshot);
    settle_published_locked();
    next_refresh_ = Clock::now() + options_.refresh_interval;
    std::lock_guard lock(metrics_mutex_);
    ++metrics_.refresh_ok;
    metrics_.refresh_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    metrics_.moved_streams = result.moved_streams;
    metrics_.moved_load = result.moved_load;
    metrics_.moved_load_fraction = result.moved_load_fraction;
    metrics_.new_streams = result.new_streams;
    record_rules(metrics_, result.rules);
    if (result.rules.problem_count > 0 || !result.rules.refused.empty())
      logger().warn("berth node {}: tenant rules: {} problem(s){}{}", node_id_, result.rules.problem_count,
                    result.rules.problems.empty() ? "" : ", first: " + result.rules.problems.front().message,
                    result.rules.refused.empty() ? "" : "; " + result.rules.refused);
    if (result.snapshot->balance.oversized_streams > 0)
      logger().warn("berth node {}: {} stream(s) carry more load than a server's fair share; perfect balance is impossible",
                   node_id_, result.snapshot->balance.oversized_streams);
  } catch (const Error& e) {
    next_refresh_ = Clock::now() + options_.refresh_interval;
    if (e.code() == BERTH_E_FENCED) {
      is_leader_.store(false);
      try {
        return_pending_locked();  // the new leader gets what this one drained (drain() backends)
      } catch (const std::exception& returned) {
        logger().warn("berth node {}: drained records lost when deposed: {}", node_id_, returned.what());
      }
    } else {
      fold_taken_locked();
    }
    fail(e);
  } catch (const std::exception& e) {
    next_refresh_ = Clock::now() + options_.refresh_interval;
    fold_taken_locked();
    fail(Error(BERTH_E_INTERNAL, std::string("refresh failed: ") + e.what()));
  }
}

std::vector<std::string> Engine::take_intake_locked(uint64_t epoch) {
  std::vector<std::string> batches;
  if (!keyed_intake_) {
    std::lock_guard lock(backend_mutex_);
    return backend_->drain();
  }
  // Changes taken under another epoch may be stale: whoever led in between may have published
  // them and newer ones. They are still pending in the backend unless they were published, so
  // drop them and read the pending list afresh.
  if (intake_keys_.has_taken() && intake_keys_.epoch() != epoch) {
    pending_.clear();
    intake_keys_.forget_taken();
  }
  intake_keys_.set_epoch(epoch);
  settle_published_locked();  // leftovers of an earlier refresh, so they are not read again
  std::vector<std::pair<std::string, std::string>> records;
  {
    std::lock_guard lock(backend_mutex_);
    records = backend_->peek_intake();
  }
  for (auto& [key, bytes] : records)
    if (intake_keys_.take(key)) batches.push_back(std::move(bytes));
  return batches;
}

void Engine::settle_published_locked() noexcept {
  if (!keyed_intake_ || intake_keys_.unsettled().empty()) return;
  std::lock_guard lock(backend_mutex_);
  try {
    backend_->settle_intake(intake_keys_.unsettled());
    intake_keys_.settled();
  } catch (const Error& e) {
    if (e.code() != BERTH_E_INVALID_ARGUMENT) {
      logger().warn("berth node {}: {} published intake record(s) not settled yet, retried at the next refresh: {}",
                    node_id_, intake_keys_.unsettled().size(), e.what());
      return;
    }
    // The backend refuses a key it gave out (a backend bug): settle the others one by one, and
    // never take the refused ones again, or they would be applied at every refresh.
    std::vector<std::string> refused;
    for (const std::string& key : intake_keys_.unsettled()) {
      try {
        backend_->settle_intake({key});
      } catch (const std::exception&) {
        refused.push_back(key);
      }
    }
    logger().error("berth node {}: the backend refuses to settle {} intake record(s) it handed out; they stay in "
                   "it and are ignored from now on: {}",
                   node_id_, refused.size(), e.what());
    intake_keys_.settled();
    for (const std::string& key : refused) intake_keys_.ignore(key);
  } catch (const std::exception& e) {
    logger().warn("berth node {}: {} published intake record(s) not settled yet, retried at the next refresh: {}",
                  node_id_, intake_keys_.unsettled().size(), e.what());
  }
}

// A delta against the last checkpoint when the backend keeps bases and the delta is small, else
// a full snapshot (the next checkpoint). Requires refresh_mutex_.
void Engine::publish_locked(const Snapshot& snapshot, uint64_t epoch) {
  const uint64_t version = snapshot.meta.version;
  Checkpoints::Publication publication = checkpoints_.prepare(snapshot, backend_->supports_deltas());
  {
    std::lock_guard lock(backend_mutex_);
    try {
      backend_->publish_based(epoch, version, publication.base_version, publication.bytes);
    } catch (const Error& e) {
      // The base is no longer kept (a newer checkpoint came from elsewhere): publish in full.
      if (publication.base_version == 0 || e.code() != BERTH_E_NOT_FOUND) throw;
      publication = Checkpoints::Publication{encode_snapshot(snapshot, own_defaults_ ? &*own_defaults_ : nullptr), 0, {}};
      backend_->publish_based(epoch, version, 0, publication.bytes);
    }
  }
  checkpoints_.published(snapshot, publication);
  if (publication.base_version != 0)
    logger().debug("berth node {}: version {} published as a delta on version {}: {} bytes, {} changed, {} added, {} removed",
                   node_id_, version, publication.base_version, publication.bytes.size(), publication.counts.changed,
                   publication.counts.added, publication.counts.removed);
}

void Engine::publish_as(uint64_t epoch) {
  auto current = cell_.shared();
  if (!current) throw Error(BERTH_E_STATE, "nothing to publish");
  Snapshot copy;  // the published columns only: encode needs nothing derived
  copy.meta = current->meta;
  copy.servers = current->servers;
  copy.streams = current->streams;
  copy.load = current->load;
  copy.owner = current->owner;
  copy.meta.version = version_.load() + 1;
  copy.meta.epoch = epoch;
  std::string bytes = encode_snapshot(copy, own_defaults_ ? &*own_defaults_ : nullptr);
  std::lock_guard lock(backend_mutex_);
  backend_->publish(epoch, copy.meta.version, bytes);
}

void Engine::resign() {
  {
    std::lock_guard lock(backend_mutex_);
    backend_->resign();
  }
  sync_leadership();
}

void Engine::wait_version(uint64_t version, std::chrono::milliseconds timeout) {
  std::unique_lock lock(version_mutex_);
  if (!version_changed_.wait_for(lock, timeout, [&] { return version_.load() >= version; }))
    throw Error(BERTH_E_TIMEOUT, fmt::format("node {} still serves version {} after {} ms waiting for version {}", node_id_,
                                             version_.load(), timeout.count(), version));
}

uint64_t Engine::wait_change(uint64_t seen, Clock::time_point deadline, const std::atomic<bool>& cancel) {
  std::unique_lock lock(version_mutex_);
  version_changed_.wait_until(lock, deadline, [&] { return change_generation_.load() != seen || cancel.load(); });
  return change_generation_.load();
}

void Engine::notify_change() {
  {
    std::lock_guard lock(version_mutex_);  // a waiter between its check and its sleep still wakes
    change_generation_.fetch_add(1);
  }
  version_changed_.notify_all();
}

EngineStatus Engine::status() const {
  auto s = cell_.shared();
  EngineStatus out;
  out.version = s ? s->meta.version : 0;
  out.epoch = epoch_.load();
  out.is_leader = is_leader_.load();
  out.degraded = !connected_.load();
  out.servers = s ? s->server_count() : 0;
  out.streams = s ? s->stream_count() : 0;
  return out;
}

EngineMetrics Engine::metrics() const {
  std::lock_guard lock(metrics_mutex_);
  EngineMetrics m = metrics_;
  m.epoch = epoch_.load();
  m.is_leader = is_leader_.load();
  m.degraded = !connected_.load();
  m.lookups_unknown = lookups_unknown_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace berth
