// What every part of the zookeeper backend shares around the C client: limits, the event bits the
// callback records, and the mapping of the client's return codes to Berth's errors.
#pragma once

#include <zookeeper/zookeeper.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/plugin.h"

namespace berth::zk {

constexpr size_t kMaxRecordBytes = 1000u << 10;  // a record, or a member's info: one request < 1 MB
// A snapshot's (or an offer's) chunk. A ZooKeeper server keeps its last 500 transactions
// (commitLogCount) and 400 serialized read answers (maxResponseCacheSize) in memory whatever
// their size, and with a heap under 2 GB an array over 512 KiB takes a 1 MB G1 region of its own:
// at 128 KiB what Berth's chunks can pin there stays under about 180 MB (zk_footprint_test.cpp),
// and no request nears 1 MB.
constexpr size_t kChunkBytes = 128u << 10;
constexpr uint32_t kAllChanges = BERTH_CHANGED_MEMBERS | BERTH_CHANGED_LEADER | BERTH_CHANGED_SNAPSHOT |
                                 BERTH_CHANGED_INTAKE | BERTH_CHANGED_CONNECTION;
// Internal flags in Events::pending, above the BERTH_CHANGED_* bits.
constexpr uint32_t kExpired = 1u << 16;
constexpr uint32_t kPredecessor = 1u << 17;

// The Berth error code for a failed call: BERTH_E_UNAVAILABLE for a lost or expired connection,
// BERTH_E_PERMISSION for an ACL or credential refusal, BERTH_E_INTERNAL for anything else.
int32_t code_of(int rc);

// Throws the Error for `rc`, saying what was done to which znode ("create", path).
[[noreturn]] void fail(int rc, std::string_view what, const std::string& path);

// The watcher of every watch this backend sets; `context` is its Events. Records what changed
// and wakes the worker; never calls ZooKeeper.
void on_event(zhandle_t* zh, int type, int state, const char* path, void* context);

std::string basename_of(const std::string& path);
std::string hex_session(int64_t id);

}  // namespace berth::zk
