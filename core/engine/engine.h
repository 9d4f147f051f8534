// The engine a host embeds: it joins the cluster through the backend, campaigns for leadership,
// refreshes and publishes while it leads, swaps in what others publish while it follows, and
// answers lookups from the current snapshot.
//
// Threads: lookups run on the caller's thread without locks. One worker thread per engine reacts
// to backend watches, runs periodic refreshes while leading, and flushes intake records. Backend
// watch callbacks only record what changed and wake the worker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "config/options.h"
#include "engine/metrics.h"
#include "engine/intake_keys.h"
#include "engine/pending_changes.h"
#include "engine/refresh.h"
#include "plugin/instances.h"
#include "plugin/snapshot_policies.h"
#include "snapshot/checkpoints.h"
#include "snapshot/snapshot_cell.h"

namespace berth {

struct EngineStatus {
  uint64_t version = 0;
  uint64_t epoch = 0;
  bool is_leader = false;
  bool degraded = false;
  uint32_t servers = 0;
  uint64_t streams = 0;
};

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

  // `labels` are what rules select servers by (scripting/labels.h: parse_labels checks them).
  void join(std::string_view server, double capacity, const Labels& labels = {});
  void leave(std::string_view server);
  void add_stream(std::string_view stream, std::string_view tenant, double load);
  void remove_stream(std::string_view stream);
  void report_load(std::string_view stream, double load);
  void flush();

  void refresh();  // leader only; throws Error(BERTH_E_STATE) on a follower
  void resign();
  void wait_version(uint64_t version, std::chrono::milliseconds timeout);

  EngineStatus status() const;
  EngineMetrics metrics() const;
  std::shared_ptr<const Snapshot> snapshot() const { return cell_.shared(); }
  const std::string& node_id() const { return node_id_; }

  // For tests of fencing: publish the current snapshot again as if leading at `epoch`.
  void publish_as(uint64_t epoch);

  // Change notifications for the host C API's event queues (capi/events_api.cpp), which compare
  // status() with what they last delivered: a counter bumped whenever the served version,
  // leadership or degraded mode may have changed, and a wait on it that `cancel` (then
  // notify_change()) ends early, so closing the engine can wake its pollers.
  uint64_t change_generation() const { return change_generation_.load(); }
  uint64_t wait_change(uint64_t seen, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel);
  void notify_change();

 private:
  const char* place_unknown(const Snapshot& s, uint64_t hash, std::string_view stream);
  static void on_watch(void* context, uint32_t what);
  void wake(uint32_t bits);
  void worker_loop();
  void handle(uint32_t bits);
  void sync_leadership();
  void install_latest();
  // False when the base of the latest went meanwhile and `again_if_base_gone`: try again.
  bool try_install_latest(bool again_if_base_gone);
  void publish_locked(const Snapshot& snapshot, uint64_t epoch);  // refresh's publication
  void install(std::shared_ptr<const Snapshot> snapshot);
  void refresh_if_leading();
  void flush_intake();
  void return_pending();
  void return_pending_locked();
  // The intake batches the leader has not applied yet: drained, or peeked when the backend keeps
  // records until they are settled. Requires refresh_mutex_.
  std::vector<std::string> take_intake_locked(uint64_t epoch);
  // Removes published records from a keyed backend; a failure is logged and retried later.
  void settle_published_locked() noexcept;
  std::vector<std::string> pending_as_batches() const;  // requires refresh_mutex_
  void fold_taken_locked() noexcept;
  std::shared_ptr<const ServerColumns> members_as_servers();
  void record_intake(IntakeOp op, std::string_view stream, std::string_view tenant, double load);

  EngineOptions options_;
  std::string node_id_;
  PluginRegistry registry_;
  std::unique_ptr<Appraiser> appraiser_;
  std::shared_ptr<Policy> policy_;
  std::unique_ptr<SnapshotPolicies> snapshot_policies_;  // rebuild the owners snapshots leave implicit
  std::optional<OwnerDefaults> own_defaults_;            // policy_'s, when it has default owners
  std::unique_ptr<rules::RulesSource> rules_;  // [rules] file; null without one
  // Shared with every snapshot: a server id handed out stays valid while anything holds either.
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  SnapshotCell cell_;
  // The newest checkpoint this node knows: what deltas are published against and read on top of.
  Checkpoints checkpoints_{CheckpointPolicy{options_.checkpoint_ratio, options_.checkpoint_every}};

  std::mutex install_mutex_;  // installs happen in version order, each once
  std::atomic<uint64_t> version_{0};
  std::atomic<uint64_t> latest_seen_{0};  // newest version the backend announced, even if rejected
  std::atomic<uint64_t> publishing_{0};   // a version this node is publishing: not to be fetched back
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> is_leader_{false};
  std::atomic<bool> connected_{true};
  std::mutex version_mutex_;
  std::condition_variable version_changed_;  // also notified by notify_change()
  std::atomic<uint64_t> change_generation_{0};  // written under version_mutex_

  std::mutex refresh_mutex_;  // one refresh at a time; guards pending_ and intake_keys_
  PendingChanges pending_;
  bool keyed_intake_ = false;  // the backend has peek_intake/settle_intake (ABI 1.3)
  IntakeKeys intake_keys_;     // with keyed intake: which records pending_ and published versions hold
  // When the leader refreshes next (steady clock); read by the worker without the refresh lock.
  std::atomic<std::chrono::steady_clock::time_point> next_refresh_;

  std::mutex flush_mutex_;   // one flush at a time, so batches reach the backend in order
  std::mutex intake_mutex_;  // guards the four below
  std::string intake_batch_;              // being filled
  std::vector<std::string> intake_full_;  // closed at kIntakeBatchBytes, oldest first, not sent yet
  std::chrono::steady_clock::time_point intake_since_;
  std::unordered_set<std::string> submitted_unknown_;  // since the last snapshot swap

  mutable std::mutex metrics_mutex_;
  EngineMetrics metrics_;
  std::atomic<uint64_t> lookups_unknown_{0};

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  uint32_t wake_bits_ = 0;
  bool stop_ = false;

  // Last: the backend calls back into everything above (through the watch), so it is created
  // after and destroyed before all of it, even when the constructor fails half way.
  berth_backend_watch watch_{};
  std::mutex backend_mutex_;  // one call at a time on the backend instance
  std::unique_ptr<Backend> backend_;
  std::thread worker_;
};

}  // namespace berth
