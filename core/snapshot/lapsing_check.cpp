#include "snapshot/lapsing_check.h"

#include <string>
#include <string_view>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"

namespace berth {

void check_lapsing_holds(const Snapshot& s) {
  if (s.lapsing_holds.empty()) return;  // a follower applies every delta: most have none
  std::unordered_set<std::string_view> seen;
  for (size_t k = 0; k < s.lapsing_holds.size(); ++k) {
    const LapsingHold& h = s.lapsing_holds[k];
    const std::string where = "lapsing hold #" + std::to_string(k) + " (stream '" + h.stream.substr(0, 64) + "')";
    if (h.token == 0) throw Error(BERTH_E_CORRUPT, where + " has token 0");
    if (!seen.insert(h.stream).second) throw Error(BERTH_E_CORRUPT, where + " names a stream listed before");
  }
  for (const RemovedHold& h : s.removed_holds)
    if (seen.count(h.stream) != 0)
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + h.stream.substr(0, 64) +
                                       "': the stream is also a removed stream still held");
  if (!s.streams) return;
  // By hash first: a stream's hash is at hand, so a follower applying deltas during a lapse pays
  // one integer lookup per held stream, not a hash of its id.
  std::unordered_set<uint64_t> hashes;
  hashes.reserve(s.lapsing_holds.size());
  for (const LapsingHold& h : s.lapsing_holds) hashes.insert(stream_hash(h.stream));
  for (uint64_t i = 0; i < s.holder.size() && i < s.streams->size(); ++i)
    if (s.holder[i] != BERTH_NO_SERVER && hashes.count(s.streams->hash[i]) != 0 &&
        seen.count(s.streams->ids.at(i)) != 0)
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + std::string(s.streams->ids.at(i)).substr(0, 64) +
                                       "': the stream is also held by server #" + std::to_string(s.holder[i]));
}

}  // namespace berth
