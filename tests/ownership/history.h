// A history checker for ownership (docs/ownership.md), in the spirit of Jepsen: hosts log when
// they started and stopped serving each stream, by one system-wide monotonic clock, and the
// checker judges the history as a whole. A host is one process (or one feed's owner): a server
// joined again by a new process is another host, so the two cannot hide an overlap between them.
//
// Log lines (one event each, fields separated by single spaces, stream ids hex-encoded):
//   A <host> <stream-hex> <token> <t_ns>      the host started serving: it was granted the stream
//                                             and its holds() check confirmed the token at t_ns
//   R <host> <stream-hex> <token> <t_ns>      it stopped: it acknowledged a release at t_ns
//   V <host> <stream-hex> <token> <ended_ns>  its claim was revoked; it ended at ended_ns
//   K <host> <t_ns>                           the host was closed: every claim it had ends at t_ns
//   X <host> <t_ns>                           the host was SIGKILLed at t_ns: every claim ends
//                                             there, and each must be acquired by another host
//                                             within HistoryBounds::reacquire_ns
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace berth::testing {

struct HistoryEvent {
  char kind = 'A';  // A, R, V, K, X
  std::string host;
  std::string stream;  // raw bytes (hex on the log line)
  uint64_t token = 0;
  uint64_t t_ns = 0;
};

std::string format_event(const HistoryEvent& e);
// Throws std::runtime_error naming the line for a malformed one.
std::vector<HistoryEvent> parse_history(std::istream& in, const std::string& origin);

// What the history is judged against besides "one holder at a time, growing tokens".
struct HistoryBounds {
  uint64_t margin_ns = 0;  // overlap tolerated (clock reads of different processes)
  uint64_t end_ns = 0;     // the end of the history: claims still open then end there
  // After each X, every stream the killed host held is acquired by another host within this
  // (0: not judged).
  uint64_t reacquire_ns = 0;
  // Once the last fault healed (at healed_ns, 0: not judged), every stream of `streams` is held
  // by some host at some moment within settle_ns.
  uint64_t healed_ns = 0;
  uint64_t settle_ns = 0;
  std::vector<std::string> streams;
};

struct HistoryVerdict {
  // overlaps + token regressions + SIGKILLs with a late stream + 1 if a stream did not settle
  uint64_t violations = 0;
  uint64_t overlaps = 0;             // two hosts serving one stream at once (beyond the margin)
  uint64_t token_regressions = 0;    // an acquire whose token is not above every earlier one
  uint64_t late_reacquires = 0;      // a SIGKILLed host's stream not acquired elsewhere in time
  uint64_t late_kills = 0;           // SIGKILLs with at least one such stream
  uint64_t unsettled = 0;            // a stream not held again within the bound after healing
  uint64_t intervals = 0;
  uint64_t kills = 0;                // X events judged
  uint64_t max_unowned_ns = 0;       // longest gap between one holder's end and the next start
  uint64_t max_reacquire_ns = 0;     // longest kill -> acquired elsewhere (a never means end_ns)
  uint64_t settled_ns = 0;           // healed -> the last stream held again (never: end_ns)
  uint64_t held_at_end = 0;          // streams some host held when the history ended
  // Per X judged, in the order of the history: the host killed, when, and how long its last
  // stream waited to be acquired elsewhere (a never means end_ns).
  struct Kill {
    std::string host;
    uint64_t killed_ns = 0;
    uint64_t reacquire_ns = 0;
  };
  std::vector<Kill> kill_delays;
  std::vector<std::string> examples; // the first few violations, described
};

HistoryVerdict check_history(std::vector<HistoryEvent> events, const HistoryBounds& bounds);
// Only the overlap and token checks.
HistoryVerdict check_history(std::vector<HistoryEvent> events, uint64_t margin_ns, uint64_t end_ns);

}  // namespace berth::testing
