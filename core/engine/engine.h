// The engine a host embeds: it joins the cluster through the backend, campaigns for leadership,
// refreshes and publishes while it leads, swaps in what others publish while it follows, and
// answers lookups from the current snapshot.
//
// Its parts: the intake ledger (what hosts tell the leader, engine/intake_ledger.h), the follower
// (reading what was published, engine/follower.h) and the version numbers with their waits
// (engine/version_state.h). The engine keeps the lifecycle, the worker loop, the refresh and
// the lookups.
//
// Threads: lookups run on the caller's thread without locks. One worker thread per engine reacts
// to backend watches, runs periodic refreshes while leading, and flushes intake records. Backend
// watch callbacks only record what changed and wake the worker. Refreshes, whether the worker's
// or a host's, run one at a time (refresh_mutex_), and so do installs (install_mutex_).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "catalogue/operator_servers_step.h"
#include "catalogue/evacuation.h"
#include "catalogue/locate.h"
#include "config/options.h"
#include "engine/follower.h"
#include "engine/handoff_mode.h"
#include "engine/handoff_watch.h"
#include "engine/intake_ledger.h"
#include "engine/metrics.h"
#include "engine/refresh.h"
#include "engine/registrations.h"
#include "engine/shared_rules_step.h"
#include "engine/snapshot_policies.h"
#include "engine/version_state.h"
#include "engine/metrics_registry.h"
#include "ownership/tracker.h"
#include "plugin/instances.h"
#include "snapshot/checkpoints.h"
#include "snapshot/snapshot_cell.h"

namespace berth {

class Engine {
 public:
  explicit Engine(EngineOptions options);  // throws Error
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The owner of `stream`; the pointer lives as long as the engine. Throws Error.
  const char* lookup(std::string_view stream);
  // The owners of many streams, against one snapshot; faster than one call each because the
  // table probes of a batch overlap. Throws Error naming the first stream that fails.
  void lookup_batch(const std::string_view* streams, size_t count, const char** out_owners);

  // Holds one snapshot for any number of batches, so a caller converting its input piece by piece
  // (the C API) still answers a whole request from one version. Lives on one thread, on the stack,
  // and never across a call that waits for a newer version (it would keep the old one alive).
  class Lookups {
   public:
    explicit Lookups(Engine& engine);  // throws Error(BERTH_E_UNAVAILABLE) before the first snapshot
    Lookups(const Lookups&) = delete;
    Lookups& operator=(const Lookups&) = delete;
    void batch(const std::string_view* streams, size_t count, const char** out_owners);

   private:
    Engine& engine_;
    SnapshotCell::Reader reader_;
  };

  // `labels` are what rules select servers by (common/labels.h: parse_labels checks them).
  void join(std::string_view server, double capacity, const Labels& labels = {});
  // The server's claims end here first (its feed is told), then it leaves membership.
  void leave(std::string_view server);

  // Ownership (docs/ownership.md). The claims of a server joined through this engine: its feed and
  // its lock-free holds(). The first call says the server is served (its registration is
  // written again): the leader grants streams only to servers a host serves. Throws
  // Error(BERTH_E_NOT_FOUND) for a server not joined here.
  std::shared_ptr<ownership::ServerClaims> claims(std::string_view server);
  // What the claims stand on: keep it alive as long as any claims object is used.
  std::shared_ptr<ownership::Tracker> tracker() const { return tracker_; }
  // The host stopped serving `stream` (asked to or not): holds() is false from the return on, and
  // the leader hears of it. Throws Error(BERTH_E_STATE) when the server does not hold the stream
  // under `token`, Error(BERTH_E_NOT_FOUND) for a server not joined here.
  void release(std::string_view server, std::string_view stream, uint64_t token);
  // Marks a server joined here draining (its streams are handed off, it takes no new ones) or up
  // again. Throws Error(BERTH_E_NOT_FOUND) for a server not joined here.
  void drain(std::string_view server, bool draining);
  void add_stream(std::string_view stream, std::string_view tenant, double load);
  // The stream leaves the next snapshot and stays out until added again (snapshot/tombstones.h).
  void remove_stream(std::string_view stream);
  void report_load(std::string_view stream, double load);
  void flush();

  // --- Servers an operator manages (docs/catalogue.md; engine/engine_servers.cpp) ---
  // Sends an operator's change of a server to the leader (IntakeOp::server_set), from any node;
  // it takes effect at the leader's next refresh, at once when it drains or seals. Throws
  // Error(BERTH_E_INVALID_ARGUMENT) for a change server_change_problem refuses.
  void set_server(const ServerChange& change);
  // Drops what operators set on `server` (a registered server without a member leaves). Throws
  // Error(BERTH_E_NOT_FOUND) when the snapshot served here has no operator entry for it.
  void remove_server(std::string_view server);
  // --- The catalogue: locations, migrations, deletions (engine_catalogue.cpp, docs/catalogue.md).
  // Each change is checked against the snapshot served here (Error: BERTH_E_NOT_FOUND for an
  // unknown stream or server, BERTH_E_STATE for one in the wrong state, with what and why), then
  // goes to the leader, which checks it again at its next refresh.
  catalogue::StreamLocation locate(std::string_view stream) const;  // Error(BERTH_E_UNAVAILABLE) before the first snapshot
  // `destination` "": the policy chooses. `check_only`: the checks, nothing sent (a dry run).
  void migrate(std::string_view stream, std::string_view destination, bool check_only = false);
  // The destination's host finished copying `stream` (ok), or failed to (it stays migrating).
  void migration_done(std::string_view stream, std::string_view server, bool ok);
  // Removes the stream (as remove_stream) and lists every location it had to purge.
  void delete_stream(std::string_view stream, bool check_only = false);
  void purged(std::string_view stream, std::string_view server);
  // Marks `server` for data migration (`mark`), or clears the mark: the leader migrates its streams
  // out where the policy puts them, within [catalogue]'s bounds, and it takes no new stream. Checked
  // here (BERTH_E_NOT_FOUND: not in the served version; BERTH_E_STATE: read-only, marked already,
  // or not marked to clear); `check_only`: nothing sent. Returns what the served version says of it.
  catalogue::EvacuationPlan migrate_server(std::string_view server, bool mark, bool check_only = false);
  // --- end of the catalogue's block

  void refresh();  // leader only; throws Error(BERTH_E_STATE) on a follower
  void resign();
  void wait_version(uint64_t version, std::chrono::milliseconds timeout);

  // --- Rules every node shares (docs/catalogue.md; engine/engine_rules.cpp) ---
  struct RulesPush {
    uint64_t replaces_version = 0;  // the shared rules version in force when pushed (0: none)
    uint64_t replaces_hash = 0;     // and its hash
    uint64_t hash = 0;              // of the script pushed
    bool unchanged = false;         // it is the script in force: nothing was submitted
  };
  // Compiles `script` and evaluates it against the current snapshot, then submits it to the
  // leader (flushed at once), which checks it again. Throws Error(BERTH_E_INVALID_ARGUMENT) for an
  // empty script or one over kMaxRulesScriptBytes, Error(BERTH_E_CONFIG) listing its problems
  // when it does not compile or fails on this cluster, Error(BERTH_E_UNAVAILABLE) before the
  // first snapshot.
  RulesPush push_rules(std::string_view script);
  // The same checks, submitting nothing (a dry run).
  RulesPush check_rules(std::string_view script);
  // Waits until the served snapshot's shared rules have `hash` and returns their version.
  // Throws Error(BERTH_E_TIMEOUT) naming what is in force instead.
  uint64_t wait_rules(uint64_t hash, std::chrono::milliseconds timeout);

  EngineStatus status() const;
  EngineMetrics metrics() const;
  std::shared_ptr<const Snapshot> snapshot() const { return cell_.shared(); }
  // The checkpoint this node keeps for deltas (null until it published or read a version).
  Checkpoints::Held checkpoint() const { return checkpoints_.held(); }
  const std::string& node_id() const { return node_id_; }

  // Change notifications for the host C API's event queues (capi/events_api.cpp), which compare
  // status() with what they last delivered: see VersionState's generation.
  uint64_t change_generation() const { return versions_.generation(); }
  uint64_t wait_change(uint64_t seen, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel) {
    return versions_.wait_change(seen, deadline, cancel);
  }
  void notify_change() { versions_.notify_change(); }

  // --- Dynamic weights (docs/catalogue.md "Dynamic weights"; engine/engine_weights.cpp) ---
  // A signal of `server` (a named number, e.g. "cpu_load") for the leader's weigher. Throws
  // Error(BERTH_E_INVALID_ARGUMENT) naming what is wrong: an empty or overlong server id, a
  // signal name that is empty, longer than kMaxSignalNameBytes or has a control character, a
  // value that is not finite.
  void report_signal(std::string_view server, std::string_view name, double value);

 private:
  void open_weigher();  // options_.weigher; nothing without a name
  // The servers with their effective capacities; `next` gets the version's weighting (null
  // without a weigher, and then the servers are returned as they are). Requires refresh_mutex_.
  std::shared_ptr<const ServerColumns> weigh_servers(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                                     std::shared_ptr<const Weighting>& next);
  std::unique_ptr<Weigher> weigher_;  // null without [weigher]
  std::atomic<bool> weighting_dropped_warned_{false};  // warned once: a weighted base, no [weigher] here
  // --- end of dynamic weights ---

 private:
  void serve_locked(std::string_view server);
  const char* place_unknown(const Snapshot& s, uint64_t hash, std::string_view stream);
  static void on_watch(void* context, uint32_t what);
  void wake(uint32_t bits);
  void worker_loop();
  void handle(uint32_t bits);
  bool sync_leadership();  // true when this node started leading and its first refresh published
  void install_latest();
  RefreshResult build_refresh(uint64_t epoch);
  // compute_refresh on `base` with `servers`, under the shared rules or the [rules] file
  // (engine_rules.cpp); requires refresh_mutex_. `operators`: the next version's operator entries
  // (servers marked for data migration).
  RefreshResult refresh_with_rules(const Snapshot* base, std::shared_ptr<const ServerColumns> servers, Provenance meta,
                                   bool grant, const OperatorServers* operators = nullptr);
  void publish_locked(const Snapshot& snapshot, uint64_t epoch, bool& published);  // refresh's publication
  void deposed_locked(uint64_t epoch);
  void install(std::shared_ptr<const Snapshot> snapshot);
  void return_freed_memory_if_installed();  // engine.return_freed_memory
  // False when the refresh failed (logged). `known`: the leadership just read, else asked.
  bool refresh_if_leading(const berth_leadership* known = nullptr);
  void refresh_as(const berth_leadership* known);  // refresh(), on `known` when given
  void lease_loop();
  // The clock and wait of lapsing holds for a grant step now: ownership.vanish_wait, else the
  // backend's (ownership/lapsing_holds.h).
  ownership::LapseClock lapse_clock() const;
  void register_again();  // after a lease loss: new incarnations, registered anew
  void observe_handoffs(const Snapshot& published);
  void schedule_intake_refresh();
  void intake_refresh();  // leader only: a grant-only version for releases, or a full refresh soon
  void publish_refresh_locked(uint64_t epoch, std::chrono::steady_clock::time_point started,
                              const std::function<RefreshResult()>& build, bool full);
  void flush_intake();
  void return_pending();
  void record_intake(IntakeOp op, std::string_view stream, std::string_view tenant, double load);
  std::shared_ptr<const ServerColumns> members_as_servers();
  // The next version's operator entries: the base's with the pending server records applied
  // (refused ones logged and counted). Requires refresh_mutex_.
  std::shared_ptr<const OperatorServers> next_operator_servers(const Snapshot* base);
  static bool drains_or_seals(const PendingChanges& pending);  // a pending server_set stops placement
  BackendRef backend() { return BackendRef{*backend_, backend_mutex_}; }
  EngineStatus status_of(const Snapshot* served) const;

  EngineOptions options_;
  std::string node_id_;
  PluginRegistry registry_;
  std::unique_ptr<Appraiser> appraiser_;
  std::shared_ptr<Policy> policy_;
  std::unique_ptr<SnapshotPolicies> snapshot_policies_;  // rebuild the owners snapshots leave implicit
  std::optional<OwnerDefaults> own_defaults_;            // policy_'s, when it has default owners
  std::unique_ptr<rules::RulesSource> rules_;  // [rules] file; null without one
  SharedRulesStep shared_rules_{options_.rules.limits};  // under refresh_mutex_
  // Intake records the steps of the refresh being built refused (operator, rules, signal records):
  // counted in intake_rejected once that refresh is published, so a rebuilt or retried refresh
  // counts each once. Requires refresh_mutex_.
  uint64_t refused_in_build_ = 0;
  uint64_t file_ignored_warned_ = 0;  // the shared rules version the warning about the file named
  // Shared with every snapshot: a server id handed out stays valid while anything holds either.
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  SnapshotCell cell_;
  VersionState versions_;  // served, latest seen and publishing versions; the waits on them
  // The newest checkpoint this node knows: what deltas are published against and read on top of.
  Checkpoints checkpoints_{CheckpointPolicy{options_.checkpoint_ratio, options_.checkpoint_every}};
  std::unique_ptr<Follower> follower_;
  std::unique_ptr<IntakeLedger> intake_;
  Registrations registrations_;  // servers joined through this engine
  // One registration change at a time (join, leave, drain, registering anew after a lease loss),
  // each recorded before the backend hears of it: a drain never writes back an incarnation a
  // lease loss retired.
  std::mutex registration_mutex_;
  // Their claims; fed with every installed version and the lease. Shared with the hosts' feeds,
  // which may outlive the engine (their holds() reads the tracker's lease deadline).
  std::shared_ptr<ownership::Tracker> tracker_ = std::make_shared<ownership::Tracker>(
      static_cast<uint64_t>(std::chrono::nanoseconds(options_.ownership.lease_margin).count()));
  std::atomic<bool> register_again_{false};  // a lease was lost: the worker registers anew
  std::atomic<bool> installed_since_return_{false};  // freed memory to return (return_freed_memory)
  HandoffWatch handoffs_;        // leader only, under refresh_mutex_
  std::atomic<std::chrono::steady_clock::duration> last_refresh_took_{};  // spaces out intake-triggered refreshes

  std::mutex install_mutex_;  // installs happen in version order, each once
  HandoffMode handoff_mode_{options_.ownership.soft_handoff, node_id_};  // under install_mutex_
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> is_leader_{false};
  std::atomic<bool> connected_{true};

  std::mutex refresh_mutex_;  // one refresh at a time; guards the leader side of intake_
  // When the leader refreshes next (steady clock); read by the worker without the refresh lock.
  std::atomic<std::chrono::steady_clock::time_point> next_refresh_;
  std::atomic<bool> first_refresh_due_{false};  // leading, and no refresh published since elected
  std::atomic<int> first_refresh_failures_{0};  // since elected

  mutable std::mutex counters_mutex_;
  EngineCounters counters_;  // lookups_unknown excepted: counted apart, without the lock
  std::atomic<uint64_t> lookups_unknown_{0};

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::condition_variable lease_cv_;  // wakes lease_loop to stop
  uint32_t wake_bits_ = 0;
  bool stop_ = false;

  // Last: the backend calls back into everything above (through the watch), so it is created
  // after and destroyed before all of it, even when the constructor fails half way.
  berth_backend_watch watch_{};
  std::mutex backend_mutex_;  // one call at a time on the backend instance
  std::unique_ptr<Backend> backend_;
  std::thread worker_;
  std::thread lease_poller_;  // polls the backend's lease without the backend lock (lease_loop)
  metrics::Registration registration_;  // in the process's metrics once open (core/engine/metrics_registry.h)
};

}  // namespace berth
