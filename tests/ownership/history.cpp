#include "history.h"

#include <algorithm>
#include <istream>
#include <map>
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

}  // namespace

std::string format_event(const HistoryEvent& e) {
  std::ostringstream out;
  if (e.kind == 'K')
    out << "K " << e.host << ' ' << e.t_ns;
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
    if (kind == "K") {
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

HistoryVerdict check_history(std::vector<HistoryEvent> events, uint64_t margin_ns, uint64_t end_ns) {
  std::stable_sort(events.begin(), events.end(), [](const HistoryEvent& a, const HistoryEvent& b) { return a.t_ns < b.t_ns; });
  HistoryVerdict v;
  auto note = [&](std::string text) {
    if (v.examples.size() < 10) v.examples.push_back(std::move(text));
  };

  // Open claims: (host, stream) -> (token, start). Closed ones become intervals per stream.
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> open;
  std::map<std::string, std::vector<Interval>> per_stream;
  std::map<std::string, uint64_t> last_token;  // per stream: the highest token acquired so far
  auto close = [&](std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>>::iterator it, uint64_t end) {
    per_stream[it->first.second].push_back(Interval{it->first.first, it->second.first, it->second.second, std::max(end, it->second.second)});
    return open.erase(it);
  };
  for (const HistoryEvent& e : events) {
    if (e.kind == 'K') {
      for (auto it = open.begin(); it != open.end();) it = it->first.first == e.host ? close(it, e.t_ns) : std::next(it);
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
  for (auto it = open.begin(); it != open.end();) it = close(it, end_ns);

  for (auto& [stream, intervals] : per_stream) {
    std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
    v.intervals += intervals.size();
    const Interval* reach = nullptr;  // the interval that ends latest among those started so far
    for (const Interval& i : intervals) {
      if (reach != nullptr) {
        if (i.start + margin_ns < reach->end && i.host != reach->host) {
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
  v.violations = v.overlaps + v.token_regressions;
  return v;
}

}  // namespace berth::testing
