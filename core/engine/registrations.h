// The servers a node registered in membership (join), with what it registered: capacity, state,
// labels and the incarnation of the registration (docs/ownership.md). The engine registers
// them again when their claims ended involuntarily (a lease lost), with new incarnations, and
// when a host drains or undrains one.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot/codec.h"

namespace berth {

class Registrations {
 public:
  // A random, non-zero incarnation: two registrations of one server id never share one (2^-64).
  static uint64_t new_incarnation();

  // What to register for `server` joining with these figures: a first join gets a new
  // incarnation and state up; joining again keeps the incarnation (its claims go on) and the
  // state a drain set.
  ServerInfo joining(std::string_view server, double capacity, const Labels& labels) const;
  // Records what was registered (after the backend accepted it).
  void registered(std::string_view server, const ServerInfo& info);
  void forget(std::string_view server);
  // The registered info, or nullopt when `server` was not joined through this node.
  std::optional<ServerInfo> find(std::string_view server) const;
  // Every registration, by server id.
  std::vector<std::pair<std::string, ServerInfo>> all() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, ServerInfo, std::less<>> servers_;
};

}  // namespace berth
