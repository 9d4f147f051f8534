// Lapsing holds (docs/ownership.md): the grant step's memory of streams whose holder vanished
// otherwise than surely after its lease (its member deleted, or its session closed, by someone
// else). For one wait nobody is granted such a stream, so that its holder, which may not know yet,
// stops serving first. A lapse ends early when its holder releases the stream or registers again
// under the same incarnation (then the stream goes back to it).
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "snapshot/snapshot.h"

namespace berth::ownership {

// The leader's clock and wait for one step. wait_ns 0: a vanished holder's streams are granted
// at once (backends where a member vanishes only after its lease), and lapses in the base end.
struct LapseClock {
  uint64_t now_ns = 0;   // CLOCK_MONOTONIC of the leader running the step
  uint64_t wait_ns = 0;  // how long a vanished holder may still believe it holds
};

class LapsingHolds {
 public:
  // `base` may be null; `next` gives the epoch and the servers a holder may come back in, and
  // receives the lapses in finish().
  LapsingHolds(const Snapshot* base, Snapshot& next, LapseClock clock);

  // A release naming a lapsing stream's holder and token: the lapse ends. False if none matches.
  bool release(std::string_view stream, std::string_view server, uint64_t token);
  // Base server `holder` of `stream`, under `token`, vanished: the stream lapses (true), unless
  // the wait is 0.
  bool begin(std::string_view stream, const ServerColumns& base_servers, uint32_t holder, uint64_t token);

  enum class State { none, lapsing, back };
  // For a stream of `next` nobody holds: whether a lapse keeps it from being granted (carried
  // into the next version), or its holder is back (`back` gets its index in next's servers; only
  // when `grant`, else it keeps lapsing), or nothing stands in the way (none: no lapse, or it ended).
  State settle(std::string_view stream, bool grant, uint32_t* back);
  // The lapses of streams settle() was not asked about (streams not in `next`) are carried while
  // they last; then next.lapsing_holds gets every lapse carried or begun.
  void finish();

  // After finish(): the lapses in next, and the earliest end of one, on the clock given (0: none).
  size_t lapsing() const { return count_; }
  uint64_t first_end_ns() const { return first_end_ns_; }

 private:
  bool ended(const LapsingHold& h) const;
  void carry(LapsingHold h);
  const Snapshot* base_;
  Snapshot& next_;
  const LapseClock clock_;
  std::unordered_map<std::string_view, size_t> open_;  // base lapses not yet settled, released or replaced
  std::vector<LapsingHold> out_;
  size_t count_ = 0;
  uint64_t first_end_ns_ = 0;
};

}  // namespace berth::ownership
