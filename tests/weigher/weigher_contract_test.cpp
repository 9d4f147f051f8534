// The weigher contract (berth/plugin.h, ABI 1.5), for every built-in weigher and the C sample:
// deterministic, every factor > 0 and finite for any finite input, missing and unknown signals
// handled.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "weigher/weigher_support.h"

namespace berth::weigher_test {
namespace {

class WeigherContract : public ::testing::TestWithParam<std::string> {};

TEST_P(WeigherContract, TheSameInputGivesTheSameFactorsFromAnyInstance) {
  auto a = weigher(GetParam());
  auto b = weigher(GetParam());
  Servers servers = Servers::equal(3);
  Signals signals({{{"cpu_load", 0.3}, {"free_capacity", 0.7}}, {{"cpu_load", 0.9}}, {}});
  const std::vector<double> first = weigh(*a, servers, signals);
  EXPECT_EQ(weigh(*a, servers, signals), first);
  EXPECT_EQ(weigh(*b, servers, signals), first);
}

TEST_P(WeigherContract, EveryFactorIsPositiveAndFiniteForAnyFiniteInput) {
  auto w = weigher(GetParam());
  const double max = std::numeric_limits<double>::max();
  const double extremes[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-308, 5e-324, -5e-324, 1e6, -1e6, max, -max, 1e300};
  std::mt19937_64 random(7);
  std::uniform_int_distribution<size_t> pick(0, std::size(extremes) - 1);
  std::uniform_real_distribution<double> ordinary(-10, 10);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<std::pair<std::string, double>>> per_server;
    for (int i = 0; i < 5; ++i) {
      const double cpu = round % 2 == 0 ? extremes[pick(random)] : ordinary(random);
      const double free = round % 3 == 0 ? extremes[pick(random)] : ordinary(random);
      per_server.push_back({{"cpu_load", cpu}, {"free_capacity", free}});
    }
    Servers servers = Servers::equal(5);
    Signals signals(per_server);
    for (double f : weigh(*w, servers, signals)) EXPECT_TRUE(std::isfinite(f) && f > 0) << GetParam() << ": " << f;
  }
}

TEST_P(WeigherContract, MissingAndUnknownSignalsGiveAFactorNotAnError) {
  auto w = weigher(GetParam());
  Servers servers = Servers::equal(3);
  Signals none({{}, {}, {}});
  Signals unknown({{{"disk_iops", 5000}}, {{"zzz", -1}}, {}});
  const std::vector<double> without = weigh(*w, servers, none);
  for (double f : without) EXPECT_TRUE(std::isfinite(f) && f > 0) << f;
  EXPECT_EQ(without[0], without[1]);  // no signals: nothing tells the servers apart
  EXPECT_EQ(weigh(*w, servers, unknown), without);  // a name it does not read changes nothing
}

TEST_P(WeigherContract, NoServersIsNoWork) {
  auto w = weigher(GetParam());
  Servers servers = Servers::equal(0);
  Signals signals(std::vector<std::vector<std::pair<std::string, double>>>{});
  EXPECT_TRUE(weigh(*w, servers, signals).empty());
}

TEST_P(WeigherContract, AnUnknownKeyIsAConfigurationErrorNamingIt) {
  try {
    weigher(GetParam(), {{"no_such_key", "1", "test.toml:3"}});
    FAIL() << GetParam() << " accepted an unknown key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_key"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.toml:3"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(BuiltInsAndTheSample, WeigherContract,
                         ::testing::Values(std::string("marconi"), std::string(BERTH_SAMPLE_WEIGHER)),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param == "marconi" ? std::string("marconi") : std::string("sample_free_space");
                         });

}  // namespace
}  // namespace berth::weigher_test
