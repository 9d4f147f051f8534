// The metric families of one engine (docs/metrics.md), each sample labelled with the node.
#pragma once

#include <cstddef>
#include <string>

#include "engine/metrics.h"
#include "engine/metrics_exposition.h"
#include "snapshot/snapshot.h"

namespace berth::metrics {

// Per-server series per node: past it, the servers with the highest load per unit of capacity
// are kept and berth_server_series_omitted counts the rest.
inline constexpr size_t kServerSeriesCap = 500;

// `served` (may be null) gives the per-server gauges; `server_cap` bounds them.
void add_engine(Exposition& out, const EngineMetrics& m, const Snapshot* served, const std::string& node,
                size_t server_cap = kServerSeriesCap);

// berth_build_info{version="..."} 1: once per process.
void add_build_info(Exposition& out);

}  // namespace berth::metrics
