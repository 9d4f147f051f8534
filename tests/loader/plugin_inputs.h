// Owned storage behind the berth_server_set and berth_stream_set views a policy reads, so tests
// can call a policy directly without an engine.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "berth/plugin.h"
#include "common/hash.h"

namespace berth::test {

class ServerSet {
 public:
  // (id, state) pairs, already sorted by id as the host sorts them; capacity 1 each.
  explicit ServerSet(std::vector<std::pair<std::string, int32_t>> servers) {
    offsets_.push_back(0);
    for (auto& [id, state] : servers) {
      arena_ += id;
      offsets_.push_back(arena_.size());
      capacity_.push_back(1.0);
      state_.push_back(state);
    }
    view_ = {BERTH_SIZE_THROUGH(berth_server_set, state), static_cast<uint32_t>(state_.size()), arena_.data(),
             offsets_.data(), capacity_.data(), state_.data()};
  }
  ServerSet(const ServerSet&) = delete;
  ServerSet& operator=(const ServerSet&) = delete;

  const berth_server_set& view() const { return view_; }
  uint32_t count() const { return view_.count; }

 private:
  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<double> capacity_;
  std::vector<int32_t> state_;
  berth_server_set view_{};
};

// Streams "<prefix>0" .. "<prefix>(count-1)", no tenant, hashed the way the host hashes them.
class StreamSet {
 public:
  explicit StreamSet(uint64_t count, const std::string& prefix = "stream-") {
    offsets_.push_back(0);
    for (uint64_t i = 0; i < count; ++i) {
      std::string id = prefix + std::to_string(i);
      arena_ += id;
      offsets_.push_back(arena_.size());
      hash_.push_back(stream_hash(id));
    }
    tenant_.assign(count, 0);
    reported_load_.assign(count, std::nan(""));
    view_ = {BERTH_SIZE_THROUGH(berth_stream_set, reported_load), count, arena_.data(), offsets_.data(),
             hash_.data(), tenant_.data(), 1, tenant_arena_.data(), tenant_offsets_.data(),
             reported_load_.data()};
  }
  StreamSet(const StreamSet&) = delete;
  StreamSet& operator=(const StreamSet&) = delete;

  const berth_stream_set& view() const { return view_; }
  uint64_t count() const { return view_.count; }
  uint64_t hash(uint64_t i) const { return hash_[i]; }

 private:
  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<uint64_t> hash_;
  std::vector<uint32_t> tenant_;
  std::string tenant_arena_;                   // one tenant: "" (none)
  std::vector<uint64_t> tenant_offsets_{0, 0};
  std::vector<double> reported_load_;
  berth_stream_set view_{};
};

}  // namespace berth::test
