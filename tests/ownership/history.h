// A history checker for ownership (docs/ownership.md), in the spirit of Jepsen: hosts log when
// they started and stopped serving each stream, by one system-wide monotonic clock, and the
// checker judges the history as a whole.
//
// Log lines (one event each, fields separated by single spaces, stream ids hex-encoded):
//   A <host> <stream-hex> <token> <t_ns>      the host started serving (acquire delivered)
//   R <host> <stream-hex> <token> <t_ns>      it stopped: it acknowledged a release at t_ns
//   V <host> <stream-hex> <token> <ended_ns>  its claim was revoked; it ended at ended_ns
//   K <host> <t_ns>                           the host died (SIGKILL) or was closed: every claim
//                                             it had ends at t_ns
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace berth::testing {

struct HistoryEvent {
  char kind = 'A';  // A, R, V, K
  std::string host;
  std::string stream;  // raw bytes (hex on the log line)
  uint64_t token = 0;
  uint64_t t_ns = 0;
};

std::string format_event(const HistoryEvent& e);
// Throws std::runtime_error naming the line for a malformed one.
std::vector<HistoryEvent> parse_history(std::istream& in, const std::string& origin);

struct HistoryVerdict {
  uint64_t violations = 0;           // overlaps plus token regressions
  uint64_t overlaps = 0;             // two hosts serving one stream at once (beyond the margin)
  uint64_t token_regressions = 0;    // an acquire whose token is not above every earlier one
  uint64_t intervals = 0;
  uint64_t max_unowned_ns = 0;       // longest gap between one holder's end and the next start
  std::vector<std::string> examples; // the first few violations, described
};

// `margin_ns`: overlap tolerated (clock reads of different processes). `end_ns`: the end of the
// history; claims still open then end there.
HistoryVerdict check_history(std::vector<HistoryEvent> events, uint64_t margin_ns, uint64_t end_ns);

}  // namespace berth::testing
