#include "snapshot/tombstones.h"

#include "common/hash.h"
#include "common/heap_bytes.h"

namespace berth {

Tombstones::Tombstones(std::vector<std::string> ids) {
  // Walk newest first, keeping each id at its newest place while both bounds hold. The index is
  // built last, once ids_ no longer changes: its views point into ids_'s strings.
  std::vector<bool> keep(ids.size());
  {
    std::unordered_set<std::string_view> once;
    size_t kept = 0;
    for (size_t i = ids.size(); i-- > 0 && kept < kMaxTombstones;) {
      if (once.count(ids[i]) != 0) continue;
      if (bytes_ + ids[i].size() > kMaxTombstoneBytes) break;  // this one and every older one go
      once.insert(ids[i]);
      keep[i] = true;
      bytes_ += ids[i].size();
      ++kept;
    }
    ids_.reserve(kept);
  }
  for (size_t i = 0; i < ids.size(); ++i)
    if (keep[i]) ids_.push_back(std::move(ids[i]));
  index_.reserve(ids_.size());
  for (const std::string& id : ids_) index_.insert(id);
}

size_t Tombstones::memory_bytes() const noexcept {
  // A node of the index: its link, its view and the cached hash (libstdc++'s layout).
  constexpr size_t kNode = sizeof(void*) + sizeof(std::string_view) + sizeof(size_t);
  size_t bytes = ids_.capacity() * sizeof(std::string) + index_.bucket_count() * sizeof(void*) + index_.size() * kNode;
  for (const std::string& id : ids_) bytes += heap_bytes(id);
  return bytes;
}

const std::string* first_present(const Tombstones& dead, const StreamColumns& streams) {
  if (dead.size() == 0) return nullptr;
  // By hash first: a stream's hash is at hand, so most streams cost one integer lookup.
  std::unordered_set<uint64_t> hashes;
  hashes.reserve(dead.size());
  for (const std::string& id : dead.ids()) hashes.insert(stream_hash(id));
  for (uint64_t i = 0; i < streams.size(); ++i)
    if (hashes.count(streams.hash[i]) != 0 && dead.contains(streams.ids.at(i)))
      for (const std::string& id : dead.ids())
        if (id == streams.ids.at(i)) return &id;
  return nullptr;
}

}  // namespace berth
