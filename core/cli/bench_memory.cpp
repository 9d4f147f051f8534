#include "cli/bench_memory.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "common/heap_return.h"
#include "tools/delta_installs.h"

namespace berth::cli {
namespace {

double per_stream(double bytes, uint64_t streams) { return bytes / static_cast<double>(std::max<uint64_t>(1, streams)); }

// The breakdown per stream, under the names both outputs use.
struct Row {
  const char* key;
  const char* label;
  double (*bytes)(const MemoryFigures&);
};
constexpr Row kRows[] = {
    {"table", "lookup table", [](const MemoryFigures& m) { return static_cast<double>(m.held.table); }},
    {"ids", "stream ids", [](const MemoryFigures& m) { return static_cast<double>(m.held.ids); }},
    {"columns", "columns (hash, tenant, load, owner, holder, token, servers)",
     [](const MemoryFigures& m) { return static_cast<double>(m.held.columns); }},
    {"checkpoint", "checkpoint kept for deltas", [](const MemoryFigures& m) { return static_cast<double>(m.held.checkpoint); }},
    {"published", "published bytes kept in process / decode buffers",
     [](const MemoryFigures& m) { return static_cast<double>(m.published); }},
    {"other", "allocator overhead + other", [](const MemoryFigures& m) { return static_cast<double>(m.other()); }},
    {"resident", "resident, measured (the sum of the above)", [](const MemoryFigures& m) { return static_cast<double>(m.resident); }},
};

nlohmann::json figures_json(const MemoryFigures& m) {
  nlohmann::json j;
  for (const Row& row : kRows) j[row.key] = per_stream(row.bytes(m), m.streams);
  return j;
}

nlohmann::json installs_json(const InstallFigures& installs) {
  if (!installs.measured) return nullptr;
  return {{"installs", installs.installs},
          {"deltas", installs.deltas},
          {"resident_before", installs.resident_before},
          {"resident_after", installs.resident_after},
          {"resident_growth_per_install", installs.resident_growth_per_install()},
          {"held_before", installs.held_before},
          {"held_after", installs.held_after},
          {"held_peak", installs.held_peak}};
}

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

uint64_t trimmed_resident_bytes() {
  return_free_heap();
  return resident_bytes();
}

int64_t resident_growth_since(uint64_t before) {
  return static_cast<int64_t>(resident_bytes()) - static_cast<int64_t>(before);
}

MemoryFigures engine_memory(const Engine& engine, int64_t resident, bool backend_in_process) {
  MemoryFigures out;
  const std::shared_ptr<const Snapshot> served = engine.snapshot();
  const Checkpoints::Held checkpoint = engine.checkpoint();
  out.streams = served ? served->stream_count() : 0;
  out.resident = resident;
  out.held = snapshot_memory(served.get(), checkpoint.snapshot.get());
  out.published = backend_in_process ? checkpoint.bytes : 0;
  return out;
}

MemoryFigures measure_follower(Options options, uint64_t version) {
  options.set("engine.node_id", "bench-follower");
  options.set("engine.campaign", "false");
  const uint64_t before = trimmed_resident_bytes();
  Engine follower(options.resolve_for_open());
  follower.wait_version(version, std::chrono::seconds(60));
  // It installed the version while it opened, and returned what that freed (with
  // engine.return_freed_memory); the cluster's copy of the bytes is the leader's, counted there.
  return engine_memory(follower, resident_growth_since(before), false);
}

InstallFigures measure_delta_installs(const Snapshot& start, uint32_t installs) {
  InstallFigures out;
  if (!tools::DeltaInstalls::possible(start)) return out;
  out.measured = true;
  tools::DeltaInstalls follower(start);
  out.resident_before = trimmed_resident_bytes();
  out.held_before = follower.held().total();
  out.held_peak = out.held_before;
  for (uint32_t i = 0; i < installs; ++i) {
    follower.next();
    out.held_peak = std::max(out.held_peak, follower.held().total());
  }
  out.resident_after = trimmed_resident_bytes();
  out.held_after = follower.held().total();
  out.installs = installs;
  out.deltas = follower.deltas();
  return out;
}

nlohmann::json memory_json(const MemoryFigures& leader, const MemoryFigures& follower, const InstallFigures& installs) {
  return {{"leader", figures_json(leader)}, {"follower", figures_json(follower)}, {"delta_installs", installs_json(installs)}};
}

std::string memory_text(const MemoryFigures& leader, const MemoryFigures& follower, const InstallFigures& installs) {
  std::string out = fmt::format("  {:<62} {:>8} {:>10}\n", "resident memory per stream, by what holds it:", "leader", "follower");
  for (const Row& row : kRows)
    out += fmt::format("    {:<60} {:>8.1f} {:>10.1f}\n", row.label, per_stream(row.bytes(leader), leader.streams),
                       per_stream(row.bytes(follower), follower.streams));
  if (!installs.measured)
    return out + "  installs of versions with 1% moved and a stream created: n/a (needs a stream and two servers)\n";
  out += fmt::format("  {} installs of versions with 1% moved and a stream created ({} deltas): resident {:.1f} -> {:.1f} MB "
                     "({:+.0f} bytes an install), held {:.1f} -> {:.1f} MB (at most {:.1f})\n",
                     installs.installs, installs.deltas, static_cast<double>(installs.resident_before) / 1e6,
                     static_cast<double>(installs.resident_after) / 1e6, installs.resident_growth_per_install(),
                     static_cast<double>(installs.held_before) / 1e6, static_cast<double>(installs.held_after) / 1e6,
                     static_cast<double>(installs.held_peak) / 1e6);
  return out;
}

}  // namespace berth::cli
