// The two engine keys that shape deltas: engine.checkpoint_ratio and engine.checkpoint_every.
#include <gtest/gtest.h>

#include "common/error.h"
#include "config/options.h"

namespace berth::test {
namespace {

TEST(CheckpointOptions, DefaultsKeepDeltasSmall) {
  EngineOptions o = Options().resolve();
  EXPECT_DOUBLE_EQ(o.checkpoint_ratio, 0.1);
  EXPECT_EQ(o.checkpoint_every, 64u);
}

TEST(CheckpointOptions, ValuesAreReadAndBadOnesNamed) {
  Options options;
  options.load_string("[engine]\ncheckpoint_ratio = 0.05\ncheckpoint_every = 10\n", "berth.toml");
  EngineOptions o = options.resolve();
  EXPECT_DOUBLE_EQ(o.checkpoint_ratio, 0.05);
  EXPECT_EQ(o.checkpoint_every, 10u);
  for (auto [key, value] : {std::pair{"engine.checkpoint_ratio", "1.5"}, std::pair{"engine.checkpoint_ratio", "-0.1"},
                            std::pair{"engine.checkpoint_ratio", "tenth"}, std::pair{"engine.checkpoint_every", "0"},
                            std::pair{"engine.checkpoint_every", "2.5"}}) {
    try {
      options.set(key, value, "--set");
      ADD_FAILURE() << key << " = " << value << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CONFIG);
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
  EXPECT_DOUBLE_EQ(options.resolve().checkpoint_ratio, 0.05) << "a bad value changes nothing";
}

}  // namespace
}  // namespace berth::test
