// What the weigher suites share: weighers loaded through the registry as the engine loads them,
// and berth_signal_set views built from plain lists.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/instances.h"
#include "plugin/loader.h"
#include "policy/placement_fixture.h"

namespace berth::weigher_test {

using policy_test::Servers;

// Built-in (by name) or a path.
inline std::unique_ptr<Weigher> weigher(std::string_view name_or_path, std::vector<PluginConfig::Entry> config = {}) {
  PluginRegistry registry;
  return std::make_unique<Weigher>(registry.load(BERTH_PLUGIN_WEIGHER, name_or_path),
                                   PluginConfig("weigher", std::move(config)));
}

inline std::string fixture(std::string_view name) { return std::string(BERTH_WEIGHER_FIXTURE_DIR) + "/" + std::string(name) + ".so"; }

// Per server, (name, value) pairs; sorted by name here, as the host passes them.
class Signals {
 public:
  explicit Signals(std::vector<std::vector<std::pair<std::string, double>>> per_server) : per_server_(std::move(per_server)) {
    begin_.push_back(0);
    offsets_.push_back(0);
    for (auto& server : per_server_) {
      std::sort(server.begin(), server.end());
      for (const auto& [name, value] : server) {
        arena_ += name;
        offsets_.push_back(arena_.size());
        values_.push_back(value);
      }
      begin_.push_back(values_.size());
    }
    view_ = {BERTH_SIZE_THROUGH(berth_signal_set, value), static_cast<uint32_t>(per_server_.size()), begin_.data(),
             arena_.data(), offsets_.data(), values_.data()};
  }
  Signals(const Signals&) = delete;
  Signals& operator=(const Signals&) = delete;
  const berth_signal_set& view() const { return view_; }

 private:
  std::vector<std::vector<std::pair<std::string, double>>> per_server_;
  std::vector<uint64_t> begin_, offsets_;
  std::string arena_;
  std::vector<double> values_;
  berth_signal_set view_{};
};

inline std::vector<double> weigh(const Weigher& w, const Servers& servers, const Signals& signals) {
  std::vector<double> out(servers.count(), -7.0);
  w.weigh(servers.view(), signals.view(), out.data());
  return out;
}

}  // namespace berth::weigher_test
