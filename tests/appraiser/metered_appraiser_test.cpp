// The "metered" appraiser through the real plugin: EWMA smoothing of reported loads, per-stream
// state kept between calls and dropped with the stream, and its configuration.
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "appraiser_fixture.h"

namespace berth::appraiser_test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::unique_ptr<Appraiser> metered(std::vector<PluginConfig::Entry> config = {}) {
  return appraiser("metered", std::move(config));
}

// One appraise call with these reports for streams "s0".."s<n-1>".
std::vector<double> report(Appraiser& appraiser, const std::vector<double>& reported) {
  Streams streams(reported.size(), "s", reported);
  return appraise(appraiser, streams);
}

TEST(MeteredAppraiser, StartsAtTheFirstReportAndGivesUnreportedStreamsTheDefault) {
  auto appraiser = metered();
  EXPECT_EQ(appraiser->plugin().name, "metered");
  EXPECT_EQ(report(*appraiser, {5.0, kNaN, 0.0}), (std::vector<double>{5.0, 1.0, 0.0}));
  auto configured = metered({{"default_load", "0.5", "berth.toml:3"}});
  EXPECT_EQ(report(*configured, {kNaN, 2.0}), (std::vector<double>{0.5, 2.0}));
  Streams none(0);
  EXPECT_TRUE(appraise(*configured, none).empty());
}

// After a step from 10 to 20 the distance to the new level shrinks by (1 - alpha) per call.
TEST(MeteredAppraiser, ConvergesGeometricallyAfterAStep) {
  for (double alpha : {0.3, 0.1, 0.5}) {
    auto appraiser = alpha == 0.3 ? metered() : metered({{"alpha", std::to_string(alpha), ""}});
    EXPECT_EQ(report(*appraiser, {10.0}), std::vector<double>{10.0});
    EXPECT_EQ(report(*appraiser, {10.0}), std::vector<double>{10.0});
    double previous_gap = 10.0;
    for (int k = 1; k <= 40; ++k) {
      const double smoothed = report(*appraiser, {20.0})[0];
      const double gap = 20.0 - smoothed;
      EXPECT_NEAR(gap, 10.0 * std::pow(1.0 - alpha, k), 1e-9) << "alpha " << alpha << ", step " << k;
      EXPECT_GT(gap, 0.0);  // approaches from below, never overshoots
      EXPECT_NEAR(gap / previous_gap, 1.0 - alpha, 1e-6) << "alpha " << alpha << ", step " << k;
      previous_gap = gap;
    }
  }
  // alpha = 1: no smoothing at all.
  auto raw = metered({{"alpha", "1", ""}});
  report(*raw, {10.0});
  EXPECT_EQ(report(*raw, {20.0}), std::vector<double>{20.0});
  EXPECT_EQ(report(*raw, {3.25}), std::vector<double>{3.25});
}

// Population standard deviation of x - level, over every stream and round.
double deviation(const std::vector<std::vector<double>>& rounds, double level) {
  double sum = 0;
  size_t n = 0;
  for (const auto& round : rounds)
    for (double x : round) {
      sum += (x - level) * (x - level);
      ++n;
    }
  return std::sqrt(sum / static_cast<double>(n));
}

// The share of values further than `band` (relative) from the level.
double outside(const std::vector<std::vector<double>>& rounds, double level, double band) {
  size_t out = 0, n = 0;
  for (const auto& round : rounds)
    for (double x : round) {
      out += std::abs(x - level) > band * level;
      ++n;
    }
  return static_cast<double>(out) / static_cast<double>(n);
}

// Reports of +-10% uniform noise around a steady level: the appraised loads vary much less than
// the reports. For independent noise the EWMA's deviation is sqrt(alpha / (2 - alpha)) of the
// input's: 0.42 at alpha 0.3, 0.23 at 0.1.
TEST(MeteredAppraiser, SmoothsOrdinaryNoise) {
  for (const auto& [alpha, expected] : std::vector<std::pair<double, double>>{{0.3, 0.420}, {0.1, 0.229}}) {
    auto appraiser = metered({{"alpha", std::to_string(alpha), ""}});
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> noise(-0.1, 0.1);
    constexpr double kLevel = 100.0;
    constexpr size_t kStreams = 200, kRounds = 400, kWarmUp = 50;
    std::vector<std::vector<double>> raw, smoothed;
    for (size_t r = 0; r < kRounds; ++r) {
      std::vector<double> reported(kStreams);
      for (double& x : reported) x = kLevel * (1.0 + noise(rng));
      std::vector<double> appraised = report(*appraiser, reported);
      if (r < kWarmUp) continue;
      raw.push_back(std::move(reported));
      smoothed.push_back(std::move(appraised));
    }
    const double ratio = deviation(smoothed, kLevel) / deviation(raw, kLevel);
    RecordProperty("deviation_ratio_alpha_" + std::to_string(alpha), std::to_string(ratio));
    EXPECT_LT(ratio, 0.5) << "alpha " << alpha;
    EXPECT_NEAR(ratio, expected, 0.03) << "alpha " << alpha;
    // What a 5% hysteresis band would see: about half the reports are outside it, a few
    // percent of the smoothed loads at most.
    const double raw_outside = outside(raw, kLevel, 0.05), smoothed_outside = outside(smoothed, kLevel, 0.05);
    EXPECT_GT(raw_outside, 0.45) << "alpha " << alpha;
    EXPECT_LT(smoothed_outside, raw_outside / 5) << "alpha " << alpha;
  }
}

// No new usable value keeps the smoothed load: NaN (nothing known), and negative or infinite
// reports, which are also logged.
TEST(MeteredAppraiser, KeepsTheSmoothedLoadWithoutAUsableReport) {
  auto appraiser = metered();
  report(*appraiser, {10.0, 10.0, 10.0, 10.0});
  const double inf = std::numeric_limits<double>::infinity();
  LogCapture log;
  EXPECT_EQ(report(*appraiser, {kNaN, -1.0, inf, -inf}), (std::vector<double>{10.0, 10.0, 10.0, 10.0}));
  EXPECT_EQ(log.count("3 of 4 streams reported a negative or infinite load"), 1u) << log.text();
  EXPECT_EQ(report(*appraiser, {-1.0, kNaN}), (std::vector<double>{10.0, 10.0}));  // s2, s3 dropped
}

TEST(MeteredAppraiser, ForgetsStreamsThatLeaveTheStreamSet) {
  auto appraiser = metered();
  Streams both(std::vector<std::string>{"a", "b"}, {10.0, 10.0});
  EXPECT_EQ(appraise(*appraiser, both), (std::vector<double>{10.0, 10.0}));
  Streams only_b(std::vector<std::string>{"b"}, {20.0});
  EXPECT_EQ(appraise(*appraiser, only_b), std::vector<double>{13.0});
  // "a" comes back: it starts afresh at its report rather than smoothing from 10.
  Streams back(std::vector<std::string>{"a", "b"}, {50.0, 20.0});
  const auto load = appraise(*appraiser, back);
  EXPECT_EQ(load[0], 50.0);
  EXPECT_DOUBLE_EQ(load[1], 13.0 + 0.3 * 7.0);
  Streams never(std::vector<std::string>{"b"}, {kNaN});
  appraise(*appraiser, Streams(0).view());  // an empty set forgets everything
  EXPECT_EQ(appraise(*appraiser, never), std::vector<double>{1.0});
}

// Two ids whose hashes collide (the host's 64-bit hash is not unique in principle) keep
// separate state.
TEST(MeteredAppraiser, KeepsCollidingHashesApart) {
  auto appraiser = metered();
  Streams streams(std::vector<std::string>{"x", "y", "z"}, {10.0, 40.0, 70.0});
  berth_stream_set view = streams.view();
  const std::vector<uint64_t> same{42, 42, 42};
  view.hash = same.data();
  EXPECT_EQ(appraise(*appraiser, view), (std::vector<double>{10.0, 40.0, 70.0}));
  Streams next(std::vector<std::string>{"z", "x"}, {80.0, 20.0});
  berth_stream_set next_view = next.view();
  next_view.hash = same.data();
  const auto load = appraise(*appraiser, next_view);
  EXPECT_DOUBLE_EQ(load[0], 70.0 + 0.3 * 10.0);
  EXPECT_DOUBLE_EQ(load[1], 10.0 + 0.3 * 10.0);
}

// Random churn of streams and reports, checked against a plain map: the flat table grows,
// shrinks and drops exactly what it should.
TEST(MeteredAppraiser, MatchesAReferenceUnderChurn) {
  auto appraiser = metered({{"alpha", "0.25", ""}, {"default_load", "3", ""}});
  std::map<std::string, double> reference;
  std::mt19937_64 rng(9);
  for (int round = 0; round < 60; ++round) {
    const uint32_t universe = round % 20 < 10 ? 3000 : 200;  // grow, then shrink, repeatedly
    std::vector<std::string> ids;
    std::vector<double> reported;
    for (uint32_t k = 0; k < universe; ++k) {
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) continue;  // absent this round
      ids.push_back("stream-" + std::to_string(k));
      reported.push_back(std::uniform_int_distribution<int>(0, 4)(rng) == 0
                             ? kNaN
                             : std::uniform_real_distribution<double>(0.0, 100.0)(rng));
    }
    Streams streams(ids, reported);
    const auto load = appraise(*appraiser, streams);
    std::map<std::string, double> next;
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = reference.find(ids[i]);
      double expected = 3.0;
      if (it != reference.end()) {
        expected = std::isnan(reported[i]) ? it->second : it->second + 0.25 * (reported[i] - it->second);
        next[ids[i]] = expected;
      } else if (!std::isnan(reported[i])) {
        expected = reported[i];
        next[ids[i]] = expected;
      }
      ASSERT_EQ(load[i], expected) << "round " << round << ", " << ids[i];
    }
    reference = std::move(next);
  }
}

// Two instances (two leaders in turn, or a leader and a replay) fed the same reports agree to
// the bit.
TEST(MeteredAppraiser, IsDeterministic) {
  auto first = metered({{"alpha", "0.37", ""}});
  auto second = metered({{"alpha", "0.37", ""}});
  std::mt19937_64 rng(13);
  for (int round = 0; round < 50; ++round) {
    std::vector<double> reported(500);
    for (double& x : reported) x = std::lognormal_distribution<double>(0.0, 1.0)(rng);
    EXPECT_EQ(report(*first, reported), report(*second, reported)) << "round " << round;
  }
}

TEST(MeteredAppraiser, RejectsUnknownKeysAndABadAlphaNamingTheKey) {
  expect_config_error("metered", {{"aplha", "0.3", "berth.toml:8"}}, {"aplha", "unknown key", "berth.toml:8"});
  for (const char* bad : {"0", "-0.1", "1.5", "1.0001", "abc", "nan", "inf", "", "0.3x"})
    expect_config_error("metered", {{"alpha", bad, "berth.toml:8"}}, {"appraiser.alpha", "berth.toml:8", "(0, 1]"});
  expect_config_error("metered", {{"default_load", "-2", "berth.toml:9"}}, {"default_load"});
  EXPECT_NO_THROW(metered({{"alpha", "1", ""}, {"default_load", "0", ""}}));
  EXPECT_NO_THROW(metered({{"alpha", "1e-6", ""}}));
}

}  // namespace
}  // namespace berth::appraiser_test
