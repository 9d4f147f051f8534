// Snapshots built by hand for the delta tests: servers "srv-NNN", streams "stream-N", tenants
// "" and "tenant-a", finished without a policy (lookups of known streams only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "snapshot/snapshot.h"

namespace berth::test {

inline std::shared_ptr<ServerColumns> make_servers(const std::vector<std::string>& ids) {
  auto servers = std::make_shared<ServerColumns>();
  for (const std::string& id : ids) {  // callers pass them sorted
    servers->ids.push_back(id);
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  return servers;
}

inline std::vector<std::string> server_ids(uint32_t count, uint32_t first = 0) {
  std::vector<std::string> ids;
  for (uint32_t j = first; j < first + count; ++j) ids.push_back("srv-" + std::to_string(1000 + j));
  return ids;
}

// Streams `ids`, tenant i % 2, load 1 + i % 7, owner i % servers.
inline Snapshot make_snapshot(uint64_t version, std::shared_ptr<const ServerColumns> servers,
                              const std::vector<std::string>& ids) {
  Snapshot s;
  s.meta = Provenance{version, 2, "sticky", 1, 0, 1700000000000, "leader"};
  s.servers = std::move(servers);
  auto streams = std::make_shared<StreamColumns>();
  streams->tenants.push_back("");
  streams->tenants.push_back("tenant-a");
  for (uint64_t i = 0; i < ids.size(); ++i) {
    streams->ids.push_back(ids[i]);
    streams->hash.push_back(stream_hash(ids[i]));
    streams->tenant.push_back(static_cast<uint32_t>(i % 2));
    s.load.push_back(static_cast<float>(1 + i % 7));
    s.owner.push_back(static_cast<uint32_t>(i % s.servers->size()));
  }
  s.streams = std::move(streams);
  return s;
}

inline std::vector<std::string> stream_ids(uint64_t count, uint64_t first = 0) {
  std::vector<std::string> ids;
  for (uint64_t i = first; i < first + count; ++i) ids.push_back("stream-" + std::to_string(i));
  return ids;
}

inline void finish(Snapshot& s, const Snapshot* previous = nullptr) {
  finish_snapshot(s, nullptr, std::make_shared<ServerNames>(), previous);
}

// The same columns under a new version, sharing the stream columns (as a refresh that moved
// streams but added or removed none does).
inline Snapshot next_version(const Snapshot& s, uint64_t version) {
  Snapshot next;
  next.meta = s.meta;
  next.meta.version = version;
  next.servers = s.servers;
  next.streams = s.streams;
  next.load = s.load;
  next.owner = s.owner;
  next.holder = s.holder;
  next.token = s.token;
  return next;
}

// Every stream held by its owner under `token`, as after a leader granted them all at once.
inline void hold_by_owners(Snapshot& s, uint64_t token) {
  s.holder = s.owner;
  s.token.assign(s.owner.size(), token);
}

}  // namespace berth::test
