// The ring of the up servers, kept while they stay the same. Every snapshot a node installs makes
// a placer, and a reader of implicit owners needs first choices, both from the ring; most
// versions change loads, not servers, and a ring of 1000 servers costs ~10 ms to build.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "berth/plugin.h"
#include "hash_ring.h"

namespace berth::hash_policy {

class RingCache {
 public:
  // The ring of servers `up` (indices into `servers`); a new one when their ids, capacities or
  // indices differ from the last call's. Safe to call from several threads.
  std::shared_ptr<const HashRing> ring(const berth_server_set& servers, std::span<const uint32_t> up);

 private:
  std::mutex mutex_;
  std::string ids_;                // the up servers' ids, each followed by a NUL
  std::vector<double> capacity_;   // theirs
  std::vector<uint32_t> indices_;  // their indices (the ring names servers by index)
  std::shared_ptr<const HashRing> ring_;
};

}  // namespace berth::hash_policy
