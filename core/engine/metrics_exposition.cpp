#include "engine/metrics_exposition.h"

#include <fmt/format.h>

#include <iterator>
#include <numeric>

#include "common/error.h"

namespace berth::metrics {
namespace {

std::string label_text(const Labels& labels, const std::string& extra_name = {}, const std::string& extra_value = {}) {
  std::string out;
  auto add = [&](const std::string& n, const std::string& v) {
    out += out.empty() ? "{" : ",";
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", n, escape_label_value(v));
  };
  for (const auto& [n, v] : labels) add(n, v);
  if (!extra_name.empty()) add(extra_name, extra_value);
  if (!out.empty()) out += "}";
  return out;
}

// Integers print without an exponent; others in the shortest form that reads back the same.
std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

void DurationHistogram::observe(double seconds) {
  size_t b = 0;
  while (b < kBounds.size() && seconds > kBounds[b]) ++b;
  ++counts[b];
  sum += seconds;
}

uint64_t DurationHistogram::count() const { return std::accumulate(counts.begin(), counts.end(), uint64_t{0}); }

namespace {

// The length of the well-formed UTF-8 sequence at `s[at]` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
size_t utf8_sequence(const std::string& s, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (at + n > s.size()) return 0;
  if (byte(at + 1) < lo || byte(at + 1) > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  return n;
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (size_t at = 0; at < value.size();) {
    const char c = value[at];
    const size_t n = utf8_sequence(value, at);
    if (n == 0) {
      // The text format must be UTF-8: a byte that is not becomes the text \xNN (a literal
      // backslash once parsed), so one odd id cannot spoil the whole scrape.
      out += fmt::format("\\\\x{:02x}", static_cast<unsigned char>(c));
      ++at;
      continue;
    }
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
    } else {
      out.append(value, at, n);
    }
    at += n;
  }
  return out;
}

Exposition::Family& Exposition::family(const std::string& name, const char* type, const std::string& help) {
  auto [it, added] = index_.emplace(name, families_.size());
  if (added) {
    families_.push_back({name, type, help, {}});
    return families_.back();
  }
  Family& f = families_[it->second];
  if (f.type != type)
    throw Error(BERTH_E_INTERNAL, fmt::format("metrics: family {} added as a {} and as a {}", name, f.type, type));
  return f;
}

void Exposition::gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
  fmt::format_to(std::back_inserter(family(name, "gauge", help).samples), "{}{} {}\n", name, label_text(labels),
                 number(value));
}

void Exposition::counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
  fmt::format_to(std::back_inserter(family(name, "counter", help).samples), "{}{} {}\n", name, label_text(labels),
                 number(value));
}

void Exposition::histogram(const std::string& name, const std::string& help, const Labels& labels,
                           std::span<const double> bounds, std::span<const uint64_t> counts, double sum) {
  if (counts.size() != bounds.size() + 1)
    throw Error(BERTH_E_INTERNAL, fmt::format("metrics: histogram {} has {} counts for {} bounds (+Inf)", name,
                                              counts.size(), bounds.size()));
  std::string& out = family(name, "histogram", help).samples;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < counts.size(); ++b) {
    cumulative += counts[b];
    std::string le = b < bounds.size() ? number(bounds[b]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", name, label_text(labels, "le", le), cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n", name, label_text(labels), number(sum));
  fmt::format_to(std::back_inserter(out), "{}_count{} {}\n", name, label_text(labels), cumulative);
}

std::string Exposition::text() const {
  std::string out;
  for (const Family& f : families_)
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{}", f.name, f.help, f.name, f.type, f.samples);
  return out;
}

}  // namespace berth::metrics
