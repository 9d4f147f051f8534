// The built-in weigher "marconi": the factor falls with CPU load and rises with free capacity,
// is 1 at the defaults, and follows the formula its source documents.
#include <gtest/gtest.h>

#include "common/error.h"
#include "weigher/weigher_support.h"

namespace berth::weigher_test {
namespace {

double factor_of(const Weigher& w, std::vector<std::pair<std::string, double>> signals) {
  Servers servers = Servers::equal(1);
  Signals set({std::move(signals)});
  return weigh(w, servers, set)[0];
}

TEST(MarconiWeigher, DefaultsOrNoSignalsGiveFactorOne) {
  auto w = weigher("marconi");
  EXPECT_DOUBLE_EQ(factor_of(*w, {}), 1.0);
  EXPECT_DOUBLE_EQ(factor_of(*w, {{"cpu_load", 0.5}, {"free_capacity", 0.5}}), 1.0);
}

TEST(MarconiWeigher, FactorFallsWithCpuLoadAndRisesWithFreeCapacity) {
  auto w = weigher("marconi");
  double previous = 1e300;
  for (double cpu : {0.0, 0.2, 0.4, 0.8, 1.6, 10.0}) {
    const double f = factor_of(*w, {{"cpu_load", cpu}, {"free_capacity", 0.5}});
    EXPECT_LT(f, previous) << "cpu_load " << cpu;
    previous = f;
  }
  previous = 0;
  for (double free : {0.0, 0.1, 0.5, 0.9, 1.0}) {
    const double f = factor_of(*w, {{"cpu_load", 0.5}, {"free_capacity", free}});
    EXPECT_GT(f, previous) << "free_capacity " << free;
    previous = f;
  }
}

TEST(MarconiWeigher, FollowsItsFormulaWithConfiguredConstants) {
  auto w = weigher("marconi", {{"cpu_weight", "1", "t"}, {"free_floor", "0.2", "t"}, {"cpu_load_default", "0", "t"},
                               {"free_capacity_default", "1", "t"}});
  // cpu_term(c) = 1 / (1 + c); free_term(f) = 0.2 + 0.8 f; neutral = cpu_term(0) * free_term(1) = 1.
  EXPECT_DOUBLE_EQ(factor_of(*w, {{"cpu_load", 1.0}, {"free_capacity", 0.5}}), 0.5 * 0.6);
  EXPECT_DOUBLE_EQ(factor_of(*w, {{"cpu_load", 3.0}}), 0.25);
  // Out of range inputs are clamped: free_capacity to [0, 1], cpu_load to >= 0.
  EXPECT_DOUBLE_EQ(factor_of(*w, {{"free_capacity", 7.0}, {"cpu_load", -4.0}}), 1.0);
  EXPECT_DOUBLE_EQ(factor_of(*w, {{"free_capacity", -1.0}}), 0.2);
}

TEST(MarconiWeigher, TwiceTheCpuLoadGivesALowerFactor) {
  auto w = weigher("marconi");
  const double normal = factor_of(*w, {{"cpu_load", 0.4}, {"free_capacity", 0.5}});
  const double doubled = factor_of(*w, {{"cpu_load", 0.8}, {"free_capacity", 0.5}});
  EXPECT_LT(doubled / normal, 0.75);  // (1 + 0.8) / (1 + 1.6) = 0.69 with the default cpu_weight 2
}

TEST(MarconiWeigher, AValueOutOfItsRangeIsAConfigurationErrorNamingKeyAndPlace) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"cpu_weight", "-1"}, {"free_floor", "0"}, {"free_capacity_default", "2"}, {"cpu_weight", "lots"}}) {
    try {
      weigher("marconi", {{key, value, "berth.toml:9"}});
      ADD_FAILURE() << key << " = " << value << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
      EXPECT_NE(std::string(e.what()).find("weigher." + key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("berth.toml:9"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace berth::weigher_test
