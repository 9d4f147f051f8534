// Default owners for fuzzing the decoder's implicit-owner path (codec.h, OwnerDefaults) without
// loading a policy plugin: whatever policy a snapshot names, stream i's default owner is its hash
// modulo the number of servers. The fuzzer reads with them and the seed corpus writes with them,
// so mutations start from real exception lists.
#pragma once

#include <optional>
#include <string>

#include "snapshot/codec.h"

namespace berth::fuzz {

inline OwnerDefaults modulo_defaults(const std::string& policy, uint32_t behaviour) {
  OwnerDefaults d;
  d.policy = policy;
  d.behaviour = behaviour;
  d.owners = [](const berth_server_set& servers, uint64_t count, const uint64_t* hash, uint32_t* out) {
    for (uint64_t i = 0; i < count; ++i)
      out[i] = servers.count == 0 ? BERTH_NO_SERVER : static_cast<uint32_t>(hash[i] % servers.count);
  };
  return d;
}

inline PolicyFinder modulo_finder() {
  return [](const std::string& policy, uint32_t behaviour) -> std::optional<OwnerDefaults> {
    return modulo_defaults(policy, behaviour);
  };
}

}  // namespace berth::fuzz
