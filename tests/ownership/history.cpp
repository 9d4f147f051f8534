#include "history.h"

#include <algorithm>
#include <istream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace berth::testing {
namespace {

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out.empty() ? "-" : out;
}

std::string unhex(const std::string& text, const std::string& where) {
  if (text == "-") return "";
  if (text.size() % 2 != 0) throw std::runtime_error(where + ": odd hex length");
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      throw std::runtime_error(where + ": bad hex digit");
    };
    out.push_back(static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  }
  return out;
}

struct Interval {
  std::string host;
  uint64_t token;
  uint64_t start, end;
};

using OpenClaims = std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>>;

// A stream a SIGKILLed host held when it died.
struct Orphan {
  std::string stream, host;
  uint64_t killed_ns;
};

std::string ms(uint64_t ns) { return std::to_string(ns / 1000000) + " ms"; }

}  // namespace

std::string format_event(const HistoryEvent& e) {
  std::ostringstream out;
  if (e.kind == 'K' || e.kind == 'X')
    out << e.kind << ' ' << e.host << ' ' << e.t_ns;
  else
    out << e.kind << ' ' << e.host << ' ' << hex(e.stream) << ' ' << e.token << ' ' << e.t_ns;
  return out.str();
}

std::vector<HistoryEvent> parse_history(std::istream& in, const std::string& origin) {
  std::vector<HistoryEvent> out;
  std::string line;
  for (uint64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    std::string where = origin + ":" + std::to_string(n);
    std::istringstream fields(line);
    HistoryEvent e;
    std::string kind, stream;
    fields >> kind >> e.host;
    if (kind == "K" || kind == "X") {
      fields >> e.t_ns;
    } else if (kind == "A" || kind == "R" || kind == "V") {
      fields >> stream >> e.token >> e.t_ns;
      e.stream = unhex(stream, where);
    } else {
      throw std::runtime_error(where + ": unknown event '" + kind + "'");
    }
    if (!fields || e.host.empty()) throw std::runtime_error(where + ": malformed line '" + line + "'");
    e.kind = kind[0];
    out.push_back(std::move(e));
  }
  return out;
}

HistoryVerdict check_history(std::vector<HistoryEvent> events, const HistoryBounds& bounds) {
  std::stable_sort(events.begin(), events.end(), [](const HistoryEvent& a, const HistoryEvent& b) { return a.t_ns < b.t_ns; });
  HistoryVerdict v;
  auto note = [&](std::string text) {
    if (v.examples.size() < 10) v.examples.push_back(std::move(text));
  };

  // Open claims: (host, stream) -> (token, start). Closed ones become intervals per stream.
  OpenClaims open;
  std::map<std::string, std::vector<Interval>> per_stream;
  std::map<std::string, uint64_t> last_token;  // per stream: the highest token acquired so far
  std::vector<Orphan> orphans;
  auto close = [&](OpenClaims::iterator it, uint64_t end) {
    per_stream[it->first.second].push_back(Interval{it->first.first, it->second.first, it->second.second, std::max(end, it->second.second)});
    return open.erase(it);
  };
  for (const HistoryEvent& e : events) {
    if (e.kind == 'K' || e.kind == 'X') {
      if (e.kind == 'X') ++v.kills;
      for (auto it = open.begin(); it != open.end();) {
        if (it->first.first != e.host) {
          ++it;
          continue;
        }
        if (e.kind == 'X') orphans.push_back(Orphan{it->first.second, e.host, e.t_ns});
        it = close(it, e.t_ns);
      }
      continue;
    }
    auto key = std::make_pair(e.host, e.stream);
    if (e.kind == 'A') {
      auto& last = last_token[e.stream];
      if (e.token <= last) {
        ++v.token_regressions;
        note("stream " + e.stream + ": " + e.host + " acquired token " + std::to_string(e.token) + " after token " +
             std::to_string(last) + " was granted");
      }
      last = std::max(last, e.token);
      if (auto it = open.find(key); it != open.end()) close(it, e.t_ns);
      open[key] = {e.token, e.t_ns};
    } else if (auto it = open.find(key); it != open.end() && it->second.first == e.token) {
      close(it, e.t_ns);
    }
  }
  {
    std::set<std::string> held;
    for (const auto& [claim, grant] : open) held.insert(claim.second);
    v.held_at_end = held.size();
  }
  for (auto it = open.begin(); it != open.end();) it = close(it, bounds.end_ns);

  for (auto& [stream, intervals] : per_stream) {
    std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
    v.intervals += intervals.size();
    const Interval* reach = nullptr;  // the interval that ends latest among those started so far
    for (const Interval& i : intervals) {
      if (reach != nullptr) {
        if (i.start + bounds.margin_ns < reach->end && i.host != reach->host) {
          ++v.overlaps;
          note("stream " + stream + ": " + i.host + " (token " + std::to_string(i.token) + ") started " +
               std::to_string((reach->end - i.start) / 1000) + " us before " + reach->host + " (token " +
               std::to_string(reach->token) + ") stopped");
        } else if (i.start > reach->end) {
          v.max_unowned_ns = std::max(v.max_unowned_ns, i.start - reach->end);
        }
      }
      if (reach == nullptr || i.end > reach->end) reach = &i;
    }
  }

  // A killed host's streams: the first start by another host after the kill.
  if (bounds.reacquire_ns != 0) {
    std::set<std::pair<std::string, uint64_t>> late_kill;
    for (const Orphan& o : orphans) {
      uint64_t delay = bounds.end_ns > o.killed_ns ? bounds.end_ns - o.killed_ns : 0;
      bool taken = false;
      for (const Interval& i : per_stream[o.stream]) {
        if (i.host == o.host || i.start + bounds.margin_ns < o.killed_ns) continue;
        delay = i.start > o.killed_ns ? i.start - o.killed_ns : 0;
        taken = true;
        break;
      }
      v.max_reacquire_ns = std::max(v.max_reacquire_ns, delay);
      auto kill = std::find_if(v.kill_delays.begin(), v.kill_delays.end(), [&](const HistoryVerdict::Kill& k) {
        return k.host == o.host && k.killed_ns == o.killed_ns;
      });
      if (kill == v.kill_delays.end()) kill = v.kill_delays.insert(v.kill_delays.end(), {o.host, o.killed_ns, 0});
      kill->reacquire_ns = std::max(kill->reacquire_ns, delay);
      if (delay > bounds.reacquire_ns) {
        if (late_kill.insert(std::make_pair(o.host, o.killed_ns)).second) ++v.late_kills;
        ++v.late_reacquires;
        note("stream " + o.stream + ": held by " + o.host + " when it was killed, " +
             (taken ? "acquired elsewhere only after " + ms(delay) : "never acquired elsewhere (" + ms(delay) + ")") +
             " (bound " + ms(bounds.reacquire_ns) + ")");
      }
    }
  }

  // After healing: the first moment each stream is held (0 when it already is).
  if (bounds.healed_ns != 0) {
    for (const std::string& stream : bounds.streams) {
      uint64_t delay = bounds.end_ns > bounds.healed_ns ? bounds.end_ns - bounds.healed_ns : 0;
      bool held = false;
      for (const Interval& i : per_stream[stream]) {
        if (i.end <= bounds.healed_ns) continue;
        uint64_t at = std::max(i.start, bounds.healed_ns) - bounds.healed_ns;
        if (!held || at < delay) delay = at;
        held = true;
      }
      v.settled_ns = std::max(v.settled_ns, delay);
      if (!held || delay > bounds.settle_ns) {
        ++v.unsettled;
        note("stream " + stream + ": " + (held ? "held again only " + ms(delay) : "never held again in " + ms(delay)) +
             " after the faults healed (bound " + ms(bounds.settle_ns) + ")");
      }
    }
  }
  v.violations = v.overlaps + v.token_regressions + v.late_kills + (v.unsettled > 0 ? 1 : 0);
  return v;
}

HistoryVerdict check_history(std::vector<HistoryEvent> events, uint64_t margin_ns, uint64_t end_ns) {
  HistoryBounds bounds;
  bounds.margin_ns = margin_ns;
  bounds.end_ns = end_ns;
  return check_history(std::move(events), bounds);
}

}  // namespace berth::testing
