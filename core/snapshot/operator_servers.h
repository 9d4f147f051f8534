// What operators set on servers (docs/catalogue.md, "Servers an operator manages"): per server
// id, whether it is registered (it persists without a member: a storage node that runs no
// Berth), and the capacity, state and labels that override what its member says. Immutable once
// built, shared between versions while unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "snapshot/columns.h"

namespace berth {

// The longest server id an operator may set, as for a host's join.
inline constexpr size_t kMaxOperatorServerIdBytes = 4096;

struct OperatorServer {
  std::string id;
  bool registered = false;
  std::optional<double> capacity;  // finite and > 0
  std::optional<int32_t> state;    // BERTH_SERVER_UP, _DRAINING or _READ_ONLY
  std::optional<Labels> labels;    // as parse_labels gives them (sorted, unique keys)
  // Marked for data migration: the leader migrates its streams out within the catalogue's bounds
  // and it takes no new stream (catalogue/migrations.h, Settings::migrate_out).
  bool migrate = false;

  // Nothing set at all: such an entry is dropped rather than kept.
  bool empty() const noexcept { return !registered && !capacity && !state && !labels && !migrate; }
  friend bool operator==(const OperatorServer&, const OperatorServer&) = default;
};

struct OperatorServers {
  std::vector<OperatorServer> servers;  // sorted by id, ids unique, none empty()

  const OperatorServer* find(std::string_view id) const noexcept;
  friend bool operator==(const OperatorServers&, const OperatorServers&) = default;
};

// Whether server `index` of `servers` has a member: every server does but one an operator
// registered that no host joined (no incarnation, not served), given its entry `entry` (or null).
bool has_member(const ServerColumns& servers, uint32_t index, const OperatorServer* entry) noexcept;

// What is wrong with one entry (empty id, id too long, capacity not finite or <= 0, unknown
// state, labels parse_labels would refuse), naming the server; empty when nothing is.
std::string operator_server_problem(const OperatorServer& server);

// The name of a server state ("up", "draining", "read-only"), and back (nullopt: not one).
const char* server_state_name(int32_t state) noexcept;
std::optional<int32_t> server_state_from_name(std::string_view name) noexcept;

}  // namespace berth
