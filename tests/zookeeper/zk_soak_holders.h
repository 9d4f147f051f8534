// Who holds which stream now, by the hosts' history lines (history.h) as they are read: what the
// checker's held_at_end says, kept up to date line by line, so a soak can ask it after every fault
// without judging its whole history again (millions of lines after half an hour).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/zk_soak_streams.h"
#include "history.h"

namespace berth::test::soak {

class Holders {
 public:
  void apply(const berth::testing::HistoryEvent& e) {
    if (ended_.count(e.host) != 0) return;  // lines of an ended host read late end nothing more
    if (e.kind == 'K' || e.kind == 'X') return end(e.host);
    auto& mine = by_host_[e.host];
    if (e.kind == 'A') {
      if (mine.insert(e.stream).second && holders_[e.stream]++ == 0) ++held_;
    } else if ((e.kind == 'R' || e.kind == 'V') && mine.erase(e.stream) == 1) {
      drop(e.stream);
    }
  }
  // The host was closed or killed: whatever it held ends.
  void end(const std::string& host) {
    ended_.insert(host);
    auto it = by_host_.find(host);
    if (it == by_host_.end()) return;
    for (const std::string& stream : it->second) drop(stream);
    by_host_.erase(it);
  }
  uint64_t held() const { return held_; }
  // The owner digest (zk_soak_streams.h) of who holds what, a host "s3-7" standing for its server
  // "s3": equal to the digest the hosts serve when every stream is held where it is assigned.
  uint64_t owners_digest() const {
    uint64_t sum = 0;
    for (const auto& [host, streams] : by_host_) {
      const std::string server = host.substr(0, host.rfind('-'));
      for (const std::string& stream : streams) sum += owner_digest(stream, server);
    }
    return sum;
  }
  uint64_t held_by(const std::string& host) const {
    auto it = by_host_.find(host);
    return it == by_host_.end() ? 0 : it->second.size();
  }

 private:
  void drop(const std::string& stream) {
    auto it = holders_.find(stream);
    if (--it->second == 0) {
      holders_.erase(it);
      --held_;
    }
  }
  std::unordered_map<std::string, std::unordered_set<std::string>> by_host_;
  std::unordered_map<std::string, uint32_t> holders_;  // stream -> hosts holding it
  std::unordered_set<std::string> ended_;
  uint64_t held_ = 0;
};

}  // namespace berth::test::soak
