// The exit status of every `berth` command, one scheme (also in `berth --help` and the man page):
// 0 done, 1 problems found (a check or a plan reports them), 2 the command line or the
// configuration it names is wrong, 3 the work failed or the cluster refused it.
#pragma once

#include <exception>

namespace berth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;

// Prints `e` on stderr as "berth: <message> [<code name>]" and returns its exit status:
// kExitUsage for an invalid argument or configuration, kExitFailure for anything else.
int report_error(const std::exception& e);

}  // namespace berth::cli
