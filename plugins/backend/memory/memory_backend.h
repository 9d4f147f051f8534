// The `memory` backend: membership, election, publication and intake shared by the backend
// instances of one process that name the same cluster (config key `cluster`, default "default").
// Nothing survives the process; it is the embedded default and the reference for the contract.
#pragma once

#include <memory>
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

 private:
  std::shared_ptr<backend::WatchRelay> watch_;
  std::shared_ptr<Cluster> cluster_;
  SessionId session_ = 0;
};

}  // namespace berth::memory
