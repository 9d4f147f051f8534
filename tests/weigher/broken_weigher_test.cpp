// Weighers that are not what they claim, as real shared objects: the loader refuses a malformed
// one, and a weigher whose call fails or gives nonsense is reported as BERTH_E_PLUGIN naming it,
// with the caller's factors left as they were.
#include <gtest/gtest.h>

#include "catalogue/weighting_step.h"
#include "common/error.h"
#include "weigher/weigher_support.h"

namespace berth::weigher_test {
namespace {

void expect_error(int32_t code, const std::vector<std::string>& needles, const std::function<void()>& body) {
  try {
    body();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << n << " not in: " << e.what();
  }
}

TEST(BrokenWeigher, TheLoaderRefusesAWeigherWithoutWeigh) {
  PluginRegistry registry;
  expect_error(BERTH_E_PLUGIN, {"weigher_without_weigh.so", "required function 'weigh' is missing"},
               [&] { registry.load(BERTH_PLUGIN_WEIGHER, fixture("weigher_without_weigh")); });
}

TEST(BrokenWeigher, TheLoaderRefusesATableThatEndsBeforeWeigh) {
  PluginRegistry registry;
  expect_error(BERTH_E_PLUGIN, {"short_weigher_table.so", "weigher function table is", "required"},
               [&] { registry.load(BERTH_PLUGIN_WEIGHER, fixture("short_weigher_table")); });
}

TEST(BrokenWeigher, APluginOfAnotherKindIsRefusedEitherWay) {
  PluginRegistry registry;
  expect_error(BERTH_E_PLUGIN, {"its kind is weigher, not policy"}, [&] { registry.load(BERTH_PLUGIN_POLICY, fixture("broken_weigher")); });
  expect_error(BERTH_E_PLUGIN, {"its kind is policy, not weigher"},
               [&] { registry.load(BERTH_PLUGIN_WEIGHER, registry.locate(BERTH_PLUGIN_POLICY, "sticky").string()); });
}

TEST(BrokenWeigher, ABuiltInIsFoundByNameAndListed) {
  PluginRegistry registry;
  EXPECT_EQ(registry.load(BERTH_PLUGIN_WEIGHER, "marconi")->name, "marconi");
  bool listed = false;
  for (const auto& a : registry.available()) listed = listed || (a.kind == BERTH_PLUGIN_WEIGHER && a.name == "marconi");
  EXPECT_TRUE(listed);
  EXPECT_STREQ(kind_name(BERTH_PLUGIN_WEIGHER), "weigher");
}

class BrokenMode : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenMode, IsReportedAsAPluginErrorNamingTheWeigherAndLeavesTheFactors) {
  auto w = weigher(fixture("broken_weigher"), {{"mode", GetParam(), "t"}});
  Servers servers = Servers::equal(3);
  Signals signals({{}, {}, {}});
  std::vector<double> factors = {0.5, 0.6, 0.7};
  expect_error(BERTH_E_PLUGIN, {"weigher 'broken'", "weigh"}, [&] { w->weigh(servers.view(), signals.view(), factors.data()); });
  EXPECT_EQ(factors, (std::vector<double>{0.5, 0.6, 0.7}));
}

TEST_P(BrokenMode, LeavesTheWeightsAsTheyWereInTheWeightingStep) {
  auto good = weigher(fixture("broken_weigher"), {{"mode", "ok", "t"}});
  auto bad = weigher(fixture("broken_weigher"), {{"mode", GetParam(), "t"}});
  auto servers = std::make_shared<ServerColumns>();
  for (const char* id : {"a", "b", "c"}) {
    servers->ids.push_back(id);
    servers->capacity.push_back(10);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  const WeightingSettings settings;
  WeightingOutcome first = weighting_step(nullptr, {}, servers, *good, settings);
  ASSERT_TRUE(first.weigher_failure.empty()) << first.weigher_failure;
  ASSERT_DOUBLE_EQ(first.weighting->servers[2].factor, 2.0);
  WeightingOutcome next = weighting_step(first.weighting.get(), {{"c", "cpu_load", 0.9}}, servers, *bad, settings);
  EXPECT_NE(next.weigher_failure.find("broken"), std::string::npos) << next.weigher_failure;
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(next.weighting->servers[i].factor, 2.0);
    EXPECT_DOUBLE_EQ(next.servers->capacity[i], 20.0);
  }
  EXPECT_EQ(next.signals_applied, 1u);  // the report is kept: the weigher failed, not the host
}

INSTANTIATE_TEST_SUITE_P(Modes, BrokenMode, ::testing::Values("fail", "nan", "zero", "negative", "infinite"));

}  // namespace
}  // namespace berth::weigher_test
