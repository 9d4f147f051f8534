// What the command line does before any command runs: flags checked as they are read, unknown
// commands refused with a suggestion, `berth help [COMMAND...]`, and the words the shell
// completion offers (`berth __complete`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace berth::cli {

// The log levels --log-level takes.
inline const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

// Adds checks to every numeric flag of `app` and its commands, by flag name, so a value out of
// range is refused while the command line is read, naming the flag. Call once every command is added.
void check_flags(CLI::App& app);

// Walks the command words of argv through the command tree; when one names no command of its
// parent, prints the nearest names on stderr and returns the usage exit status.
std::optional<int> refuse_unknown_command(const CLI::App& app, int argc, const char* const* argv);

// `berth help [COMMAND...]`: the help of the named command on stdout.
int run_help(const CLI::App& app, const std::vector<std::string>& words);

// `berth __complete [--describe] -- WORD...`: the commands, or with a last word starting with '-'
// the flags, the command named by WORD... takes, one a line (with --describe: name TAB description).
int run_complete(const CLI::App& app, const std::vector<std::string>& words, bool describe);

}  // namespace berth::cli
