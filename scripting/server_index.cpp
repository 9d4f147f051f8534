#include "scripting/server_index.h"

#include <fmt/format.h>

namespace berth::rules {
namespace {
const Labels kNoLabels;
}

ServerIndex::ServerIndex(const berth_server_set& servers, const std::vector<Labels>& labels)
    : servers_(&servers), labels_(&labels), count_(servers.count) {
  all_ = none();
  for (uint32_t i = 0; i < count_; ++i) set(all_, i);
  for (uint32_t i = 0; i < count_ && i < labels.size(); ++i)
    for (const auto& [key, value] : labels[i]) {
      Mask& m = by_label_[key].try_emplace(value, none()).first->second;
      set(m, i);
    }
}

std::string_view ServerIndex::id(uint32_t i) const noexcept {
  return {servers_->id_arena + servers_->id_offsets[i], servers_->id_offsets[i + 1] - servers_->id_offsets[i]};
}

const Labels& ServerIndex::labels(uint32_t i) const noexcept { return i < labels_->size() ? (*labels_)[i] : kNoLabels; }

uint32_t ServerIndex::server(std::string_view wanted) const {
  uint32_t lo = 0, hi = count_;  // servers are sorted by id
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (id(mid) < wanted) lo = mid + 1;
    else hi = mid;
  }
  if (lo < count_ && id(lo) == wanted) return lo;
  throw SelectorError(SelectorError::unknown_server, fmt::format("unknown server '{}' ({} servers known)", wanted, count_));
}

Mask ServerIndex::with_label(std::string_view key, const std::vector<std::string>& values) const {
  auto it = by_label_.find(key);
  if (it == by_label_.end())
    throw SelectorError(SelectorError::unknown_label,
                        fmt::format("unknown label '{}' (servers have: {})", key, known_keys()));
  Mask out = none();
  if (values.empty()) {
    for (const auto& [value, m] : it->second) or_with(out, m);
    return out;
  }
  for (const std::string& v : values) {
    auto found = it->second.find(v);
    if (found != it->second.end()) or_with(out, found->second);
  }
  return out;
}

std::vector<std::string> ServerIndex::values(std::string_view key) const {
  std::vector<std::string> out;
  auto it = by_label_.find(key);
  if (it != by_label_.end())
    for (const auto& [value, m] : it->second) out.push_back(value);
  return out;
}

std::string ServerIndex::known_keys() const {
  std::string out;
  for (const auto& [key, values] : by_label_) out += (out.empty() ? "" : ", ") + key;
  return out.empty() ? "no labels at all" : out;
}

}  // namespace berth::rules
