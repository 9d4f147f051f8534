#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include "common/log.h"

#include "common/error.h"
#include "common/hash.h"
#include "common/heap_return.h"
#include "engine/catalogue_step.h"
#include "engine/grant_refresh.h"
#include "snapshot/codec.h"
#include "snapshot/known_owner.h"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kWakeIntake = 1u << 16;     // intake records wait to be flushed
constexpr uint32_t kWakeFlushNow = 1u << 17;   // a release acknowledgement: to the leader at once
constexpr uint32_t kWakeRegister = 1u << 18;   // a lease was lost: register the servers anew
constexpr auto kLeasePoll = std::chrono::milliseconds(20);
// A new leader whose first refresh failed tries again this soon, not at the refresh interval: a
// crashed leader's streams wait for that publication. Doubled after each failure (a cause that
// lasts, such as no servers yet, is not retried at this pace), up to the refresh interval.
constexpr auto kFirstRefreshRetry = std::chrono::milliseconds(50);
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
  LogNodeScope node(node_id_);  // the plugins' lines while they start name this node too
  appraiser_ = std::make_unique<Appraiser>(registry_.load(BERTH_PLUGIN_APPRAISER, options_.appraiser.name),
                                           options_.appraiser.config);
  policy_ = std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, options_.policy.name), options_.policy.config);
  snapshot_policies_ = std::make_unique<SnapshotPolicies>(registry_, policy_);
  if (options_.implicit_owners) own_defaults_ = owner_defaults(policy_);
  checkpoints_.use_policies(own_defaults_, snapshot_policies_->finder());
  follower_ = std::make_unique<Follower>(checkpoints_, *policy_, names_, node_id_);
  if (!options_.rules.file.empty())
    rules_ = std::make_unique<rules::RulesSource>(options_.rules.file, options_.rules.limits);
  open_weigher();
  watch_ = berth_backend_watch{BERTH_SIZE_THROUGH(berth_backend_watch, changed), this, &Engine::on_watch};
  backend_ = std::make_unique<Backend>(registry_.load(BERTH_PLUGIN_BACKEND, options_.backend.name),
                                       options_.backend.config, &watch_);
  intake_ = std::make_unique<IntakeLedger>(backend_->supports_intake_keys(), node_id_);
  next_refresh_ = Clock::now() + options_.refresh_interval;
  install_latest();
  return_freed_memory_if_installed();  // the first install's fetched and decoded bytes
  if (options_.campaign) backend().call([](Backend& b) { b.campaign(); });
  wake(BERTH_CHANGED_LEADER | BERTH_CHANGED_SNAPSHOT);
  worker_ = std::thread([this] { worker_loop(); });
  lease_poller_ = std::thread([this] { lease_loop(); });
  registration_.join(this);
}

Engine::~Engine() {
  LogNodeScope node(node_id_);
  registration_.leave();  // no scrape reads this engine while it stops
  // Claims end before anything else: a host that checks holds() stops at once, its feed closes.
  tracker_->close_all(ownership::monotonic_now_ns());
  {
    std::lock_guard lock(wake_mutex_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  lease_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (lease_poller_.joinable()) lease_poller_.join();
  try {
    // What hosts told this node, and what it drained as leader but never published, must not
    // be lost with it: back to the backend for whoever leads next (records a keyed backend keeps
    // pending need nothing; published ones are settled a last time).
    if (intake_) {
      flush_intake();
      return_pending();
    }
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
  if (const char* owner = known_owner(*s, h, stream)) return owner;
  return place_unknown(*s, h, stream);
}

void Engine::lookup_batch(const std::string_view* streams, size_t count, const char** out_owners) {
  Lookups(*this).batch(streams, count, out_owners);
}

Engine::Lookups::Lookups(Engine& engine) : engine_(engine), reader_(engine.cell_) {
  if (reader_.get() == nullptr)
    throw Error(BERTH_E_UNAVAILABLE, fmt::format("node {} has no snapshot yet: no leader has published", engine.node_id_));
}

void Engine::Lookups::batch(const std::string_view* streams, size_t count, const char** out_owners) {
  const Snapshot* s = reader_.get();
  // Software pipelining: the probe of stream i + kAhead is prefetched while stream i is resolved,
  // so about kAhead table misses are in flight (memory latency here is ~200 ns; a probe ~5 ns).
  constexpr size_t kAhead = 32;
  uint64_t hash[kAhead];
  size_t primed = std::min(kAhead, count);
  for (size_t i = 0; i < primed; ++i) {
    hash[i] = stream_hash(streams[i]);
    s->table->prefetch(hash[i]);
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t h = hash[i % kAhead];
    if (i + kAhead < count) {
      uint64_t ahead = stream_hash(streams[i + kAhead]);
      hash[i % kAhead] = ahead;
      s->table->prefetch(ahead);
    }
    const char* owner = known_owner(*s, h, streams[i]);
    out_owners[i] = owner != nullptr ? owner : engine_.place_unknown(*s, h, streams[i]);
  }
}

// A stream the snapshot does not know: placed as a pure function of this snapshot, so every
// node answers the same, and recorded so the leader's next refresh includes it. An id longer than
// any stream may have is refused first, every time, and nothing of it is kept.
const char* Engine::place_unknown(const Snapshot& snapshot, uint64_t h, std::string_view stream) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  if (stream.size() > kMaxIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("stream id of {} bytes exceeds the longest stream id ({} bytes)",
                                                      stream.size(), kMaxIdBytes));
  const Snapshot* s = &snapshot;
  if (!s->placer) throw Error(s->placer_error_code, fmt::format("stream '{}': {}", stream, s->placer_error));
  uint32_t server = s->placer->place(h, kNaN);
  if (server >= s->server_count())
    throw Error(BERTH_E_PLUGIN, fmt::format("policy placed stream '{}' on server #{} of {}", stream, server, s->server_count()));
  lookups_unknown_.fetch_add(1, std::memory_order_relaxed);
  // A stream removed on purpose is answered but not recorded: the leader would ignore it.
  if (s->tombstones && s->tombstones->contains(stream)) return s->server_name[server];
  if (intake_->first_lookup(stream)) record_intake(IntakeOp::seen, stream, "", kNaN);
  return s->server_name[server];
}

// ------------------------------------------------------------------ membership and intake ----

void Engine::join(std::string_view server, double capacity, const Labels& labels) {
  if (server.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "server id is empty");
  if (!std::isfinite(capacity) || capacity <= 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("server '{}': capacity {} is not a positive number", server, capacity));
  std::lock_guard registering(registration_mutex_);
  const bool first = !registrations_.find(server);
  ServerInfo info = registrations_.joining(server, capacity, labels);
  info.serving = tracker_->find(server) != nullptr;  // joined again while its host serves it
  // Recorded, and known to the tracker, before the leader can see the registration: no grant to
  // this incarnation can come in a version the tracker does not take up, and nothing registers
  // the server again under an older incarnation.
  registrations_.registered(server, info);
  tracker_->add(server, info.incarnation);
  try {
    backend().call([&](Backend& b) { b.join(server, encode_server_info(info)); });
  } catch (...) {
    if (first) {
      tracker_->remove(server);
      registrations_.forget(server);
    }
    throw;
  }
}

void Engine::leave(std::string_view server) {
  std::lock_guard registering(registration_mutex_);
  tracker_->remove(server);  // its host stops serving before anyone else may be granted its streams
  registrations_.forget(server);
  backend().call([&](Backend& b) { b.leave(server); });
}

std::shared_ptr<ownership::ServerClaims> Engine::claims(std::string_view server) {
  if (!backend_->supports_lease())
    throw Error(BERTH_E_STATE, fmt::format("backend '{}' reports no lease (plugin ABI before 1.4): ownership needs one",
                                           backend_->plugin().name));
  // One registration throughout: a leave and a join between the open and serve_locked() would
  // mark a registration nobody opened as served.
  std::lock_guard registering(registration_mutex_);
  auto claims = tracker_->find(server);
  if (!claims) {
    // First asked for: kept from now on, starting from the version served (installs wait).
    std::lock_guard install_lock(install_mutex_);
    claims = tracker_->open(server, cell_.shared().get());
    if (!claims) throw Error(BERTH_E_NOT_FOUND, fmt::format("node {}: server '{}' was not joined through this engine", node_id_, server));
  }
  serve_locked(server);
  return claims;
}

// The registration says a host serves the server, so the leader starts granting it streams
// (until then it only routes to it). Once per registration; the claims are open before.
// Requires registration_mutex_.
void Engine::serve_locked(std::string_view server) {
  std::optional<ServerInfo> info = registrations_.find(server);
  if (!info || info->serving) return;
  info->serving = true;
  backend().call([&](Backend& b) { b.join(server, encode_server_info(*info)); });
  registrations_.registered(server, *info);
}

void Engine::release(std::string_view server, std::string_view stream, uint64_t token) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  // Only claims a host opened hold anything (a release never opens them, nor marks a server served).
  auto opened = tracker_->find(server);
  if (!opened)
    throw Error(BERTH_E_NOT_FOUND, fmt::format("node {}: server '{}' has no open claims here (joined elsewhere, left, or no feed opened)", node_id_, server));
  if (!opened->release(stream, token))
    throw Error(BERTH_E_STATE, fmt::format("server '{}' does not hold stream '{}' under token {}", server, stream, token));
  intake_->record_release(stream, server, token);
  wake(kWakeFlushNow);
}

void Engine::drain(std::string_view server, bool draining) {
  std::lock_guard registering(registration_mutex_);  // never under an incarnation a lease loss retired
  std::optional<ServerInfo> info = registrations_.find(server);
  if (!info) throw Error(BERTH_E_NOT_FOUND, fmt::format("node {}: server '{}' was not joined through this engine", node_id_, server));
  info->state = draining ? BERTH_SERVER_DRAINING : BERTH_SERVER_UP;
  backend().call([&](Backend& b) { b.join(server, encode_server_info(*info)); });
  registrations_.registered(server, *info);
}

ownership::LapseClock Engine::lapse_clock() const {
  uint64_t wait = 0;
  if (options_.ownership.vanish_wait) {
    wait = static_cast<uint64_t>(std::chrono::nanoseconds(*options_.ownership.vanish_wait).count());
  } else if (backend_->supports_lease()) {
    wait = backend_->lease().vanish_wait_ns;
  }
  return {ownership::monotonic_now_ns(), wait};
}

// The lease is polled on a thread of its own, without the backend lock: a worker busy publishing
// a large version must not let it lapse. A lapse (or a replaced session) ends every claim in the
// tracker at once; the worker then registers the servers anew under new incarnations.
void Engine::lease_loop() {
  LogNodeScope node(node_id_);
  bool leased = false;
  std::unique_lock lock(wake_mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      // Without a lease nothing can say when a claim ends: nothing is ever held (claims() refuses).
      Backend::Lease l = backend_->supports_lease() ? backend_->lease() : Backend::Lease{false, 0, 0};
      if (tracker_->lease(l.held, l.valid_until_ns, l.session)) {
        {
          std::lock_guard counters(counters_mutex_);
          ++counters_.leases_lost;
        }
        logger().warn("berth node {}: lease lost: every claim of this node's servers ended", node_id_);
        register_again_.store(true);
      }
      if (register_again_.load() && l.held) wake(kWakeRegister);
      // The tracker takes nothing up without a lease: grants the served version showed meanwhile
      // (the first version, before the first lease) are taken up now, not at the next version.
      bool now_leased = tracker_->lease_deadline().load() > ownership::monotonic_now_ns();
      if (now_leased && !leased) {
        std::lock_guard install_lock(install_mutex_);
        if (auto served = cell_.shared()) tracker_->apply(*served);
      }
      leased = now_leased;
    } catch (const std::exception& e) {
      logger().warn("berth node {}: lease: {}", node_id_, e.what());
    }
    lock.lock();
    lease_cv_.wait_for(lock, kLeasePoll, [&] { return stop_; });
  }
}

void Engine::register_again() {
  if (!register_again_.exchange(false)) return;
  std::lock_guard registering(registration_mutex_);
  try {
    for (auto& [server, info] : registrations_.all()) {
      info.incarnation = Registrations::new_incarnation();
      registrations_.registered(server, info);             // a drain meanwhile keeps it
      tracker_->set_incarnation(server, info.incarnation);  // before the leader can see it
      backend().call([&](Backend& b) { b.join(server, encode_server_info(info)); });
    }
  } catch (...) {
    register_again_.store(true);  // the next lease poll wakes the worker again
    throw;
  }
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
  if (intake_->record(op, stream, tenant, load)) wake(kWakeIntake);
}

void Engine::flush() { flush_intake(); }

void Engine::flush_intake() { intake_->flush(backend()); }

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
  LogNodeScope node(node_id_);
  std::unique_lock lock(wake_mutex_);
  while (!stop_) {
    auto deadline = Clock::now() + std::chrono::seconds(1);  // also a heartbeat for housekeeping
    if (is_leader_.load()) deadline = std::min(deadline, next_refresh_.load());
    if (auto due = intake_->flush_due(options_.intake_flush)) deadline = std::min(deadline, *due);
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
  // A refresh made on election read the members after these bits were taken: a membership change
  // among them is in it.
  bool refreshed = false;
  if (bits & (BERTH_CHANGED_LEADER | BERTH_CHANGED_CONNECTION)) refreshed = sync_leadership();
  if (bits & kWakeRegister) register_again();
  if (bits & kWakeFlushNow) flush_intake();
  if (bits & BERTH_CHANGED_SNAPSHOT) install_latest();
  if ((bits & BERTH_CHANGED_INTAKE) && is_leader_.load()) intake_refresh();
  if ((bits & BERTH_CHANGED_MEMBERS) && options_.refresh_on_change && is_leader_.load() && !refreshed)
    refresh_if_leading();
  if (is_leader_.load() && Clock::now() >= next_refresh_.load()) refresh_if_leading();
  if (rules_ && is_leader_.load() && rules_->poll()) refresh_if_leading();  // a changed rules file
  auto intake_due = intake_->flush_due(options_.intake_flush);
  if (intake_due && Clock::now() >= *intake_due) flush_intake();
  cell_.collect();
  return_freed_memory_if_installed();
}

// After any install (a follower's, or what a grant-only version of this leader replaced): what
// it fetched and decoded, and the version it replaced once no reader held it.
void Engine::return_freed_memory_if_installed() {
  if (installed_since_return_.exchange(false) && options_.return_freed_memory) return_free_heap();
}

bool Engine::sync_leadership() {
  berth_leadership l = backend().call([](Backend& b) { return b.leadership(); });
  bool was_leader = is_leader_.exchange(l.is_leader != 0);
  epoch_.store(l.epoch);
  connected_.store(l.connected != 0);
  notify_change();  // event queues compare leadership, epoch and degraded mode with what they saw
  if (was_leader && !l.is_leader) return_pending();
  if (l.is_leader && !was_leader) {
    logger().info("berth node {}: leading at epoch {}", node_id_, l.epoch);
    // Publish under the new epoch straight away, on the leadership just read (the publication is
    // fenced by its epoch in the backend); until one succeeds, again after kFirstRefreshRetry.
    first_refresh_failures_.store(0);
    first_refresh_due_.store(true);
    return refresh_if_leading(&l);
  }
  if (!l.is_leader && was_leader) logger().info("berth node {}: no longer leading (epoch {})", node_id_, l.epoch);
  return false;
}

void Engine::install_latest() {
  std::shared_ptr<const Snapshot> current = cell_.shared();
  Follower::Outcome latest = follower_->latest(backend(), versions_, current.get());
  if (latest.rejected != 0) {
    std::lock_guard lock(counters_mutex_);
    counters_.snapshots_rejected += latest.rejected;
  }
  if (latest.snapshot) install(std::move(latest.snapshot));
}

void Engine::install(std::shared_ptr<const Snapshot> snapshot) {
  uint64_t version = snapshot->meta.version;
  std::lock_guard install_lock(install_mutex_);
  if (version <= versions_.served()) return;  // a newer one is already served
  const Snapshot& installed = *snapshot;
  cell_.store(std::move(snapshot));
  installed_since_return_.store(true);
  intake_->new_version();  // streams still unknown in this version are recorded again
  versions_.served_now(version);
  handoff_mode_.installed(installed.meta);
  tracker_->apply(installed);  // in version order, like the installs (the cell keeps it alive)
}

// Intake woke the leader (a release, a new stream): refresh soon rather than at the interval, but
// never more often than a refresh takes, so a stream of intake cannot keep the leader busy.
void Engine::schedule_intake_refresh() {
  if (options_.intake_refresh_delay.count() <= 0) return;
  auto at = Clock::now() + std::max<Clock::duration>(options_.intake_refresh_delay, last_refresh_took_.load());
  if (at < next_refresh_.load()) next_refresh_.store(at);
}

// Requires refresh_mutex_.
void Engine::observe_handoffs(const Snapshot& published) {
  uint64_t stalled = handoffs_.observe(published, Clock::now(), options_.ownership.stall_after);
  if (stalled > 0)
    logger().warn("berth node {}: {} hand-off(s) stalled: their holders have not released them for {} ms", node_id_,
                  stalled, options_.ownership.stall_after.count());
  std::lock_guard lock(counters_mutex_);
  counters_.handoffs = handoffs_.figures();
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
      servers->incarnation.push_back(info.incarnation);
      servers->serving.push_back(info.serving ? 1 : 0);
    } catch (const Error& e) {
      logger().warn("berth node {}: member '{}' left out: {}", node_id_, id, e.what());
    }
  }
  return servers;
}

bool Engine::refresh_if_leading(const berth_leadership* known) {
  try {
    refresh_as(known);
    first_refresh_due_.store(false);
    return true;
  } catch (const std::exception& e) {
    logger().warn("berth node {}: refresh failed: {}", node_id_, e.what());
    if (first_refresh_due_.load() && is_leader_.load()) {
      const int doublings = std::min(first_refresh_failures_.fetch_add(1), 16);
      auto soon = Clock::now() + kFirstRefreshRetry * (1 << doublings);
      if (soon < next_refresh_.load()) next_refresh_.store(soon);
    }
    return false;
  }
}

// Stream changes this node took while leading, handed back when it stops leading without having
// published them.
void Engine::return_pending() {
  std::lock_guard refresh_lock(refresh_mutex_);
  handoffs_.forget();
  intake_->give_back(backend());
}

// This node learnt from the backend that it no longer leads (a refresh was refused or fenced):
// event queues hear of it now, and what it drained as leader goes back for the next leader.
// Requires refresh_mutex_.
void Engine::deposed_locked(uint64_t epoch) {
  epoch_.store(epoch);
  if (is_leader_.exchange(false)) {  // else sync_leadership() flipped it and notified
    notify_change();
    logger().info("berth node {}: no longer leading (epoch {})", node_id_, epoch);
  }
  handoffs_.forget();
  // Even when the flag was already down: this refresh may have drained records (give_back() is
  // idempotent).
  try {
    intake_->give_back(backend());
  } catch (const std::exception& e) {
    logger().warn("berth node {}: drained records lost when deposed: {}", node_id_, e.what());
  }
}

RefreshResult Engine::build_refresh(uint64_t epoch) {
  install_latest();  // build on the newest published version, whoever published it
  if (uint64_t rejected = intake_->take(backend(), epoch); rejected != 0) {
    std::lock_guard lock(counters_mutex_);
    counters_.intake_rejected += rejected;
  }
  std::shared_ptr<const Snapshot> base = cell_.shared();
  const uint64_t base_version = base ? base->meta.version : 0;
  const uint64_t latest = versions_.latest_seen();
  Provenance meta;
  // On top of the newest version anyone published, even one this node could not read.
  meta.version = std::max(base_version, latest) + 1;
  meta.epoch = epoch;
  meta.leader = node_id_;
  meta.created_unix_ms = unix_ms();
  // Holders come from the latest version only (docs/ownership.md): one this node cannot read may
  // have granted what the base shows free, and a base without holder data shows nothing held.
  const bool stale = latest > base_version;
  const bool holderless = base && base->stream_count() > 0 && base->holder.empty();
  if (stale)
    logger().warn("berth node {}: version {} is built on version {}, older than the latest published version {} "
                  "(unreadable here): it grants nothing",
                  node_id_, meta.version, base_version, latest);
  else if (holderless)
    logger().warn("berth node {}: version {} is built on version {}, which has no holder data (a leader of an earlier "
                  "release): it grants nothing",
                  node_id_, meta.version, base_version);
  std::shared_ptr<const OperatorServers> operators = next_operator_servers(base.get());
  // The operators' word first, then the weights (which multiply what the columns then say).
  std::shared_ptr<const Weighting> weighting;
  std::shared_ptr<const ServerColumns> servers =
      weigh_servers(base.get(), merge_operator_servers(members_as_servers(), operators.get()), weighting);
  RefreshResult result =
      refresh_with_rules(base.get(), std::move(servers), std::move(meta), !stale && !holderless, operators.get());
  result.snapshot->operator_servers = std::move(operators);
  result.snapshot->weighting = std::move(weighting);
  return result;
}

void Engine::refresh() { refresh_as(nullptr); }

void Engine::refresh_as(const berth_leadership* known) {
  std::lock_guard refresh_lock(refresh_mutex_);
  auto started = Clock::now();
  berth_leadership l = known != nullptr ? *known : backend().call([](Backend& b) { return b.leadership(); });
  if (!l.is_leader) {
    next_refresh_ = Clock::now() + options_.refresh_interval;
    deposed_locked(l.epoch);
    throw Error(BERTH_E_STATE, fmt::format("node {} is not the leader (epoch {})", node_id_, l.epoch));
  }
  publish_refresh_locked(l.epoch, started, [&] { return build_refresh(l.epoch); }, true);
}

// Intake woke the leader. Releases alone are granted at once by a grant-only version on the newest
// base (engine/grant_refresh.h); stream changes bring the full refresh forward; nothing new
// (the leader's own settling of published records wakes it too) publishes nothing.
void Engine::intake_refresh() {
  if (options_.intake_refresh_delay.count() <= 0) return;
  std::lock_guard refresh_lock(refresh_mutex_);
  if (!is_leader_.load()) return;
  // The epoch this node leads at, as last seen: the publication is fenced by it in the backend,
  // so a stale one only fails there (then this node is deposed like any fenced leader).
  const uint64_t epoch = epoch_.load();
  bool stream_changes = false;
  bool at_once = false;  // a server drained or sealed: placement changes from the next version
  auto build = [&]() -> RefreshResult {
    install_latest();  // on the newest published version, whoever published it
    if (uint64_t rejected = intake_->take(backend(), epoch); rejected != 0) {
      std::lock_guard lock(counters_mutex_);
      counters_.intake_rejected += rejected;
    }
    const PendingChanges& pending = intake_->pending();
    std::shared_ptr<const Snapshot> base = cell_.shared();
    // Signals alone wait for the periodic refresh: hosts report them often, and a version per
    // report would publish noise the weighting step smooths away anyway. With releases waiting
    // they ride along on the full refresh, which a grant-only version could not carry.
    const auto& records = pending.catalogue();
    const bool signals = std::any_of(records.begin(), records.end(), [](const IntakeRecord& r) { return r.op == IntakeOp::signal; });
    const bool other_records = std::any_of(records.begin(), records.end(), [](const IntakeRecord& r) { return r.op != IntakeOp::signal; });
    if (!pending.no_stream_changes() || other_records || (signals && !pending.releases().empty())) stream_changes = true;
    at_once = drains_or_seals(pending);
    if (stream_changes || signals || pending.releases().empty() || !base) return {};
    // Grants stand only on the latest version, and on one with holder data (build_refresh): on
    // any other base the full refresh decides, soon.
    if (versions_.latest_seen() > base->meta.version || (base->stream_count() > 0 && base->holder.empty())) {
      stream_changes = true;
      return {};
    }
    Provenance meta;
    meta.version = std::max(base->meta.version, versions_.latest_seen()) + 1;
    meta.epoch = epoch;
    meta.leader = node_id_;
    meta.created_unix_ms = unix_ms();
    return compute_grant_refresh(*base, pending.releases(), policy_.get(), std::move(meta), names_,
                                 options_.ownership.soft_handoff, lapse_clock());
  };
  try {
    publish_refresh_locked(epoch, Clock::now(), build, false);
  } catch (const std::exception& e) {
    logger().warn("berth node {}: grant refresh failed: {}", node_id_, e.what());
  }
  if (stream_changes) schedule_intake_refresh();
  if (at_once) next_refresh_.store(Clock::now());
}

// Builds (with `build`, again when another node's newer version overtook it) and publishes the
// next version, installs it, settles the intake it includes and times the hand-offs. A `full`
// refresh also reschedules the periodic one and updates the refresh counters; a build that
// returns no snapshot publishes nothing. Requires refresh_mutex_.
void Engine::publish_refresh_locked(uint64_t epoch, Clock::time_point started,
                                    const std::function<RefreshResult()>& build, bool full) {
  auto fail = [&](const Error& e) {
    if (full) {
      std::lock_guard lock(counters_mutex_);
      record_refresh(counters_, std::chrono::duration<double>(Clock::now() - started).count(), nullptr);
    }
    throw e;
  };
  bool published = false;  // from then on the pending records are in a version: never failed()
  auto build_once = [&] {
    refused_in_build_ = 0;
    return build();
  };
  try {
    RefreshResult result = build_once();
    if (!result.snapshot) return;
    // A newer version was served while this one was built (another node published it): build
    // again on top of it, a few times, rather than publish a version below the one served.
    for (int again = 1; !versions_.begin_publishing(result.snapshot->meta.version); ++again) {
      if (again == 3)
        throw Error(BERTH_E_STATE, fmt::format("node {}: version {} overtaken by served version {} {} times while "
                                               "building on it; another node publishes",
                                               node_id_, result.snapshot->meta.version, versions_.served(), again));
      result = build_once();
      if (!result.snapshot) return;
    }
    const uint64_t version = result.snapshot->meta.version;
    // Whatever happens below, the publication ends: a version this node published but could not
    // install is then fetched like anyone's.
    struct EndPublishing {
      VersionState& versions;
      uint64_t version;
      ~EndPublishing() { versions.end_publishing(version); }
    } end_publishing{versions_, version};
    const auto publishing = Clock::now();
    // Failed writes count too: a backend that times out shows in the histogram's upper buckets.
    auto observe_publication = [&] {
      std::lock_guard lock(counters_mutex_);
      counters_.publication_seconds.observe(std::chrono::duration<double>(Clock::now() - publishing).count());
    };
    try {
      publish_locked(*result.snapshot, epoch, published);
      observe_publication();
    } catch (...) {
      observe_publication();
      wake(BERTH_CHANGED_SNAPSHOT);  // whoever published this version (this node included), fetch it
      throw;
    }
    if (refused_in_build_ != 0) {
      std::lock_guard lock(counters_mutex_);
      counters_.intake_rejected += refused_in_build_;
    }
    try {
      install(result.snapshot);
    } catch (...) {
      wake(BERTH_CHANGED_SNAPSHOT);  // published: the follower fetches it back
      throw;
    }
    intake_->settle_published(backend());  // a backend round trip: only once the version is served
    observe_handoffs(*result.snapshot);
    if (!full) return;  // a grant-only version: the worker returns what it freed (handle())
    // What the build and the publication freed, before the refresh is timed: its cost is the
    // refresh's. (The version it replaced may still be read: the worker returns it once freed.)
    if (options_.return_freed_memory) return_free_heap();
    next_refresh_ = Clock::now() + options_.refresh_interval;
    // A version that granted nothing is followed soon by one that grants, once nodes had a
    // moment to install it (docs/ownership.md).
    if (result.ownership.withheld > 0)
      next_refresh_ = std::min(next_refresh_.load(), Clock::now() + options_.ownership.lease_margin);
    // Lapsing holds are granted by the first version after their wait.
    if (result.ownership.lapse_ends_ns != 0) {
      const uint64_t now = ownership::monotonic_now_ns();
      const uint64_t left = result.ownership.lapse_ends_ns > now ? result.ownership.lapse_ends_ns - now : 0;
      next_refresh_ = std::min(next_refresh_.load(), Clock::now() + std::chrono::nanoseconds(left) +
                                                         std::chrono::milliseconds(1));
    }
    last_refresh_took_.store(Clock::now() - started);
    if (result.rules.problem_count > 0 || !result.rules.refused.empty())
      logger().warn("berth node {}: tenant rules: {} problem(s){}{}", node_id_, result.rules.problem_count,
                    result.rules.problems.empty() ? "" : ", first: " + result.rules.problems.front().message,
                    result.rules.refused.empty() ? "" : "; " + result.rules.refused);
    if (result.snapshot->balance.oversized_streams > 0)
      logger().warn("berth node {}: {} stream(s) carry more load than a server's fair share; perfect balance is impossible",
                   node_id_, result.snapshot->balance.oversized_streams);
    std::lock_guard lock(counters_mutex_);
    record_refresh(counters_, std::chrono::duration<double>(Clock::now() - started).count(), &result);
    counters_.intake_rejected += result.catalogue.rejected;  // catalogue records the leader refused (logged)
    record_rules(counters_, std::move(result.rules));
  } catch (const Error& e) {
    if (full) next_refresh_ = Clock::now() + options_.refresh_interval;
    if (e.code() == BERTH_E_FENCED)
      deposed_locked(epoch);  // the new leader gets what this one drained (drain() backends)
    else if (!published)
      intake_->failed(backend());
    fail(e);
  } catch (const std::exception& e) {
    if (full) next_refresh_ = Clock::now() + options_.refresh_interval;
    if (!published) intake_->failed(backend());
    fail(Error(BERTH_E_INTERNAL, std::string("refresh failed: ") + e.what()));
  }
}

// A delta against the last checkpoint when the backend keeps bases and the delta is small, else
// a full snapshot (the next checkpoint). Once the backend holds the version, `published` is set
// and the pending intake records it includes are settled, before anything else can fail.
// Requires refresh_mutex_.
void Engine::publish_locked(const Snapshot& snapshot, uint64_t epoch, bool& published) {
  const uint64_t version = snapshot.meta.version;
  Checkpoints::Publication publication = checkpoints_.prepare(snapshot, backend_->supports_deltas());
  {
    std::lock_guard lock(backend_mutex_);  // the fallback publication follows the failed one at once
    try {
      backend_->publish_based(epoch, version, publication.base_version, publication.bytes);
    } catch (const Error& e) {
      // The base is no longer kept (a newer checkpoint came from elsewhere): publish in full.
      if (publication.base_version == 0 || e.code() != BERTH_E_NOT_FOUND) throw;
      publication = Checkpoints::Publication{encode_snapshot(snapshot, own_defaults_ ? &*own_defaults_ : nullptr), 0, {}};
      backend_->publish_based(epoch, version, 0, publication.bytes);
    }
  }
  published = true;
  intake_->published(backend());
  checkpoints_.published(snapshot, publication);
  if (publication.base_version != 0)
    logger().debug("berth node {}: version {} published as a delta on version {}: {} bytes, {} changed, {} added, {} removed",
                   node_id_, version, publication.base_version, publication.bytes.size(), publication.counts.changed,
                   publication.counts.added, publication.counts.removed);
}

void Engine::resign() {
  backend().call([](Backend& b) { b.resign(); });
  sync_leadership();
}

void Engine::wait_version(uint64_t version, std::chrono::milliseconds timeout) {
  if (!versions_.wait_served(version, timeout))
    throw Error(BERTH_E_TIMEOUT, fmt::format("node {} still serves version {} after {} ms waiting for version {}", node_id_,
                                             versions_.served(), timeout.count(), version));
}

EngineStatus Engine::status_of(const Snapshot* served) const {
  EngineStatus out;
  out.version = served != nullptr ? served->meta.version : 0;
  out.epoch = epoch_.load();
  out.is_leader = is_leader_.load();
  out.degraded = !connected_.load();
  out.servers = served != nullptr ? served->server_count() : 0;
  out.streams = served != nullptr ? served->stream_count() : 0;
  return out;
}

EngineStatus Engine::status() const { return status_of(cell_.shared().get()); }

EngineMetrics Engine::metrics() const {
  auto served = cell_.shared();
  EngineMetrics m;
  static_cast<EngineStatus&>(m) = status_of(served.get());
  if (served) static_cast<Balance&>(m) = served->balance;
  {
    std::lock_guard lock(counters_mutex_);
    static_cast<EngineCounters&>(m) = counters_;
  }
  m.lookups_unknown = lookups_unknown_.load(std::memory_order_relaxed);
  for (const auto& [server, incarnation] : tracker_->servers())
    if (auto c = tracker_->find(server)) m.streams_held += c->held_count();
  return m;
}

}  // namespace berth
