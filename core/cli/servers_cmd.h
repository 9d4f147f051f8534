// `berth servers` and `berth server add|set|drain|seal|remove|migrate` (docs/catalogue.md,
// "Servers an operator manages"): list the servers a backend serves, and change what an operator
// sets on one, printing the change first and making it only with --apply (or --yes).
#pragma once

#include <CLI/CLI.hpp>

namespace berth::cli {

// Adds both commands to `app`; each runs from its own callback and ends the process's parse
// with its exit code (0: done or dry run; 1: the change did not show in time; 2: an error).
void add_servers_commands(CLI::App& app);

}  // namespace berth::cli
