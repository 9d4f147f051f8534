// Snapshots for the claims and tracker tests, built directly from the columns ServerClaims reads
// (servers with incarnations, stream ids, owner, holder, token), with no codec in between.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "berth/abi.h"
#include "common/hash.h"
#include "snapshot/snapshot.h"

namespace berth::ownership::testing {

constexpr uint32_t kNobody = BERTH_NO_SERVER;

struct ServerRow {
  std::string id;
  uint64_t incarnation = 0;
};

struct StreamRow {
  std::string id;
  uint32_t owner = kNobody;
  uint32_t holder = kNobody;
  uint64_t token = 0;
};

// `servers` must be sorted by id (their index is their position).
inline Snapshot make_snapshot(uint64_t version, const std::vector<ServerRow>& servers, const std::vector<StreamRow>& streams) {
  auto server_columns = std::make_shared<ServerColumns>();
  for (const ServerRow& server : servers) {
    server_columns->ids.push_back(server.id);
    server_columns->capacity.push_back(1.0);
    server_columns->state.push_back(BERTH_SERVER_UP);
    server_columns->incarnation.push_back(server.incarnation);
  }
  auto stream_columns = std::make_shared<StreamColumns>();
  stream_columns->tenants.push_back("");
  Snapshot snapshot;
  snapshot.meta.version = version;
  for (const StreamRow& stream : streams) {
    stream_columns->ids.push_back(stream.id);
    stream_columns->hash.push_back(stream_hash(stream.id));
    stream_columns->tenant.push_back(0);
    snapshot.load.push_back(1.0F);
    snapshot.owner.push_back(stream.owner);
    snapshot.holder.push_back(stream.holder);
    snapshot.token.push_back(stream.token);
  }
  snapshot.servers = std::move(server_columns);
  snapshot.streams = std::move(stream_columns);
  return snapshot;
}

}  // namespace berth::ownership::testing
