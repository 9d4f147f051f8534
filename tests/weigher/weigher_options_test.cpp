// The [weigher] section: the plugin's name and keys, and the host's smoothing, bounds and
// hysteresis, typed and checked like the other sections.
#include <gtest/gtest.h>

#include "common/error.h"
#include "config/options.h"

namespace berth {
namespace {

TEST(WeigherOptions, WithoutTheSectionNothingIsWeighed) {
  EXPECT_TRUE(Options().resolve().weigher.name.empty());
}

TEST(WeigherOptions, HostKeysAreReadAndTheRestGoToThePlugin) {
  Options o;
  o.load_string("[weigher]\nname = \"marconi\"\nsmoothing = 0.5\nmin_factor = 0.25\nmax_factor = 4\n"
                "hysteresis = 0.1\ncpu_weight = 3\n",
                "w.toml");
  EngineOptions e = o.resolve();
  EXPECT_EQ(e.weigher.name, "marconi");
  EXPECT_DOUBLE_EQ(e.weigher.smoothing, 0.5);
  EXPECT_DOUBLE_EQ(e.weigher.min_factor, 0.25);
  EXPECT_DOUBLE_EQ(e.weigher.max_factor, 4);
  EXPECT_DOUBLE_EQ(e.weigher.hysteresis, 0.1);
  ASSERT_EQ(e.weigher.config.entries().size(), 1u);
  EXPECT_EQ(e.weigher.config.entries()[0].key, "cpu_weight");
  EXPECT_EQ(e.weigher.config.entries()[0].value, "3");
  EXPECT_EQ(e.weigher.config.entries()[0].where, "w.toml:7");
  EXPECT_STREQ(e.weigher.config.view()->section, "weigher");
}

void expect_refused(const std::string& toml, const std::vector<std::string>& needles) {
  Options o;
  try {
    o.load_string(toml, "w.toml");
    ADD_FAILURE() << "accepted: " << toml;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << n << " not in: " << e.what();
  }
}

TEST(WeigherOptions, BadValuesAreRefusedNamingKeyAndLine) {
  expect_refused("[weigher]\nname = \"marconi\"\nsmoothing = 0\n", {"w.toml:3", "weigher.smoothing", "(0, 1]"});
  expect_refused("[weigher]\nname = \"marconi\"\nsmoothing = 1.5\n", {"weigher.smoothing"});
  expect_refused("[weigher]\nname = \"marconi\"\nsmoothing = \"fast\"\n", {"weigher.smoothing", "a number"});
  expect_refused("[weigher]\nname = \"marconi\"\nmin_factor = 0\n", {"weigher.min_factor"});
  expect_refused("[weigher]\nname = \"marconi\"\nhysteresis = -0.1\n", {"weigher.hysteresis"});
  expect_refused("[weigher]\nname = \"marconi\"\nmin_factor = 5\nmax_factor = 2\n",
                 {"w.toml:3", "weigher.min_factor", "above weigher.max_factor"});
  expect_refused("[weigher]\nname = \"\"\n", {"weigher.name", "empty"});
  expect_refused("[weigher]\ncpu_weight = 3\n", {"w.toml:2", "weigher.cpu_weight", "names no plugin"});
  // Only the maximum set, below the default minimum: the key named is the one written.
  expect_refused("[weigher]\nname = \"marconi\"\nmax_factor = 0.05\n",
                 {"w.toml:3", "weigher.max_factor", "above weigher.max_factor"});
  expect_refused("[weigher]\nsmoothing = 0.5\n", {"w.toml:2", "weigher.smoothing", "names no plugin"});
}

TEST(WeigherOptions, AnOverrideIsCheckedAtOnce) {
  Options o;
  o.set("weigher.name", "marconi");
  EXPECT_THROW(o.set("weigher.max_factor", "inf"), Error);
  EXPECT_NO_THROW(o.set("weigher.max_factor", "3"));
  EXPECT_DOUBLE_EQ(o.resolve().weigher.max_factor, 3);
}

TEST(WeigherOptions, ANameNothingProvidesIsRefusedAtOpenNamingTheKey) {
  Options o;
  o.set("weigher.name", "no_such_weigher", "--weigher");
  try {
    o.resolve_for_open();
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND) << e.what();
    EXPECT_NE(std::string(e.what()).find("weigher.name"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("berth_weigher_no_such_weigher.so"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth
