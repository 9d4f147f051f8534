// Prometheus text exposition (format 0.0.4) gathered from several sources at once: each family's
// HELP and TYPE appear once, followed by the samples every source gave it, so the text of many
// engines in one process is one valid exposition.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace berth::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Durations in seconds, in fixed buckets (upper bounds), plus the +Inf bucket and the sum.
struct DurationHistogram {
  static constexpr std::array<double, 13> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,   10};
  std::array<uint64_t, kBounds.size() + 1> counts{};  // per bucket, not cumulative; the last is +Inf
  double sum = 0;

  void observe(double seconds);
  uint64_t count() const;
};

class Exposition {
 public:
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double value);
  void counter(const std::string& name, const std::string& help, const Labels& labels, double value);
  // `counts` per bucket of `bounds`, then +Inf (not cumulative).
  void histogram(const std::string& name, const std::string& help, const Labels& labels,
                 std::span<const double> bounds, std::span<const uint64_t> counts, double sum);
  void histogram(const std::string& name, const std::string& help, const Labels& labels, const DurationHistogram& h) {
    histogram(name, help, labels, h.kBounds, h.counts, h.sum);
  }

  // Families in the order first added.
  std::string text() const;

 private:
  struct Family {
    std::string name;
    std::string type;
    std::string help;
    std::string samples;
  };
  // Throws Error(BERTH_E_INTERNAL) when `name` was added before with another type.
  Family& family(const std::string& name, const char* type, const std::string& help);

  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;
};

// A label value escaped for the text format (backslash, quote, newline); a byte that is not
// part of well-formed UTF-8 is written as the text \\xNN.
std::string escape_label_value(const std::string& value);

}  // namespace berth::metrics
