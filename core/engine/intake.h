// Intake records: what any node tells the leader about streams (added, removed, measured),
// carried through the backend's submit/drain queue as opaque bytes.
//
// A batch is "BI1" followed by records: op (u8), stream (u32 length + bytes), tenant (u32 length
// + bytes), then 8 bytes: the load (f64, NaN when unknown), or for a release the token (u64);
// integers little-endian. Every record has this one layout, so the release's token travels in
// the load's place and its server id in the tenant's: a reader that does not know op 5 refuses
// the batch as a whole (unknown op) rather than misreading it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// add: a host registered the stream (tenant and load are its word). remove: it is gone.
// report: a measured load. seen: a lookup met a stream the snapshot did not know; it exists, but
// says nothing about its tenant, so it never overrides what an add said. release: a holder's
// host acknowledged it stopped serving the stream under a grant (docs/ownership.md).
// The catalogue's records (docs/catalogue.md) follow, each op described where it is applied.
enum class IntakeOp : uint8_t {
  add = 1,
  remove = 2,
  report = 3,
  seen = 4,
  release = 5,
  // An operator's change to a server (catalogue/operator_servers_step.h). server_set: stream =
  // the server id, tenant = server_change_payload (a byte of fields, a byte of state, the
  // labels), load = the capacity (NaN unless the capacity field is set). server_remove: stream =
  // the server id, tenant empty, load NaN.
  server_set = 6,
  server_remove = 7,
  // Ops 8..12 (catalogue/migrations.h) carry the stream and, in the tenant field, a server id:
  // migrate: the destination ("": the policy chooses); migration_done / migration_failed: the
  // destination whose copy finished; purged: the server that purged it; delete_stream: "".
  // The 8-byte slot is NaN. delete_stream always follows a remove of the same stream.
  migrate = 8,            // a migration asked for, its copy done or failed, a purge done
  migration_done = 9,
  migration_failed = 10,
  purged = 11,
  delete_stream = 12,
  signal = 13,            // a server signal for dynamic weights (catalogue/weighting_step.h):
                          // stream = the server id, tenant = the signal name, 8 bytes = its value
                          // (f64, finite)
  rules = 14,             // a tenant rules script pushed to the cluster (engine/shared_rules_step.h):
                          // tenant = the script, stream = the pushing node, 8 bytes = the script's hash
};
inline constexpr uint8_t kLastIntakeOp = 14;
constexpr bool is_catalogue_op(IntakeOp op) { return static_cast<uint8_t>(op) >= static_cast<uint8_t>(IntakeOp::server_set); }

struct IntakeRecord {
  IntakeOp op;
  std::string stream;
  std::string tenant;  // release: the server id
  double load;         // release: NaN
  uint64_t token = 0;  // release: the grant's fencing token; 0 for the other ops
};

// The longest stream id or tenant a host may give (a lookup of a longer unknown id is refused).
inline constexpr size_t kMaxIdBytes = size_t{64} << 10;

// A batch is closed once it reaches this size, so every backend takes it as one record (the
// zookeeper backend's limit is 1000 KiB, one request under ZooKeeper's 1 MB).
inline constexpr size_t kIntakeBatchBytes = size_t{256} << 10;

// Appends one record to a batch (starting the batch header when `batch` is empty). For a
// release, use append_release: a token is not a double.
void append_intake(std::string& batch, IntakeOp op, std::string_view stream, std::string_view tenant, double load);
// Appends a release of `stream` by `server` under `token`.
void append_release(std::string& batch, std::string_view stream, std::string_view server, uint64_t token);

// Parses a whole batch. Malformed bytes throw Error(BERTH_E_CORRUPT) naming the record.
std::vector<IntakeRecord> parse_intake(std::string_view batch);

}  // namespace berth
