// `berth serve-metrics`: a node of the cluster a configuration names, which neither campaigns
// nor joins, serving the process's metrics over HTTP (/metrics, /healthz) until SIGINT or
// SIGTERM, or for --for seconds.
#pragma once

#include <CLI/CLI.hpp>

namespace berth::cli {

// Adds the command to `app`; it runs from its own callback and ends the parse with its exit
// code (0: stopped by a signal or --for; 2: an error).
void add_serve_metrics_command(CLI::App& app);

}  // namespace berth::cli
