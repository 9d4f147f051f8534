// Placement constraints as berth_placement_constraints wants them: a class per stream, classes
// deduplicated (streams with the same allowed and preferred servers share one), allowed and
// preferred servers as CSR arrays, ascending.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "berth/plugin.h"
#include "scripting/server_index.h"

namespace berth::rules {

class Constraints {
 public:
  Constraints() = default;
  explicit Constraints(uint64_t streams) : class_of_(streams, BERTH_NO_CLASS) {}

  // The class allowing `allowed` (non-empty) and preferring `preferred` (a subset; empty or equal
  // to `allowed`: no preference), created on first use.
  uint32_t class_for(const Mask& allowed, const Mask& preferred);
  void assign(uint64_t stream, uint32_t cls) noexcept { class_of_[stream] = cls; }

  uint64_t stream_count() const noexcept { return class_of_.size(); }
  uint32_t class_count() const noexcept { return static_cast<uint32_t>(allowed_begin_.size() - 1); }
  uint32_t class_of(uint64_t stream) const noexcept { return class_of_[stream]; }
  bool allows(uint32_t cls, uint32_t server) const noexcept;
  bool prefers(uint32_t cls, uint32_t server) const noexcept;
  std::vector<uint32_t> allowed(uint32_t cls) const;
  std::vector<uint32_t> preferred(uint32_t cls) const;
  uint64_t constrained_streams() const noexcept;

  // Valid while this object lives and is not changed. Null (no constraints at all) when no
  // stream has a class.
  const berth_placement_constraints* view() noexcept;

 private:
  std::vector<uint32_t> class_of_;
  std::vector<uint64_t> allowed_begin_{0}, preferred_begin_{0};
  std::vector<uint32_t> allowed_, preferred_;
  std::unordered_map<std::string, uint32_t> index_;  // mask bytes -> class
  berth_placement_constraints view_{};
};

}  // namespace berth::rules
