// Snapshots to and from bytes: Cap'n Proto (abi/schema/snapshot.capnp), packed.
#pragma once

#include <string>
#include <string_view>

#include "snapshot/snapshot.h"

namespace berth {

// The published form of a snapshot (its columns and provenance; nothing derived).
std::string encode_snapshot(const Snapshot& snapshot);

// Reads bytes from anywhere (a backend, a file, the network): never trusts them. Truncated,
// corrupt, hostile or foreign bytes fail with Error(BERTH_E_CORRUPT) saying what is wrong.
// The result still needs finish_snapshot().
Snapshot decode_snapshot(std::string_view bytes);

// Server info as registered in membership (join): capacity, state, labels.
struct ServerInfo {
  double capacity = 1.0;
  int32_t state = BERTH_SERVER_UP;
  Labels labels{};  // (initialised so ServerInfo{capacity, state} stays warning-free)
};
std::string encode_server_info(const ServerInfo& info);
ServerInfo decode_server_info(std::string_view bytes);  // throws Error(BERTH_E_CORRUPT)

}  // namespace berth
