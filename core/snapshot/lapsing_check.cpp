#include "snapshot/lapsing_check.h"

#include <string>
#include <string_view>
#include <unordered_set>

#include "common/error.h"

namespace berth {

void check_lapsing_holds(const Snapshot& s) {
  if (s.lapsing_holds.empty()) return;  // a follower applies every delta: most have none
  std::unordered_set<std::string_view> seen;
  for (size_t k = 0; k < s.lapsing_holds.size(); ++k) {
    const LapsingHold& h = s.lapsing_holds[k];
    const std::string where = "lapsing hold #" + std::to_string(k) + " (stream '" + h.stream + "')";
    if (h.token == 0) throw Error(BERTH_E_CORRUPT, where + " has token 0");
    if (!seen.insert(h.stream).second) throw Error(BERTH_E_CORRUPT, where + " names a stream listed before");
  }
  for (const RemovedHold& h : s.removed_holds)
    if (seen.count(h.stream) != 0)
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + h.stream + "': the stream is also a removed stream still held");
  for (uint64_t i = 0; i < s.holder.size() && s.streams; ++i)
    if (s.holder[i] != BERTH_NO_SERVER && seen.count(s.streams->ids.at(i)) != 0)
      throw Error(BERTH_E_CORRUPT, "lapsing hold of stream '" + std::string(s.streams->ids.at(i)) +
                                       "': the stream is also held by server #" + std::to_string(s.holder[i]));
}

}  // namespace berth
