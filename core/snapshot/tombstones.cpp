#include "snapshot/tombstones.h"

namespace berth {

Tombstones::Tombstones(std::vector<std::string> ids) {
  if (ids.size() > kMaxTombstones) ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(kMaxTombstones));
  // Each id once, at its first place. The index is built last, once ids_ no longer changes: its
  // views point into ids_'s strings.
  std::vector<bool> keep(ids.size());
  {
    std::unordered_set<std::string_view> once;
    for (size_t i = 0; i < ids.size(); ++i) keep[i] = once.insert(ids[i]).second;
  }
  ids_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    if (keep[i]) ids_.push_back(std::move(ids[i]));
  index_.reserve(ids_.size());
  for (const std::string& id : ids_) index_.insert(id);
}

}  // namespace berth
