// The leader's view of hand-offs over time (docs/ownership.md): since when each stream waits for
// its holder's release, how long completed hand-offs took (a histogram), which wait longer than
// the stall bound, and the stream-seconds nobody held a stream. Fed with every version the
// leader publishes; forgotten when it stops leading (the next leader starts its own clocks).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "snapshot/snapshot.h"

namespace berth {

// Upper bounds of the hand-off duration histogram, in seconds (Prometheus `le`), +Inf implied.
inline constexpr std::array<double, 14> kHandoffBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                        0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};

struct HandoffFigures {
  uint64_t started_total = 0;    // streams whose holder was asked to release
  uint64_t completed_total = 0;  // ... and then granted to another server
  uint64_t stalled_total = 0;    // hand-offs that passed the stall bound (each counted once)
  uint64_t releasing = 0;        // now: streams waiting for their holder's release
  uint64_t stalled = 0;          // now: of those, waiting longer than the stall bound
  uint64_t unheld = 0;           // now: streams nobody holds
  uint64_t lapsing = 0;          // now: streams of vanished holders, granted to nobody for now
  double unheld_stream_seconds = 0;  // sum over time of `unheld`, between published versions
  // Completed hand-offs by duration: counts per bucket of kHandoffBuckets, then +Inf; and the sum.
  std::array<uint64_t, kHandoffBuckets.size() + 1> duration_counts{};
  double duration_sum_seconds = 0;
};

class HandoffWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // A version this node published (or, leading, installed) at `now`. Returns the hand-offs that
  // became stalled with it, for the log.
  uint64_t observe(const Snapshot& snapshot, Clock::time_point now, Clock::duration stall_after);
  // This node stopped leading: the waits it timed are no longer its to time.
  void forget();
  const HandoffFigures& figures() const { return figures_; }

 private:
  struct Waiting {
    Clock::time_point since;
    uint64_t pass = 0;
    bool stalled = false;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Waiting, Hash, std::equal_to<>> waiting_;
  uint64_t pass_ = 0;
  Clock::time_point last_{};
  HandoffFigures figures_;
};

}  // namespace berth
