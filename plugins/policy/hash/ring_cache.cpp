#include "ring_cache.h"

#include "berth/plugin.hpp"

namespace berth::hash_policy {

std::shared_ptr<const HashRing> RingCache::ring(const berth_server_set& servers, std::span<const uint32_t> up) {
  std::string ids;
  std::vector<double> capacity;
  capacity.reserve(up.size());
  for (uint32_t j : up) {
    ids.append(plugin::server_id(servers, j)).push_back('\0');
    capacity.push_back(servers.capacity[j]);
  }
  std::lock_guard lock(mutex_);
  if (ring_ && ids == ids_ && capacity == capacity_ && std::equal(up.begin(), up.end(), indices_.begin(), indices_.end()))
    return ring_;
  ring_ = std::make_shared<const HashRing>(servers, up);
  ids_ = std::move(ids);
  capacity_ = std::move(capacity);
  indices_.assign(up.begin(), up.end());
  return ring_;
}

}  // namespace berth::hash_policy
