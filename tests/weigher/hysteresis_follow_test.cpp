// Hysteresis that follows the load (catalogue/weighting_step.h): once the target crossed the
// threshold, the factor follows it refresh after refresh, all the way; a target that turns back
// or stands still ends the following until the next crossing.
#include <gtest/gtest.h>

#include "catalogue/weighting_step.h"
#include "weigher/weigher_support.h"

namespace berth::weigher_test {
namespace {

std::shared_ptr<ServerColumns> one_server() {
  auto out = std::make_shared<ServerColumns>();
  out->ids.push_back("a");
  out->capacity.push_back(1);
  out->state.push_back(BERTH_SERVER_UP);
  return out;
}

// marconi with free_capacity at its default: target 2 / (1 + 2 cpu).
double target(double cpu) { return 2.0 / (1.0 + 2.0 * cpu); }

class Follow : public ::testing::Test {
 protected:
  const WeighedServer& report(double cpu) {
    o_ = weighting_step(o_.weighting.get(), {{"a", "cpu_load", cpu}}, servers_, *marconi_, settings_);
    return o_.weighting->servers[0];
  }
  std::unique_ptr<Weigher> marconi_ = weigher("marconi");
  std::shared_ptr<ServerColumns> servers_ = one_server();
  WeightingSettings settings_{1, 0.1, 10, 0.15};  // no smoothing: the target is what was reported
  WeightingOutcome o_ = weighting_step(nullptr, {}, servers_, *marconi_, settings_);
};

TEST_F(Follow, OnceTheThresholdIsCrossedTheFactorFollowsTheTargetAllTheWay) {
  EXPECT_DOUBLE_EQ(report(0.5).factor, 1.0);
  EXPECT_DOUBLE_EQ(report(0.6).factor, 1.0) << "9% off: held";
  EXPECT_NEAR(report(0.7).factor, target(0.7), 1e-12) << "17% off: crosses, moves";
  EXPECT_EQ(o_.weighting->servers[0].following, -1);
  EXPECT_NEAR(report(0.75).factor, target(0.75), 1e-12) << "4% further on: follows";
  EXPECT_NEAR(report(0.8).factor, target(0.8), 1e-12);
  EXPECT_EQ(o_.factors_changed, 1u);
}

TEST_F(Follow, ATargetThatTurnsBackOrStandsStillEndsTheFollowingUntilTheNextCrossing) {
  report(0.5);
  report(0.8);
  const double at = report(0.85).factor;
  ASSERT_NEAR(at, target(0.85), 1e-12);
  EXPECT_DOUBLE_EQ(report(0.83).factor, at) << "turned back: holds";
  EXPECT_EQ(o_.weighting->servers[0].following, 0);
  EXPECT_DOUBLE_EQ(report(0.9).factor, at) << "3.6% on, within the threshold: holds";
  EXPECT_NEAR(report(0.5).factor, target(0.5), 1e-12) << "past the threshold the other way: follows up";
  EXPECT_EQ(o_.weighting->servers[0].following, 1);
  EXPECT_DOUBLE_EQ(report(0.5).factor, target(0.5));
  EXPECT_EQ(o_.weighting->servers[0].following, 0) << "a target standing still ends the following";
  EXPECT_DOUBLE_EQ(report(0.45).factor, target(0.5)) << "so noise after it moves nothing";
}

TEST_F(Follow, TheDirectionTravelsInTheSnapshotSoANewLeaderFollowsOn) {
  report(0.5);
  report(0.8);
  Weighting copy = *o_.weighting;  // what a new leader decodes (weighting_codec_test checks the bytes)
  ASSERT_EQ(copy.servers[0].following, -1);
  WeightingOutcome next = weighting_step(&copy, {{"a", "cpu_load", 0.85}}, servers_, *marconi_, settings_);
  EXPECT_NEAR(next.weighting->servers[0].factor, target(0.85), 1e-12);
}

}  // namespace
}  // namespace berth::weigher_test
