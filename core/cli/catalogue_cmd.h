// `berth locate STREAM`, `berth stream migrate STREAM [--to SERVER]` and `berth stream delete
// STREAM` (docs/catalogue.md): what the catalogue says of a stream, and the two changes an
// operator makes to one, each printed first and done only with --apply (or --yes).
#pragma once

#include <CLI/CLI.hpp>

namespace berth::cli {

// Adds the commands to `app`; returns a function main() calls after parsing: it runs the command
// given and returns its exit code, or -1 when none of these was given.
std::function<int()> add_catalogue_commands(CLI::App& app);

}  // namespace berth::cli
