// Configuration as a careless or hostile operator writes it: values of the wrong TOML type, bytes
// that are not UTF-8, numbers that overflow, values of megabytes, plugin names nothing provides.
// Every error names the key and the file and line, and echoes only a bounded part of a value.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "config/options.h"

namespace berth {
namespace {

struct Refusal {
  int32_t code = BERTH_OK;
  std::string message;
};

template <class Fn>
Refusal refusal_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

Refusal loading(const std::string& toml) {
  Options o;
  return refusal_of([&] { o.load_string(toml, "cfg.toml"); });
}

void expect_refused(const std::string& toml, const std::string& where_and_key, const std::string& expected) {
  Refusal r = loading(toml);
  EXPECT_EQ(r.code, BERTH_E_CONFIG) << toml << " -> " << r.message;
  EXPECT_NE(r.message.find(where_and_key), std::string::npos) << toml << " -> " << r.message;
  EXPECT_NE(r.message.find(expected), std::string::npos) << toml << " -> " << r.message;
}

TEST(OptionsInput, ValuesOfTheWrongTypeAreRefusedNamingKeyFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[engine]\ncampaign = \"yes\"\n", "cfg.toml:2: engine.campaign: expected a boolean"},
      {"[engine]\n\ncampaign = 1\n", "cfg.toml:3: engine.campaign: expected a boolean"},
      {"[engine]\nrefresh_on_change = \"true\"\n", "cfg.toml:2: engine.refresh_on_change: expected a boolean"},
      {"[engine]\nreturn_freed_memory = 0\n", "cfg.toml:2: engine.return_freed_memory: expected a boolean"},
      {"[engine]\nnode_id = 12\n", "cfg.toml:2: engine.node_id: expected a string"},
      {"[engine]\nplugin_path = 5\n", "cfg.toml:2: engine.plugin_path: expected an array of directories"},
      {"[engine]\nplugin_path = [1, 2]\n", "cfg.toml:2: engine.plugin_path: expected an array of strings, found an integer at item 0"},
      {"[engine]\nrefresh_interval = [\"1s\"]\n", "cfg.toml:2: engine.refresh_interval: expected a duration"},
      {"[engine]\nintake_flush = true\n", "cfg.toml:2: engine.intake_flush: expected a duration"},
      {"[engine]\ncheckpoint_every = 1.5\n", "cfg.toml:2: engine.checkpoint_every: expected an integer"},
      {"[engine]\ncheckpoint_ratio = \"0.1\"\n", "cfg.toml:2: engine.checkpoint_ratio: expected a number"},
      {"[ownership]\nsoft_handoff = 0\n", "cfg.toml:2: ownership.soft_handoff: expected a boolean"},
      {"[ownership]\nlease_margin = false\n", "cfg.toml:2: ownership.lease_margin: expected a duration"},
      {"[rules]\nfile = 3\n", "cfg.toml:2: rules.file: expected a string"},
      {"[rules]\ninstruction_limit = \"100000\"\n", "cfg.toml:2: rules.instruction_limit: expected an integer"},
      {"[policy]\nname = 5\n", "cfg.toml:2: policy.name: expected a string"},
      {"[backend]\ncluster = [\"a\", \"b\"]\n", "cfg.toml:2: backend.cluster: expected a string, number or boolean"},
  };
  for (const auto& [toml, expected] : cases) expect_refused(toml, expected, "found");
}

TEST(OptionsInput, EveryTypeAKeyDocumentsIsAccepted) {
  Options o;
  o.load_string(R"([engine]
node_id = "n1"
campaign = false
refresh_interval = 90
intake_flush = 0.5
intake_refresh_delay = "20ms"
checkpoint_ratio = 0
checkpoint_every = 8
plugin_path = ["/opt/a"]
return_freed_memory = false
[rules]
instruction_limit = 100000
memory_limit = "64MiB"
[ownership]
soft_handoff = true
[backend]
name = "memory"
cluster = "c"
port = 2181
)",
                "cfg.toml");
  o.set("engine.campaign", "true", "--campaign");  // overrides are text, parsed by the key
  EngineOptions e = o.resolve();
  EXPECT_TRUE(e.campaign);
  EXPECT_EQ(e.refresh_interval, std::chrono::seconds(90));
  EXPECT_EQ(e.intake_flush, std::chrono::milliseconds(500));
  EXPECT_EQ(e.checkpoint_ratio, 0.0);
  EXPECT_EQ(e.rules.limits.memory_bytes, uint64_t{64} << 20);
  EXPECT_TRUE(e.ownership.soft_handoff);
  EXPECT_FALSE(e.return_freed_memory);
  EXPECT_TRUE(Options().resolve().return_freed_memory) << "returning freed memory is the default";
}

TEST(OptionsInput, AnUnknownPluginNameFromAFileNamesFileLineAndKey) {
  Options o;
  o.load_string("[engine]\nnode_id = \"n\"\n[policy]\nname = \"no_such_policy\"\n", "cfg.toml");
  Refusal r = refusal_of([&] { o.resolve_for_open(); });
  EXPECT_EQ(r.code, BERTH_E_NOT_FOUND) << r.message;
  EXPECT_NE(r.message.find("cfg.toml:4: policy.name: no policy plugin named 'no_such_policy'"), std::string::npos)
      << r.message;
}

TEST(OptionsInput, AMissingPluginFileNamesFileLineAndKey) {
  Options o;
  o.load_string("[backend]\nname = \"/nonexistent/berth_backend_x.so\"\n", "cfg.toml");
  Refusal r = refusal_of([&] { o.resolve_for_open(); });
  EXPECT_EQ(r.code, BERTH_E_NOT_FOUND) << r.message;
  EXPECT_NE(r.message.find("cfg.toml:2: backend.name: plugin '/nonexistent/berth_backend_x.so': no such file"),
            std::string::npos)
      << r.message;
}

TEST(OptionsInput, IntegerOverflowNamesTheKey) {
  expect_refused("[engine]\nnode_id = \"n\"\ncheckpoint_every = 99999999999999999999999\n",
                 "cfg.toml:3: engine.checkpoint_every: ", "");
}

TEST(OptionsInput, InvalidUtf8IsReportedOnItsLine) {
  expect_refused("[engine]\nnode_id = \"n\xff\"\n", "cfg.toml:2: invalid UTF-8", "byte 0xff at column 13");
  expect_refused("[engine]\n\n\n# \xc0\xaf\n", "cfg.toml:4: invalid UTF-8", "byte 0xc0");
}

TEST(OptionsInput, HugeValuesAreRefusedWithABoundedEcho) {
  const std::string huge(size_t{10} << 20, '7');
  const std::vector<std::string> files = {
      "[engine]\nnode_id = \"" + huge + "\"\n",
      "[engine]\nrefresh_interval = \"" + huge + "\"\n",
      "[engine]\ncheckpoint_ratio = \"" + huge + "\"\n",
      "[backend]\ncluster = \"" + huge + "\"\n",
      "[engine]\n" + huge.substr(0, 1 << 20) + "x = 1\n",
      "[" + huge.substr(0, 1 << 20) + "x]\n",
  };
  for (const std::string& toml : files) {
    Refusal r = loading(toml);
    EXPECT_EQ(r.code, BERTH_E_CONFIG) << r.message.substr(0, 200);
    EXPECT_LT(r.message.size(), 1024u) << r.message.substr(0, 200);
    EXPECT_NE(r.message.find("cfg.toml:"), std::string::npos) << r.message.substr(0, 200);
  }
  Options o;
  for (const char* key : {"engine.checkpoint_every", "engine.refresh_interval", "engine.campaign", "policy.band"}) {
    Refusal r = refusal_of([&] { o.set(key, huge, "--flag"); });
    EXPECT_EQ(r.code, BERTH_E_CONFIG) << key;
    EXPECT_LT(r.message.size(), 1024u) << key << ": " << r.message.substr(0, 200);
    EXPECT_NE(r.message.find(std::string("--flag: ") + key), std::string::npos) << r.message.substr(0, 200);
  }
}

TEST(OptionsInput, NodeIdIsBounded) {
  Options o;
  o.set("engine.node_id", std::string(kMaxNodeIdBytes, 'n'));
  Refusal r = refusal_of([&] { o.set("engine.node_id", std::string(kMaxNodeIdBytes + 1, 'n'), "--node-id"); });
  EXPECT_EQ(r.code, BERTH_E_CONFIG);
  EXPECT_NE(r.message.find("--node-id: engine.node_id: "), std::string::npos) << r.message.substr(0, 200);
  EXPECT_NE(r.message.find("longer than a node id may be (4096 bytes)"), std::string::npos) << r.message.substr(0, 200);
}

TEST(OptionsInput, NodeIdWithAnEscapedNulIsRefused) {
  expect_refused("[engine]\nnode_id = \"ab\\u0000cd\"\n", "cfg.toml:2: engine.node_id: ",
                 "control character (0x00) at byte 2");
  expect_refused("[engine]\nnode_id = \"ab\\ncd\"\n", "cfg.toml:2: engine.node_id: ", "control character (0x0a)");
}

}  // namespace
}  // namespace berth
