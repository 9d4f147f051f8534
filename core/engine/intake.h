// Intake records: what any node tells the leader about streams (added, removed, measured),
// carried through the backend's submit/drain queue as opaque bytes.
//
// A batch is "BI1" followed by records: op (u8), stream (u32 length + bytes), tenant (u32 length
// + bytes), load (f64, NaN when unknown); integers little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// add: a host registered the stream (tenant and load are its word). remove: it is gone.
// report: a measured load. seen: a lookup met a stream the snapshot did not know; it exists, but
// says nothing about its tenant, so it never overrides what an add said.
enum class IntakeOp : uint8_t { add = 1, remove = 2, report = 3, seen = 4 };

struct IntakeRecord {
  IntakeOp op;
  std::string stream;
  std::string tenant;
  double load;
};

// The longest stream id or tenant a host may give (a lookup of a longer unknown id is refused).
inline constexpr size_t kMaxIdBytes = size_t{64} << 10;

// A batch is closed once it reaches this size, so every backend takes it as one record (the
// zookeeper backend's limit is 1000 KiB, one request under ZooKeeper's 1 MB).
inline constexpr size_t kIntakeBatchBytes = size_t{256} << 10;

// Appends one record to a batch (starting the batch header when `batch` is empty).
void append_intake(std::string& batch, IntakeOp op, std::string_view stream, std::string_view tenant, double load);

// Parses a whole batch. Malformed bytes throw Error(BERTH_E_CORRUPT) naming the record.
std::vector<IntakeRecord> parse_intake(std::string_view batch);

}  // namespace berth
