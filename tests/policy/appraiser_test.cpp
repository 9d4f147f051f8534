// The built-in appraisers, through the real plugins: "equal" and "reported".
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::vector<double> appraise(Appraiser& appraiser, const Streams& streams) {
  std::vector<double> load(streams.count(), -1.0);
  appraiser.appraise(streams.view(), load.data());
  return load;
}

TEST(EqualAppraiser, GivesEveryStreamLoadOne) {
  auto equal = appraiser("equal");
  EXPECT_EQ(equal->plugin().name, "equal");
  std::mt19937_64 rng(1);
  std::vector<double> reported = random_loads(rng, 1000);  // whatever hosts report is ignored
  reported[3] = std::nan("");
  Streams streams(1000, "stream-", reported);
  for (double load : appraise(*equal, streams)) EXPECT_EQ(load, 1.0);
  Streams none(0);
  EXPECT_TRUE(appraise(*equal, none).empty());
}

TEST(ReportedAppraiser, UsesReportedLoadsAndTheDefaultWhereThereIsNone) {
  const double nan = std::nan("");
  Streams streams(5, "stream-", {2.5, nan, 0.0, 7.0, nan});
  const std::vector<double> by_default = appraise(*appraiser("reported"), streams);
  EXPECT_EQ(by_default, (std::vector<double>{2.5, 1.0, 0.0, 7.0, 1.0}));

  auto configured = appraiser("reported", {{"default_load", "0.25", "berth.toml:7"}});
  EXPECT_EQ(appraise(*configured, streams), (std::vector<double>{2.5, 0.25, 0.0, 7.0, 0.25}));
}

TEST(ReportedAppraiser, TreatsNegativeAndInfiniteReportsAsMissing) {
  const double inf = std::numeric_limits<double>::infinity();
  Streams streams(4, "stream-", {-3.0, inf, -inf, 4.0});
  auto reported = appraiser("reported", {{"default_load", "2", ""}});
  EXPECT_EQ(appraise(*reported, streams), (std::vector<double>{2.0, 2.0, 2.0, 4.0}));
}

void expect_config_error(std::string_view plugin, std::vector<PluginConfig::Entry> config, const std::string& key) {
  try {
    appraiser(plugin, std::move(config));
    ADD_FAILURE() << plugin << ": configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(ReportedAppraiser, RejectsABadDefaultLoadNamingTheKey) {
  expect_config_error("reported", {{"default_load", "abc", "berth.toml:9"}}, "default_load");
  expect_config_error("reported", {{"default_load", "-1", "berth.toml:9"}}, "default_load");
  expect_config_error("reported", {{"default_load", "nan", "berth.toml:9"}}, "default_load");
}

TEST(Appraisers, RejectUnknownKeysNamingThem) {
  expect_config_error("reported", {{"defualt_load", "2", "berth.toml:9"}}, "defualt_load");
  expect_config_error("equal", {{"default_load", "2", "berth.toml:9"}}, "default_load");
}

}  // namespace
}  // namespace berth::policy_test
