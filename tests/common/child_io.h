// What a helper process driven by a test over pipes (a Berth node or host in a process of its
// own) needs from both sides: whole lines on stdout, one at a time from any thread, and the clock
// every process of the machine shares, so times printed by one compare with times of another.
#pragma once

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace berth::test {

// One line on stdout, flushed at once: the test reads it as soon as it is printed.
inline void say(const std::string& line) {
  static std::mutex out;
  std::lock_guard lock(out);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// CLOCK_MONOTONIC (what std::chrono::steady_clock reads on Linux, and berth_lease measures in).
inline uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline int64_t monotonic_ms() { return static_cast<int64_t>(monotonic_ns() / 1000000u); }

}  // namespace berth::test
