// The leader's step for servers an operator manages (docs/catalogue.md): the operators' records
// heard since the last version turn the base's OperatorServers into the next version's, and the
// result is merged over the live members into the servers a refresh places on.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot/columns.h"
#include "snapshot/operator_servers.h"

namespace berth {

// Which parts of a server a change sets (the C API's BERTH_SERVER_SET_* bits have these values).
inline constexpr uint8_t kServerSetRegister = 1;  // registered: it persists without a member
inline constexpr uint8_t kServerSetCapacity = 2;
inline constexpr uint8_t kServerSetState = 4;
inline constexpr uint8_t kServerSetLabels = 8;
inline constexpr uint8_t kServerSetAll = 15;
// Marks (or, with ServerChange::migrate false, unmarks) a server for data migration. Not one of
// kServerSetAll: the C API sets it with berth_engine_server_migrate only.
inline constexpr uint8_t kServerSetMigrate = 16;

// One operator's change to one server: set the parts in `fields`, leave the others as they are.
struct ServerChange {
  std::string id;
  uint8_t fields = 0;
  double capacity = std::numeric_limits<double>::quiet_NaN();
  int32_t state = 0;
  Labels labels;
  bool migrate = false;  // with kServerSetMigrate: mark (true) or unmark
};

// What is wrong with a change (no field, an unknown field bit, or a value operator_server_problem
// refuses), naming the server; empty when nothing is.
std::string server_change_problem(const ServerChange& change);

// A change as an intake record carries it (engine/intake.h, IntakeOp::server_set): the server id
// in the record's stream, this payload in its tenant, the capacity in its 8-byte slot (NaN
// without kServerSetCapacity). Payload: one byte of fields, one byte of state, with
// kServerSetMigrate one byte of mark (0 or 1), then the labels as format_labels writes them.
std::string server_change_payload(const ServerChange& change);
// The inverse; throws Error(BERTH_E_CORRUPT) naming the server for bytes server_change_payload
// could not have written or a change server_change_problem refuses.
ServerChange parse_server_change(std::string_view id, std::string_view payload, double capacity);

// One record as heard: a set (the three parts above) or a remove of `id` (payload empty).
struct ServerRecord {
  bool remove = false;
  std::string id;
  std::string payload;
  double capacity = std::numeric_limits<double>::quiet_NaN();
};

struct ServerStepResult {
  std::shared_ptr<const OperatorServers> next;  // the base's own pointer when nothing changed
  uint64_t applied = 0;
  uint64_t rejected = 0;   // records that did not parse or carried a bad value: not applied
  std::vector<std::string> rejections;  // why, one per rejected record, naming the record
  std::vector<std::string> notes;       // removes of servers the operator never set (no-ops)
};

// Applies `records` in order to `base` (may be null: none set yet). A set merges its parts into
// the server's entry (created when missing); a remove drops the entry. Entries that end up
// setting nothing are dropped; an empty result is null.
ServerStepResult step_operator_servers(const std::shared_ptr<const OperatorServers>& base,
                                       const std::vector<ServerRecord>& records);

// The servers a refresh places on: the members (sorted by id), each overridden by what its
// operator entry sets, plus every registered server without a member (capacity and state as
// set, else 1 and up; incarnation 0, not serving: routed to, never granted). A server marked for
// data migration whose state would be up is draining (it takes no new stream). Entries of servers
// neither registered nor members add nothing. Returns `members` itself when nothing applies.
std::shared_ptr<const ServerColumns> merge_operator_servers(std::shared_ptr<const ServerColumns> members,
                                                            const OperatorServers* operators);

// True when a set makes a server draining or read-only, or marks it for data migration: the leader
// refreshes at once for it.
bool server_change_stops_placement(const ServerChange& change) noexcept;

}  // namespace berth
