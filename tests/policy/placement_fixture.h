// What the policy and appraiser suites share: owned storage behind the berth_server_set and
// berth_stream_set views a plugin reads, the real built-in plugins loaded through the registry,
// and the measures the properties are stated in (per-server load and count, relative load).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.h"
#include "common/hash.h"
#include "plugin/instances.h"
#include "plugin/loader.h"

namespace berth::policy_test {

// Servers "server-0000".. (sorted by id, as the host sorts them) with the given capacities and
// states; every server is up unless `state` says otherwise. Or named(): ids of the test's own.
class Servers {
 public:
  explicit Servers(std::vector<double> capacity, std::vector<int32_t> state = {})
      : capacity_(std::move(capacity)), state_(std::move(state)) {
    name(numbered_ids(capacity_.size()));
  }
  // Up servers with the ids given (the host sorts them by id bytes: give them sorted unless the
  // order itself is under test).
  static Servers named(const std::vector<std::string>& ids, std::vector<double> capacity) {
    return Servers(Named{}, ids, std::move(capacity));
  }
  static Servers equal(uint32_t count) { return Servers(std::vector<double>(count, 1.0)); }
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;

  const berth_server_set& view() const { return view_; }
  uint32_t count() const { return view_.count; }
  double capacity(uint32_t i) const { return capacity_[i]; }
  int32_t state(uint32_t i) const { return state_[i]; }
  bool up(uint32_t i) const { return state_[i] == BERTH_SERVER_UP; }
  double up_capacity() const {
    double total = 0;
    for (uint32_t i = 0; i < count(); ++i) total += up(i) ? capacity_[i] : 0.0;
    return total;
  }

 private:
  struct Named {};
  Servers(Named, const std::vector<std::string>& ids, std::vector<double> capacity) : capacity_(std::move(capacity)) {
    name(ids);
  }
  void name(const std::vector<std::string>& ids) {
    if (state_.empty()) state_.assign(capacity_.size(), BERTH_SERVER_UP);
    offsets_.push_back(0);
    for (const std::string& id : ids) {
      arena_ += id;
      offsets_.push_back(arena_.size());
    }
    view_ = {BERTH_SIZE_THROUGH(berth_server_set, state), static_cast<uint32_t>(capacity_.size()), arena_.data(),
             offsets_.data(), capacity_.data(), state_.data()};
  }
  static std::vector<std::string> numbered_ids(size_t count) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < count; ++i) {
      std::string n = std::to_string(i);
      ids.push_back("server-" + std::string(4 - std::min<size_t>(4, n.size()), '0') + n);
    }
    return ids;
  }

  std::vector<double> capacity_;
  std::vector<int32_t> state_;
  std::string arena_;
  std::vector<uint64_t> offsets_;
  berth_server_set view_{};
};

// Streams with the given ids (or "<prefix>0"..), one tenant, hashed the way the host hashes
// them. Reported loads are NaN (none) unless given.
class Streams {
 public:
  explicit Streams(std::vector<std::string> ids, std::vector<double> reported = {}) : reported_(std::move(reported)) {
    if (reported_.empty()) reported_.assign(ids.size(), std::nan(""));
    offsets_.push_back(0);
    for (const std::string& id : ids) {
      arena_ += id;
      offsets_.push_back(arena_.size());
      hash_.push_back(stream_hash(id));
    }
    tenant_.assign(ids.size(), 0);
    view_ = {BERTH_SIZE_THROUGH(berth_stream_set, reported_load), ids.size(), arena_.data(), offsets_.data(),
             hash_.data(), tenant_.data(), 1, tenant_arena_.data(), tenant_offsets_.data(), reported_.data()};
  }
  explicit Streams(uint64_t count, std::string_view prefix = "stream-", std::vector<double> reported = {})
      : Streams(numbered(count, prefix), std::move(reported)) {}
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;

  const berth_stream_set& view() const { return view_; }
  uint64_t count() const { return view_.count; }
  uint64_t hash(uint64_t i) const { return hash_[i]; }
  std::string_view id(uint64_t i) const {
    return std::string_view(arena_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

 private:
  std::vector<double> reported_;
  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<uint64_t> hash_;
  std::vector<uint32_t> tenant_;
  std::string tenant_arena_ = "default";
  std::vector<uint64_t> tenant_offsets_{0, 7};
  berth_stream_set view_{};

  static std::vector<std::string> numbered(uint64_t count, std::string_view prefix) {
    std::vector<std::string> ids;
    for (uint64_t i = 0; i < count; ++i) ids.push_back(std::string(prefix) + std::to_string(i));
    return ids;
  }
};

// ------------------------------------------------------------------------ the real plugins --

// The built-in policy plugin `name`, configured with `config`.
inline std::shared_ptr<Policy> policy_plugin(const char* name, std::vector<PluginConfig::Entry> config = {}) {
  PluginRegistry registry;  // searches builtin_plugin_dir(): <build>/lib/berth/plugins
  return std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, name), PluginConfig("policy", std::move(config)));
}
inline std::shared_ptr<Policy> least_load(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("least_load", std::move(config));
}
inline std::shared_ptr<Policy> sticky(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("sticky", std::move(config));
}

inline std::unique_ptr<Appraiser> appraiser(std::string_view name, std::vector<PluginConfig::Entry> config = {}) {
  PluginRegistry registry;
  return std::make_unique<Appraiser>(registry.load(BERTH_PLUGIN_APPRAISER, name),
                                     PluginConfig("appraiser", std::move(config)));
}

// One full rebalance; `previous` empty means no stream had an owner before.
inline std::vector<uint32_t> rebalance(const Policy& policy, const Servers& servers, const Streams& streams,
                                       const std::vector<double>& load, const std::vector<uint32_t>& previous = {}) {
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view(),
                                  &streams.view(), load.data(), previous.empty() ? nullptr : previous.data(), nullptr};
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  policy.rebalance(request, owner.data());
  return owner;
}

// ------------------------------------------------------------------------------ measures --

inline std::vector<double> load_per_server(const std::vector<uint32_t>& owner, const std::vector<double>& load,
                                           uint32_t servers) {
  std::vector<double> total(servers, 0.0);
  for (size_t i = 0; i < owner.size(); ++i) total.at(owner[i]) += load[i];
  return total;
}

inline std::vector<uint64_t> count_per_server(std::span<const uint32_t> owner, uint32_t servers) {
  std::vector<uint64_t> count(servers, 0);
  for (uint32_t o : owner) ++count.at(o);
  return count;
}

// Where a burst of `count` new streams ("<prefix>0"..) lands, by server.
inline std::vector<uint64_t> place_burst(const Placer& placer, uint32_t servers, uint64_t count,
                                         std::string_view prefix = "new-stream-") {
  std::vector<uint64_t> landed(servers, 0);
  for (uint64_t k = 0; k < count; ++k)
    ++landed.at(placer.place(stream_hash(std::string(prefix) + std::to_string(k)), 1.0));
  return landed;
}

inline std::vector<double> random_loads(std::mt19937_64& rng, size_t count) {
  std::lognormal_distribution<double> lognormal(0.0, 1.0);
  std::vector<double> load(count);
  for (double& l : load) l = lognormal(rng);
  return load;
}

inline uint32_t uniform(std::mt19937_64& rng, uint32_t low, uint32_t high) {
  return std::uniform_int_distribution<uint32_t>(low, high)(rng);
}

}  // namespace berth::policy_test
