#include "snapshot/lapsing_check.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/hash.h"

namespace berth {

void check_lapsing_holds(const Snapshot& s) {
  if (s.lapsing_holds.empty()) return;  // a follower applies every delta: most have none
  // Sorted flat arrays rather than hash sets: after a whole cluster's sessions end every stream
  // may lapse at once, and each delta applied meanwhile runs this check.
  std::vector<std::pair<std::string_view, size_t>> ids;  // (stream, its position in the list)
  ids.reserve(s.lapsing_holds.size());
  for (size_t k = 0; k < s.lapsing_holds.size(); ++k) {
    const LapsingHold& h = s.lapsing_holds[k];
    if (h.token == 0)
      throw Error(BERTH_E_CORRUPT, "lapsing hold #" + std::to_string(k) + " (stream '" + h.stream.substr(0, 64) + "') has token 0");
    ids.emplace_back(h.stream, k);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 1; i < ids.size(); ++i)
    if (ids[i].first == ids[i - 1].first)
      throw Error(BERTH_E_CORRUPT, "lapsing hold #" + std::to_string(ids[i].second) + " (stream '" +
                                       std::string(ids[i].first.substr(0, 64)) + "') names a stream listed before");
  const auto lapsing = [&](std::string_view id) {
    auto it = std::lower_bound(ids.begin(), ids.end(), id, [](const auto& e, std::string_view v) { return e.first < v; });
    return it != ids.end() && it->first == id;
  };
  for (const RemovedHold& h : s.removed_holds)
    if (lapsing(h.stream))
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + h.stream.substr(0, 64) +
                                       "': the stream is also a removed stream still held");
  if (!s.streams) return;
  // By hash first: a stream's hash is at hand, so each held stream costs a search among integers.
  std::vector<uint64_t> hashes;
  hashes.reserve(ids.size());
  for (const auto& [id, k] : ids) hashes.push_back(stream_hash(id));
  std::sort(hashes.begin(), hashes.end());
  for (uint64_t i = 0; i < s.holder.size() && i < s.streams->size(); ++i)
    if (s.holder[i] != BERTH_NO_SERVER && std::binary_search(hashes.begin(), hashes.end(), s.streams->hash[i]) &&
        lapsing(s.streams->ids.at(i)))
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + std::string(s.streams->ids.at(i)).substr(0, 64) +
                                       "': the stream is also held by server #" + std::to_string(s.holder[i]));
}

}  // namespace berth
