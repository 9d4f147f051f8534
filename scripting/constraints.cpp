#include "scripting/constraints.h"

#include <algorithm>
#include <cstring>

namespace berth::rules {

uint32_t Constraints::class_for(const Mask& allowed, const Mask& preferred) {
  bool prefers = any(preferred) && preferred != allowed;
  std::string key(reinterpret_cast<const char*>(allowed.data()), allowed.size() * sizeof(uint64_t));
  if (prefers) key.append(reinterpret_cast<const char*>(preferred.data()), preferred.size() * sizeof(uint64_t));
  auto [it, inserted] = index_.try_emplace(std::move(key), class_count());
  if (!inserted) return it->second;
  for_each(allowed, [&](uint32_t s) { allowed_.push_back(s); });
  allowed_begin_.push_back(allowed_.size());
  if (prefers)
    for_each(preferred, [&](uint32_t s) {
      if (test(allowed, s)) preferred_.push_back(s);
    });
  preferred_begin_.push_back(preferred_.size());
  return it->second;
}

bool Constraints::allows(uint32_t cls, uint32_t server) const noexcept {
  return std::binary_search(allowed_.begin() + static_cast<std::ptrdiff_t>(allowed_begin_[cls]),
                            allowed_.begin() + static_cast<std::ptrdiff_t>(allowed_begin_[cls + 1]), server);
}

bool Constraints::prefers(uint32_t cls, uint32_t server) const noexcept {
  return std::binary_search(preferred_.begin() + static_cast<std::ptrdiff_t>(preferred_begin_[cls]),
                            preferred_.begin() + static_cast<std::ptrdiff_t>(preferred_begin_[cls + 1]), server);
}

std::vector<uint32_t> Constraints::allowed(uint32_t cls) const {
  return {allowed_.begin() + static_cast<std::ptrdiff_t>(allowed_begin_[cls]),
          allowed_.begin() + static_cast<std::ptrdiff_t>(allowed_begin_[cls + 1])};
}

std::vector<uint32_t> Constraints::preferred(uint32_t cls) const {
  return {preferred_.begin() + static_cast<std::ptrdiff_t>(preferred_begin_[cls]),
          preferred_.begin() + static_cast<std::ptrdiff_t>(preferred_begin_[cls + 1])};
}

uint64_t Constraints::constrained_streams() const noexcept {
  return static_cast<uint64_t>(std::count_if(class_of_.begin(), class_of_.end(), [](uint32_t c) { return c != BERTH_NO_CLASS; }));
}

const berth_placement_constraints* Constraints::view() noexcept {
  if (class_count() == 0) return nullptr;
  view_ = berth_placement_constraints{BERTH_SIZE_THROUGH(berth_placement_constraints, preferred),
                                      class_count(),
                                      class_of_.data(),
                                      allowed_begin_.data(),
                                      allowed_.data(),
                                      preferred_begin_.data(),
                                      preferred_.data()};
  return &view_;
}

}  // namespace berth::rules
