// The library's log. The core writes through logger() ("berth"); plugins, and the ZooKeeper client
// through its plugin, write through log_from() under their own source name. Every line passes the
// one level filter (logger()'s level: berth_log_set_level, the CLI's --log-level) and goes to one
// place: standard error (a host's standard output is its own), or, while a host has the log
// queue open (berth_log_open), that queue, which the host drains from a thread of its own.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

spdlog::logger& logger();

// A line from `source` (a plugin's name), filtered and routed as the core's own (through the
// logger's sinks, with `source` as the logger name). Never throws.
void log_from(std::string_view source, spdlog::level::level_enum level, std::string_view message) noexcept;

// While alive, the lines the current thread logs name `node` (which must outlive the scope).
class LogNodeScope {
 public:
  explicit LogNodeScope(const std::string& node) noexcept;
  ~LogNodeScope();
  LogNodeScope(const LogNodeScope&) = delete;
  LogNodeScope& operator=(const LogNodeScope&) = delete;

 private:
  const std::string* previous_;
};

struct LogRecord {
  spdlog::level::level_enum level = spdlog::level::info;
  int64_t time_ns = 0;  // system clock, since 1970
  std::string source;
  std::string node;     // "" when no node scope was active
  std::string message;  // at most kMaxLogMessageBytes
};

// Longer messages are cut there (so a full queue holds a bounded amount of memory).
inline constexpr size_t kMaxLogMessageBytes = 16 * 1024;
inline constexpr size_t kMaxLogQueueCapacity = 1u << 20;

// The host's log queue: one per process. While open, lines go to it instead of standard error;
// when it is full, new lines are dropped and counted.
namespace log_queue {

// Opens it with room for `capacity` records (1 to kMaxLogQueueCapacity). Returns the open's
// generation (> 0), or 0 when a queue is open already.
uint64_t open(size_t capacity);
// Closes the open of `generation` (nothing if another is open): lines go to standard error again,
// and polls waiting on it return false.
void close(uint64_t generation);
// Moves up to `max` records into `out` (cleared first), oldest first, waiting up to `timeout` for
// the first. False when the open of `generation` is closed (before or during the wait).
bool poll(uint64_t generation, std::vector<LogRecord>& out, size_t max, std::chrono::milliseconds timeout);
// Records dropped because the queue was full, since the open of `generation` (0 once closed).
uint64_t dropped(uint64_t generation);

}  // namespace log_queue
}  // namespace berth
