// The leader's weighting step (catalogue/weighting_step.h): smoothing, bounds, hysteresis, what
// it refuses, and the effective capacities it gives.
#include <gtest/gtest.h>

#include <random>

#include "catalogue/weighting_step.h"
#include "weigher/weigher_support.h"

namespace berth::weigher_test {
namespace {

std::shared_ptr<ServerColumns> columns(const std::vector<std::pair<std::string, double>>& servers) {
  auto out = std::make_shared<ServerColumns>();
  for (const auto& [id, capacity] : servers) {
    out->ids.push_back(id);
    out->capacity.push_back(capacity);
    out->state.push_back(BERTH_SERVER_UP);
  }
  return out;
}

double signal(const WeightingOutcome& o, const std::string& server, const std::string& name) {
  const WeighedServer* w = o.weighting->find(server);
  const Signal* s = w != nullptr ? w->signal(name) : nullptr;
  return s != nullptr ? s->value : -1;
}

TEST(WeightingStep, WithoutSignalsEveryServerHasFactorOneAndItsCapacity) {
  auto marconi = weigher("marconi");
  WeightingOutcome o = weighting_step(nullptr, {}, columns({{"a", 3}, {"b", 5}}), *marconi, {});
  ASSERT_EQ(o.weighting->servers.size(), 2u);
  EXPECT_EQ(o.weighting->plugin, "marconi");
  EXPECT_DOUBLE_EQ(o.weighting->servers[0].factor, 1.0);
  EXPECT_DOUBLE_EQ(o.servers->capacity[0], 3.0);
  EXPECT_DOUBLE_EQ(o.servers->capacity[1], 5.0);
}

TEST(WeightingStep, EachSignalIsAnEwmaFoldedInTheOrderHeard) {
  auto marconi = weigher("marconi");
  WeightingSettings settings;
  settings.smoothing = 0.25;
  auto servers = columns({{"a", 1}});
  WeightingOutcome first = weighting_step(nullptr, {{"a", "cpu_load", 0.8}}, servers, *marconi, settings);
  EXPECT_DOUBLE_EQ(signal(first, "a", "cpu_load"), 0.8);  // a first report starts the average
  WeightingOutcome next = weighting_step(first.weighting.get(), {{"a", "cpu_load", 0.4}, {"a", "cpu_load", 0.0}},
                                         servers, *marconi, settings);
  // 0.8 + 0.25 (0.4 - 0.8) = 0.7; 0.7 + 0.25 (0 - 0.7) = 0.525
  EXPECT_DOUBLE_EQ(signal(next, "a", "cpu_load"), 0.525);
  EXPECT_EQ(next.signals_applied, 2u);
}

TEST(WeightingStep, TheTargetIsClampedToTheBounds) {
  auto two = weigher(fixture("broken_weigher"), {{"mode", "ok", "t"}});  // factor 2 for everyone
  WeightingSettings settings;
  settings.max_factor = 1.5;
  WeightingOutcome o = weighting_step(nullptr, {}, columns({{"a", 4}}), *two, settings);
  EXPECT_DOUBLE_EQ(o.weighting->servers[0].factor, 1.5);
  EXPECT_DOUBLE_EQ(o.servers->capacity[0], 6.0);
  settings.max_factor = 10;
  settings.min_factor = 3;
  o = weighting_step(o.weighting.get(), {}, columns({{"a", 4}}), *two, settings);
  EXPECT_DOUBLE_EQ(o.weighting->servers[0].factor, 3.0);
}

TEST(WeightingStep, TheFactorMovesOnlyPastTheHysteresisThreshold) {
  auto marconi = weigher("marconi");
  WeightingSettings settings;
  settings.smoothing = 1;  // no smoothing: the target is what was reported
  settings.hysteresis = 0.15;
  auto servers = columns({{"a", 1}});
  WeightingOutcome o = weighting_step(nullptr, {}, servers, *marconi, settings);
  ASSERT_DOUBLE_EQ(o.weighting->servers[0].factor, 1.0);
  // cpu 0.6: target (1 + 1) / (1 + 1.2) = 0.909, 9% below 1: no move.
  o = weighting_step(o.weighting.get(), {{"a", "cpu_load", 0.6}}, servers, *marconi, settings);
  EXPECT_DOUBLE_EQ(o.weighting->servers[0].factor, 1.0);
  EXPECT_EQ(o.factors_changed, 0u);
  // cpu 1.0: target 2 / 3, 33% below: moves all the way to the target.
  o = weighting_step(o.weighting.get(), {{"a", "cpu_load", 1.0}}, servers, *marconi, settings);
  EXPECT_NEAR(o.weighting->servers[0].factor, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(o.factors_changed, 1u);
  EXPECT_NEAR(o.servers->capacity[0], 2.0 / 3.0, 1e-12);
}

// +-10% noise on every signal, after the averages settled: with the defaults no factor moves in
// 1000 refreshes; without hysteresis (the broken variant) the same noise moves them.
TEST(WeightingStep, NoiseMovesNoFactorWithTheDefaultsAndDoesWithoutHysteresis) {
  auto marconi = weigher("marconi");
  auto servers = columns({{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}});
  const double cpu[] = {0.4, 0.3, 0.6, 0.5}, free[] = {0.5, 0.7, 0.3, 0.6};
  auto run = [&](const WeightingSettings& settings) {
    std::mt19937_64 random(11);
    std::uniform_real_distribution<double> noise(0.9, 1.1);
    std::shared_ptr<const Weighting> state;
    uint64_t changed = 0;
    for (int refresh = 0; refresh < 1050; ++refresh) {
      std::vector<SignalReport> reports;
      for (int i = 0; i < 4; ++i) {
        const double n1 = refresh < 50 ? 1.0 : noise(random), n2 = refresh < 50 ? 1.0 : noise(random);
        reports.push_back({std::string(1, char('a' + i)), "cpu_load", cpu[i] * n1});
        reports.push_back({std::string(1, char('a' + i)), "free_capacity", free[i] * n2});
      }
      WeightingOutcome o = weighting_step(state.get(), reports, servers, *marconi, settings);
      if (refresh >= 50) changed += o.factors_changed;
      state = o.weighting;
    }
    return changed;
  };
  EXPECT_EQ(run(WeightingSettings{}), 0u);
  WeightingSettings broken;
  broken.hysteresis = 0;
  EXPECT_GT(run(broken), 100u);
}

TEST(WeightingStep, RefusesReportsNamingWhatAndWhereAndAppliesTheRest) {
  auto marconi = weigher("marconi");
  std::vector<SignalReport> reports = {{"nobody", "cpu_load", 0.5},
                                       {"a", "", 0.5},
                                       {"a", std::string(kMaxSignalNameBytes + 1, 'x'), 0.5},
                                       {"a", "bad\x01name", 0.5},
                                       {"a", "cpu_load", std::numeric_limits<double>::infinity()},
                                       {"a", "cpu_load", 0.25}};
  WeightingOutcome o = weighting_step(nullptr, reports, columns({{"a", 1}}), *marconi, {});
  EXPECT_EQ(o.signals_applied, 1u);
  ASSERT_EQ(o.rejected.size(), 5u);
  EXPECT_NE(o.rejected[0].find("server 'nobody'"), std::string::npos) << o.rejected[0];
  EXPECT_NE(o.rejected[0].find("no such server"), std::string::npos) << o.rejected[0];
  EXPECT_NE(o.rejected[1].find("empty"), std::string::npos) << o.rejected[1];
  EXPECT_NE(o.rejected[2].find("65 bytes"), std::string::npos) << o.rejected[2];
  EXPECT_NE(o.rejected[3].find("control character"), std::string::npos) << o.rejected[3];
  EXPECT_NE(o.rejected[4].find("not finite"), std::string::npos) << o.rejected[4];
  EXPECT_NE(o.rejected[4].find("report #4"), std::string::npos) << o.rejected[4];
  EXPECT_DOUBLE_EQ(signal(o, "a", "cpu_load"), 0.25);
}

TEST(WeightingStep, AServerKeepsABoundedNumberOfSignalNames) {
  auto marconi = weigher("marconi");
  std::vector<SignalReport> reports;
  for (size_t k = 0; k <= kMaxSignalsPerServer; ++k) reports.push_back({"a", "s" + std::to_string(100 + k), 1.0});
  reports.push_back({"a", "s100", 3.0});  // a name it has is still taken
  WeightingOutcome o = weighting_step(nullptr, reports, columns({{"a", 1}}), *marconi, {});
  ASSERT_EQ(o.rejected.size(), 1u);
  EXPECT_NE(o.rejected[0].find("already has"), std::string::npos) << o.rejected[0];
  EXPECT_EQ(o.weighting->servers[0].signals.size(), kMaxSignalsPerServer);
}

TEST(WeightingStep, ServersThatLeftAreDroppedAndNewOnesStartAtTheirTarget) {
  auto two = weigher(fixture("broken_weigher"), {{"mode", "ok", "t"}});
  WeightingOutcome o = weighting_step(nullptr, {{"a", "cpu_load", 1}}, columns({{"a", 1}, {"b", 1}}), *two, {});
  ASSERT_DOUBLE_EQ(o.weighting->find("a")->factor, 2.0);
  WeightingSettings no_move;
  no_move.hysteresis = 5;  // a known server's factor stays; a new one takes its target
  WeightingOutcome next = weighting_step(o.weighting.get(), {}, columns({{"a", 1}, {"c", 1}}), *two, no_move);
  EXPECT_EQ(next.weighting->find("b"), nullptr);
  EXPECT_DOUBLE_EQ(next.weighting->find("a")->factor, 2.0);
  EXPECT_DOUBLE_EQ(next.weighting->find("a")->signal("cpu_load")->value, 1.0);
  EXPECT_DOUBLE_EQ(next.weighting->find("c")->factor, 2.0);
  EXPECT_TRUE(next.weighting->find("c")->signals.empty());
}

TEST(WeightingStep, OnlyCapacityChangesInTheColumns) {
  auto two = weigher(fixture("broken_weigher"), {{"mode", "ok", "t"}});
  auto servers = columns({{"a", 1}, {"b", 2}});
  servers->state[1] = BERTH_SERVER_DRAINING;
  servers->labels = {{{"zone", "z1"}}, {{"zone", "z2"}}};
  servers->incarnation = {4, 5};
  WeightingOutcome o = weighting_step(nullptr, {}, servers, *two, {});
  EXPECT_EQ(o.servers->capacity, (std::vector<double>{2, 4}));
  EXPECT_EQ(o.servers->state, servers->state);
  EXPECT_EQ(o.servers->labels, servers->labels);
  EXPECT_EQ(o.servers->incarnation, servers->incarnation);
  EXPECT_EQ(o.weighting->servers[1].capacity, 2.0);  // the configured capacity
}

}  // namespace
}  // namespace berth::weigher_test
