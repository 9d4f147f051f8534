// Header-only parser of the durations Berth's configuration takes, for the host and for plugins
// alike, so every key that holds a duration accepts the same text:
//
//   <number><unit>   the number in decimal, with an optional fraction and exponent ("1.5", "2e3");
//                    the unit one of ms, s, m, h: "500ms", "4s", "1.5s", "2m", "1h"
//   <number>         a bare number is seconds: "120"
//
// No sign, spaces, hexadecimal, inf or nan. The result is rounded to the nearest millisecond.
// Bounds are the caller's: each key has its own, and its own message naming them.
#ifndef BERTH_DURATION_HPP
#define BERTH_DURATION_HPP

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace berth::plugin {

// What parse_duration() makes of a text: the duration, or why the text is not one.
struct ParsedDuration {
  std::chrono::milliseconds value{0};
  std::string problem;  // empty when `value` holds the duration
  bool ok() const { return problem.empty(); }
};

// The longest duration parse_duration() returns (about 285 years): its milliseconds are exact in a
// double, so rounding never depends on the platform.
inline constexpr double kMaxDurationMs = 9.0e15;

inline ParsedDuration parse_duration(std::string_view text) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  // The number: digits, an optional fraction, an optional exponent (at least one digit in all).
  size_t at = 0;
  size_t digits = 0;
  while (at < text.size() && is_digit(text[at])) {
    ++at;
    ++digits;
  }
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && is_digit(text[at])) {
      ++at;
      ++digits;
    }
  }
  if (digits > 0 && at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    size_t exponent = at + 1;
    if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
    if (exponent < text.size() && is_digit(text[exponent])) {
      at = exponent;
      while (at < text.size() && is_digit(text[at])) ++at;
    }
  }
  const std::string quoted = "'" + std::string(text) + "'";
  if (digits == 0)
    return {{}, quoted + " is not a duration: it does not start with a number (write e.g. 500ms, 4s, 2m)"};

  double number = 0;
  const std::from_chars_result parsed = std::from_chars(text.data(), text.data() + at, number);
  const std::string_view unit = text.substr(at);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60000;
  else if (unit == "h") scale = 3600000;
  else return {{}, quoted + " has an unknown unit '" + std::string(unit) + "' (use ms, s, m or h)"};

  const double ms = number * scale;
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + at || !(ms <= kMaxDurationMs))
    return {{}, quoted + " is out of range for a duration"};
  return {std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms))), {}};
}

}  // namespace berth::plugin

#endif  // BERTH_DURATION_HPP
