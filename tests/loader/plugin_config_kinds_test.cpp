// What the plugin SDK's Config (berth/plugin.hpp) makes of the value types a host passes
// (berth_config.kinds, ABI 1.7), including a host older than that which passes none.
#include <gtest/gtest.h>

#include <string>

#include "berth/plugin.hpp"

namespace berth::test {
namespace {

struct Section {
  berth_kv items[2] = {{"cluster", "false", "cfg.toml:3"}, {"band", "0.5", "cfg.toml:4"}};
  int32_t kinds[2] = {BERTH_VALUE_BOOLEAN, BERTH_VALUE_FLOAT};
  berth_config config{BERTH_SIZE_THROUGH(berth_config, kinds), items, 2, "backend", kinds};
};

std::string refusal(plugin::Config& config, const char* key, uint32_t accepts) {
  try {
    config.find(key, accepts, "a string");
  } catch (const plugin::Error& e) {
    return e.what();
  }
  return "";
}

TEST(PluginConfigKinds, AValueOfAnotherTypeIsRefusedNamingWhereKeyAndBothTypes) {
  Section s;
  plugin::Config config(&s.config);
  EXPECT_EQ(refusal(config, "cluster", plugin::kString),
            "cfg.toml:3: backend.cluster: expected a string, found a boolean");
  EXPECT_EQ(refusal(config, "band", plugin::kNumber), "");
  EXPECT_DOUBLE_EQ(config.number("band", 0, 0, 1), 0.5);
}

TEST(PluginConfigKinds, TextFromACommandLinePassesAsAnyType) {
  Section s;
  s.kinds[0] = BERTH_VALUE_TEXT;
  plugin::Config config(&s.config);
  EXPECT_EQ(refusal(config, "cluster", plugin::kString), "");
}

TEST(PluginConfigKinds, AHostOlderThanKindsPassesEveryValueAsText) {
  Section s;
  s.config.struct_size = BERTH_SIZE_THROUGH(berth_config, section);  // kinds past its end: unread
  plugin::Config config(&s.config);
  EXPECT_EQ(refusal(config, "cluster", plugin::kString), "");
  EXPECT_EQ(config.kind(s.items[0]), BERTH_VALUE_TEXT);
}

// A type a later host may add is text to this plugin, as every value was before types were passed.
TEST(PluginConfigKinds, ATypeThisHeaderDoesNotKnowPassesAsText) {
  Section s;
  s.kinds[0] = 99;
  s.kinds[1] = -1;
  plugin::Config config(&s.config);
  EXPECT_EQ(refusal(config, "cluster", plugin::kString), "");
  EXPECT_EQ(config.kind(s.items[1]), BERTH_VALUE_TEXT);
}

}  // namespace
}  // namespace berth::test
