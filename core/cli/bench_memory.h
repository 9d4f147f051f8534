// `berth bench`'s memory figures: the resident memory per stream of a leader and of a follower
// engine, broken down by what holds it, and what a follower keeps across many installs of
// versions published as deltas.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/options.h"
#include "engine/engine.h"
#include "snapshot/snapshot_memory.h"

namespace berth::cli {

// This process's resident memory, after giving back to the system what the allocator can.
uint64_t trimmed_resident_bytes();
// What it grew by since `before` (a trimmed reading), as the process holds it now: not trimmed,
// so what an engine leaves with the allocator counts, as it would in a host (negative when it
// shrank).
int64_t resident_growth_since(uint64_t before);

struct MemoryFigures {
  uint64_t streams = 0;
  int64_t resident = 0;   // what the process's resident memory grew by with the engine
  SnapshotMemory held;    // what the served version and the checkpoint hold, by their structures
  uint64_t published = 0;  // published bytes the engine keeps in the process (the memory backend's copy)
  // Allocator overhead and everything not counted above (intake, registrations, threads...).
  int64_t other() const noexcept {
    return resident - static_cast<int64_t>(held.total() + published);
  }
};

// `engine`'s figures, given what the resident memory grew by with it. `backend_in_process`: the
// backend keeps the published checkpoint's bytes in this process (the memory backend's leader).
MemoryFigures engine_memory(const Engine& engine, int64_t resident, bool backend_in_process);

// A follower engine opened with the leader's `options` (memory backend, same cluster) as another
// node that does not campaign, measured once it serves `version`.
MemoryFigures measure_follower(Options options, uint64_t version);

struct InstallFigures {
  bool measured = false;  // false when the cluster has no stream to move or no second server
  uint64_t installs = 0, deltas = 0;  // versions installed after the first, of them deltas
  uint64_t resident_before = 0, resident_after = 0;  // the process, after the first install and the last
  uint64_t held_before = 0, held_after = 0;          // what the follower holds by its structures (SnapshotMemory)
  uint64_t held_peak = 0;                            // the most it held after any install
  double resident_growth_per_install() const noexcept {
    return installs == 0 ? 0 : (static_cast<double>(resident_after) - static_cast<double>(resident_before)) /
                                   static_cast<double>(installs);
  }
};

// `installs` versions, each with 1% of `start`'s streams moved and a stream created, published
// and installed one after the other (tools::DeltaInstalls); not measured when they cannot move
// (tools::DeltaInstalls::possible).
InstallFigures measure_delta_installs(const Snapshot& start, uint32_t installs);

nlohmann::json memory_json(const MemoryFigures& leader, const MemoryFigures& follower, const InstallFigures& installs);
std::string memory_text(const MemoryFigures& leader, const MemoryFigures& follower, const InstallFigures& installs);

}  // namespace berth::cli
