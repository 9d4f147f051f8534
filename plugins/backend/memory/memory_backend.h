// The `memory` backend: membership, election, publication and intake shared by the backend
// instances of one process that name the same cluster (config key `cluster`, default "default").
// Nothing survives the process; it is the embedded default and the reference for the contract.
//
// Configuration:
//   cluster         the cluster's name, default "default"
//   expire_session  a test hook: opening an instance with it first ends the live session of that
//                   number (what another instance's lease reports as `session`) in the cluster,
//                   as an ensemble ends an expired ZooKeeper session. That instance's lease is
//                   lost and its members and candidacy are gone; its next join or campaign opens
//                   a new session and registers what it had joined and its candidacy again.
//
// Lease: held while the session lives, without end (only this process, or the hook, ends it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.hpp"
#include "full_snapshot_calls.h"
#include "cluster.h"
#include "watch_relay.h"

namespace berth::memory {

class MemoryBackend : public backend::FullSnapshotCalls<MemoryBackend> {
 public:
  MemoryBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch);
  ~MemoryBackend();
  MemoryBackend(const MemoryBackend&) = delete;
  MemoryBackend& operator=(const MemoryBackend&) = delete;

  void join(std::string_view member, std::string_view info);
  void leave(std::string_view member);
  void members(const plugin::Sink& out);
  void campaign();
  void resign();
  plugin::Leadership leadership();
  void publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes);
  plugin::Fetched fetch_latest(uint64_t known_version, const plugin::Sink& out);
  void fetch_version(uint64_t version, const plugin::Sink& out);
  void submit(std::string_view record);
  void drain(const plugin::Sink& out);
  void peek_intake(const plugin::Sink& out);
  void settle_intake(const std::vector<std::string_view>& keys);
  // Lock-free: the session state the cluster marks when it ends the session.
  plugin::Lease lease() const;

 private:
  SessionId session() const { return state_->load() & ~kSessionEnded; }
  // With mutex_ held: the live session, opening a new one (and registering again what this
  // instance joined, and its candidacy) when the cluster ended the last one.
  SessionId live_session_locked();

  const berth_host_api* host_;
  std::shared_ptr<backend::WatchRelay> watch_;
  std::shared_ptr<Cluster> cluster_;
  std::shared_ptr<SessionState> state_ = std::make_shared<SessionState>(0);
  std::mutex mutex_;  // joined_, campaigning_ and replacing the session; taken before the cluster's
  std::map<std::string, std::string, std::less<>> joined_;  // id -> info, for a new session
  bool campaigning_ = false;
};

}  // namespace berth::memory
