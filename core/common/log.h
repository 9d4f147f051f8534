// The library's logger: "berth", to standard error (a host's standard output is its own).
// Hosts change its level through spdlog::get("berth") or the CLI's --log-level.
#pragma once

#include <spdlog/spdlog.h>

namespace berth {

spdlog::logger& logger();

}  // namespace berth
