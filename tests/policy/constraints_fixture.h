// Placement constraints (ABI 1.1) for the policy suites: owned storage behind a
// berth_placement_constraints view, built from per-class server lists, and a rebalance that
// passes it.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/plugin.h"
#include "placement_fixture.h"

namespace berth::policy_test {

struct ClassServers {
  std::vector<uint32_t> allowed;    // ascending
  std::vector<uint32_t> preferred;  // ascending, each also allowed
};

class Constraints {
 public:
  // class_of[i] per stream (a class index or BERTH_NO_CLASS).
  Constraints(std::vector<uint32_t> class_of, const std::vector<ClassServers>& classes)
      : class_of_(std::move(class_of)) {
    allowed_begin_.push_back(0);
    preferred_begin_.push_back(0);
    for (const ClassServers& c : classes) {
      allowed_.insert(allowed_.end(), c.allowed.begin(), c.allowed.end());
      preferred_.insert(preferred_.end(), c.preferred.begin(), c.preferred.end());
      allowed_begin_.push_back(allowed_.size());
      preferred_begin_.push_back(preferred_.size());
    }
    view_ = {BERTH_SIZE_THROUGH(berth_placement_constraints, preferred), static_cast<uint32_t>(classes.size()),
             class_of_.data(), allowed_begin_.data(), allowed_.data(), preferred_begin_.data(), preferred_.data()};
  }
  Constraints(const Constraints&) = delete;
  Constraints& operator=(const Constraints&) = delete;

  const berth_placement_constraints& view() const { return view_; }
  // The raw arrays, for tests that break them on purpose.
  std::vector<uint32_t>& class_of() { return class_of_; }
  std::vector<uint64_t>& allowed_begin() { return allowed_begin_; }
  std::vector<uint32_t>& allowed() { return allowed_; }
  std::vector<uint32_t>& preferred() { return preferred_; }

 private:
  std::vector<uint32_t> class_of_;
  std::vector<uint64_t> allowed_begin_, preferred_begin_;
  std::vector<uint32_t> allowed_, preferred_;
  berth_placement_constraints view_{};
};

// One full rebalance under `constraints` (NULL: none); `previous` empty means no owners before.
inline std::vector<uint32_t> rebalance_with(const Policy& policy, const Servers& servers, const Streams& streams,
                                            const std::vector<double>& load, const std::vector<uint32_t>& previous,
                                            const berth_placement_constraints* constraints) {
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view(),
                                  &streams.view(), load.data(), previous.empty() ? nullptr : previous.data(),
                                  constraints};
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  policy.rebalance(request, owner.data());
  return owner;
}

}  // namespace berth::policy_test
