// Configuration: TOML and overrides, with errors that name the key and the line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "config/options.h"
#include "engine/engine.h"

namespace berth {
namespace {

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Options, ReadsEverySection) {
  Options o;
  o.load_string(R"(
[engine]
node_id = "n1"
campaign = false
refresh_interval = "90s"
refresh_on_change = false
plugin_path = ["/opt/a", "/opt/b"]

[policy]
name = "least_load"

[backend]
name = "memory"
cluster = "prod"
)",
                "test.toml");
  EngineOptions e = o.resolve();
  EXPECT_EQ(e.node_id, "n1");
  EXPECT_FALSE(e.campaign);
  EXPECT_EQ(e.refresh_interval, std::chrono::seconds(90));
  EXPECT_FALSE(e.refresh_on_change);
  ASSERT_EQ(e.plugin_path.size(), 2u);
  EXPECT_EQ(e.plugin_path[1], "/opt/b");
  EXPECT_EQ(e.policy.name, "least_load");
  ASSERT_EQ(e.backend.config.entries().size(), 1u);
  EXPECT_EQ(e.backend.config.entries()[0].key, "cluster");
  EXPECT_EQ(e.backend.config.entries()[0].where, "test.toml:14");
}

TEST(Options, TheSampleConfigurationOpensAnEngine) {
  Options o;
  o.load_file(BERTH_SOURCE_DIR "/samples/config/berth.toml");
  o.set("backend.cluster", "sample-config-test");  // keep it apart from other tests
  EngineOptions e = o.resolve();
  EXPECT_EQ(e.node_id, "proxy-1:8080");
  EXPECT_EQ(e.appraiser.name, "reported");
  Engine engine(std::move(e));  // every plugin accepts every key the sample gives it
  EXPECT_EQ(engine.node_id(), "proxy-1:8080");
}

TEST(Options, DefaultsAreDl157sIntervalAndTheStickyPolicy) {
  EngineOptions e = Options().resolve();
  EXPECT_EQ(e.refresh_interval, std::chrono::seconds(120));
  EXPECT_EQ(e.policy.name, "sticky");
  EXPECT_EQ(e.appraiser.name, "equal");
  EXPECT_EQ(e.backend.name, "memory");
}

TEST(Options, BadKeysAndValuesNameTheKeyAndLineAndChangeNothing) {
  Options o;
  o.set("engine.node_id", "kept");
  std::string msg = error_of([&] { o.load_string("[engine]\n\nrefresh_intervall = 5\n", "cfg.toml"); });
  EXPECT_NE(msg.find("cfg.toml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("engine.refresh_intervall"), std::string::npos) << msg;

  msg = error_of([&] { o.load_string("[engine]\nrefresh_interval = \"soon\"\n", "cfg.toml"); });
  EXPECT_NE(msg.find("cfg.toml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("soon"), std::string::npos) << msg;

  msg = error_of([&] { o.set("engine.campaign", "perhaps", "--campaign"); });
  EXPECT_NE(msg.find("engine.campaign"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--campaign"), std::string::npos) << msg;

  msg = error_of([&] { o.load_string("[engine]\nplugin_path = [\"/a:/b\"]\n", "cfg.toml"); });
  EXPECT_NE(msg.find("':'"), std::string::npos) << msg;
  msg = error_of([&] { o.load_file("/tmp"); });
  EXPECT_NE(msg.find("/tmp"), std::string::npos) << msg;

  ASSERT_EQ(o.values().size(), 1u) << "failed loads and sets left something behind";
  EXPECT_EQ(o.resolve().node_id, "kept");
}

TEST(Options, SyntaxErrorsAndUnknownSectionsNameTheLineAndKeepWhatWasThere) {
  Options o;
  o.set("policy.name", "least_load");
  std::string msg = error_of([&] { o.load_string("[engine]\nnode_id = \"x\"\nbroken = = 3\n", "bad.toml"); });
  EXPECT_NE(msg.find("bad.toml:3"), std::string::npos) << msg;
  msg = error_of([&] { o.load_string("[engine]\nnode_id = \"x\"\n[polcy]\nname = \"y\"\n", "typo.toml"); });
  EXPECT_NE(msg.find("polcy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("typo.toml:3"), std::string::npos) << msg;
  // Neither failed load changed anything.
  EXPECT_EQ(o.values().size(), 1u);
  EXPECT_FALSE(o.values().contains("engine.node_id"));
  msg = error_of([&] { o.set("nodot", "1"); });
  EXPECT_NE(msg.find("nodot"), std::string::npos);
  msg = error_of([&] { o.load_file("/nonexistent/berth.toml"); });
  EXPECT_NE(msg.find("/nonexistent/berth.toml"), std::string::npos);
}

TEST(Options, OwnershipAndIntakeRefreshDefaults) {
  EngineOptions e = Options().resolve();
  EXPECT_EQ(e.ownership.lease_margin, std::chrono::milliseconds(500));
  EXPECT_FALSE(e.ownership.soft_handoff);
  EXPECT_EQ(e.ownership.stall_after, std::chrono::seconds(30));
  EXPECT_FALSE(e.ownership.vanish_wait) << "unset: the backend's vanish wait";
  EXPECT_EQ(e.intake_refresh_delay, std::chrono::milliseconds(2));
}

TEST(Options, ReadsTheOwnershipSectionAndTheIntakeRefreshDelay) {
  Options o;
  o.load_string(R"(
[engine]
intake_refresh_delay = "5ms"

[ownership]
lease_margin = "750ms"
soft_handoff = true
stall_after = "2m"
vanish_wait = "1500ms"
)",
                "own.toml");
  EngineOptions e = o.resolve();
  EXPECT_EQ(e.intake_refresh_delay, std::chrono::milliseconds(5));
  EXPECT_EQ(e.ownership.lease_margin, std::chrono::milliseconds(750));
  EXPECT_TRUE(e.ownership.soft_handoff);
  EXPECT_EQ(e.ownership.stall_after, std::chrono::minutes(2));
  EXPECT_EQ(e.ownership.vanish_wait, std::chrono::milliseconds(1500));
  o.set("ownership.vanish_wait", "0");  // lapsing holds off
  EXPECT_EQ(o.resolve().ownership.vanish_wait, std::chrono::milliseconds(0));
  o.set("engine.intake_refresh_delay", "0");  // intake left to the periodic refresh
  EXPECT_EQ(o.resolve().intake_refresh_delay, std::chrono::milliseconds(0));
}

TEST(Options, BadOwnershipValuesNameTheKeyAndWhereTheyCameFrom) {
  Options o;
  std::string msg = error_of([&] { o.load_string("[ownership]\n\nlease_margin = \"soon\"\n", "own.toml"); });
  EXPECT_NE(msg.find("own.toml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ownership.lease_margin"), std::string::npos) << msg;
  msg = error_of([&] { o.set("ownership.lease_margin", "1ms", "--margin"); });
  EXPECT_NE(msg.find("--margin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least 10ms"), std::string::npos) << msg;
  msg = error_of([&] { o.set("ownership.soft_handoff", "sometimes"); });
  EXPECT_NE(msg.find("ownership.soft_handoff"), std::string::npos) << msg;
  msg = error_of([&] { o.set("ownership.stall_after", "0"); });
  EXPECT_NE(msg.find("ownership.stall_after"), std::string::npos) << msg;
  msg = error_of([&] { o.set("ownership.lease", "1s"); });
  EXPECT_NE(msg.find("lease_margin, soft_handoff, stall_after, vanish_wait"), std::string::npos) << msg;
  msg = error_of([&] { o.set("ownership.vanish_wait", "a while"); });
  EXPECT_NE(msg.find("ownership.vanish_wait"), std::string::npos) << msg;
  msg = error_of([&] { o.set("engine.intake_refresh_delay", "-1s", "--delay"); });
  EXPECT_NE(msg.find("engine.intake_refresh_delay"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--delay"), std::string::npos) << msg;
  EXPECT_TRUE(o.values().empty()) << "failed loads and sets left something behind";
}

TEST(Options, Durations) {
  EXPECT_EQ(parse_duration("120"), std::chrono::seconds(120));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_THROW(parse_duration("-1s"), Error);
  EXPECT_THROW(parse_duration("5 fortnights"), Error);
  EXPECT_THROW(parse_duration("0x10"), Error);
}

TEST(Options, PluginRejectsAnUnknownKeyNamingWhereItCameFrom) {
  Options o;
  o.load_string("[backend]\nname = \"memory\"\nclustr = \"x\"\n", "plugin.toml");
  try {
    Engine engine(o.resolve());
    FAIL() << "the backend accepted an unknown key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find("plugin.toml:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("clustr"), std::string::npos) << e.what();
  }
}

// Plugins are told each value's TOML type (berth_config.kinds) and refuse the wrong one, naming
// file, line and key.
TEST(Options, PluginsRefuseValuesOfTheWrongTypeNamingFileLineAndKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[backend]\nname = \"memory\"\ncluster = false\n", "plugin.toml:3: backend.cluster: expected a string, found a boolean"},
      {"[backend]\nname = \"memory\"\nexpire_session = \"7\"\n",
       "plugin.toml:3: backend.expire_session: expected a number, found a string"},
      {"[backend]\nname = \"file\"\ndir = 5\n", "plugin.toml:3: backend.dir: expected a string (a directory), found an integer"},
      {"[backend]\nname = \"zookeeper\"\nconnect = 2181\n",
       "plugin.toml:3: backend.connect: expected a string (host:port,...), found an integer"},
      {"[backend]\nname = \"zookeeper\"\nconnect = \"127.0.0.1:1\"\nsession_timeout = true\n",
       "plugin.toml:4: backend.session_timeout: expected a duration, found a boolean"},
      {"[policy]\nname = \"sticky\"\nband = \"0.1\"\n", "plugin.toml:3: policy.band: expected a number, found a string"},
      {"[policy]\nname = \"sticky\"\nmax_moves = 1.5\n",
       "plugin.toml:3: policy.max_moves: expected an integer or \"unlimited\", found a float"},
      {"[appraiser]\nname = \"metered\"\nalpha = true\n", "plugin.toml:3: appraiser.alpha: expected a number, found a boolean"},
      {"[policy]\nname = \"weighted\"\nrebalance = \"true\"\n",
       "plugin.toml:3: policy.rebalance: expected a boolean, found a string"},
      {"[policy]\nname = \"hash\"\ncapacity_factor = \"2\"\n",
       "plugin.toml:3: policy.capacity_factor: expected a number, found a string"},
  };
  for (const auto& [toml, expected] : cases) {
    Options o;
    o.load_string(toml, "plugin.toml");
    try {
      Engine engine(o.resolve());
      ADD_FAILURE() << "accepted:\n" << toml;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << toml << " -> " << e.what();
    }
  }
}

// A value with no type of its own (a command line's --backend.cluster) is text the plugin parses,
// and a value of the right type from a file is accepted.
TEST(Options, PluginsTakeTextAndValuesOfTheRightType) {
  Options typed;
  typed.load_string("[backend]\nname = \"memory\"\ncluster = \"typed-ok\"\n[policy]\nname = \"sticky\"\n"
                    "band = 0\nmax_moves = 5\n",
                    "plugin.toml");
  EXPECT_NO_THROW(Engine engine(typed.resolve()));
  Options text;
  text.set("backend.cluster", "false", "--backend.cluster");
  text.set("policy.name", "sticky");
  text.set("policy.band", "0.1", "--policy.band");
  EXPECT_NO_THROW(Engine engine(text.resolve()));
}

TEST(Options, UnknownPluginNameIsNotFound) {
  Options o;
  o.set("policy.name", "no_such_policy");
  try {
    Engine engine(o.resolve());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_policy"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth
