// What the decoder fuzzer (snapshot_decoder_fuzzer.cpp) and its seed corpus (snapshot_seeds.cpp)
// must agree on, so that mutations start from inputs the decoders accept:
//  - default owners for the implicit-owner path (codec.h, OwnerDefaults) without loading a policy
//    plugin: whatever policy a snapshot names, stream i's default owner is its hash modulo the
//    number of servers;
//  - the checkpoint the delta seeds are written against and the fuzzer applies deltas to (its
//    streams have holders and tokens, so deltas change them).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/hash.h"
#include "snapshot/codec.h"

namespace berth::fuzz {

// `streams` streams over `servers` servers (up, draining, read-only in turn) and `tenants` tenants.
inline Snapshot make_snapshot(uint64_t streams, uint32_t servers, uint32_t tenants, uint64_t version) {
  Snapshot s;
  s.meta = Provenance{version, version / 2 + 1, "sticky", 2, version * 31, 1700000000000 + static_cast<int64_t>(version),
                      "node-" + std::to_string(version)};
  auto sc = std::make_shared<ServerColumns>();
  for (uint32_t j = 0; j < servers; ++j) {
    sc->ids.push_back("srv-" + std::to_string(100 + j));
    sc->capacity.push_back(1.0 + j % 3);
    sc->state.push_back(static_cast<int32_t>(j % 3));
  }
  auto st = std::make_shared<StreamColumns>();
  for (uint32_t t = 0; t < tenants; ++t) st->tenants.push_back(t == 0 ? "" : "tenant-" + std::to_string(t));
  for (uint64_t i = 0; i < streams; ++i) {
    std::string id = "log/" + std::to_string(i * 7919 % 100003);
    st->ids.push_back(id);
    st->hash.push_back(stream_hash(id));
    st->tenant.push_back(tenants == 0 ? 0 : static_cast<uint32_t>(i % tenants));
    s.load.push_back(static_cast<float>(i % 17) * 0.25f);
    s.owner.push_back(servers == 0 ? 0 : static_cast<uint32_t>(i % servers));
  }
  s.servers = sc;
  s.streams = st;
  return s;
}

// Ownership over `s`: every stream held by its owner under token `token`, but every 23rd held by
// nobody (token 0), and servers with incarnations.
inline void hold(Snapshot& s, uint64_t token) {
  s.holder = s.owner;
  s.token.assign(s.owner.size(), token);
  for (uint64_t i = 0; i < s.holder.size(); i += 23) {
    s.holder[i] = BERTH_NO_SERVER;
    s.token[i] = 0;
  }
  auto servers = std::make_shared<ServerColumns>(*s.servers);
  for (uint32_t j = 0; j < servers->size(); ++j) servers->incarnation.push_back(1000 + j);
  s.servers = std::move(servers);
}

// The checkpoint of the delta seeds, with holders.
inline const Snapshot& delta_base() {
  static const Snapshot base = [] {
    Snapshot s = make_snapshot(300, 7, 5, 1);
    hold(s, 1);
    return s;
  }();
  return base;
}

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
