// What a host sees when a plugin fails with a code: codes berth/result_codes.h defines pass on
// unchanged, anything else becomes BERTH_E_PLUGIN naming the plugin and the code it returned.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <string>

#include "berth/berth.h"

namespace {

std::string text_of(berth_error* err) {
  std::string text = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return text;
}

struct Failure {
  int32_t code = BERTH_OK;
  std::string message;
};

// Opens a leading engine whose policy is the made_up_code fixture failing with `code`, joins a
// server and a stream and refreshes: what the refresh returned.
Failure refresh_failing_with(const std::string& code) {
  static std::atomic<int> runs{0};
  const std::string cluster = "plugin-code-capi-" + std::to_string(::getpid()) + "-" + std::to_string(runs++);
  berth_options* o = nullptr;
  berth_error* err = nullptr;
  Failure f;
  EXPECT_EQ(berth_options_new(&o, &err), BERTH_OK) << text_of(err);
  for (const auto& [key, value] :
       {std::pair<const char*, std::string>{"backend.name", "memory"},
        {"backend.cluster", cluster},
        {"policy.name", std::string(BERTH_FIXTURE_PLUGIN_DIR) + "/made_up_code.so"},
        {"policy.code", code},
        {"engine.node_id", "n0"},
        {"engine.refresh_on_change", "false"},
        {"engine.refresh_interval", "1h"}})
    EXPECT_EQ(berth_options_set(o, key, value.c_str(), &err), BERTH_OK) << key << ": " << text_of(err);
  berth_engine* engine = nullptr;
  int32_t rc = berth_engine_open(o, &engine, &err);
  berth_options_free(o);
  EXPECT_EQ(rc, BERTH_OK) << text_of(err);
  if (rc != BERTH_OK) return f;
  EXPECT_EQ(berth_engine_join(engine, "s0", 1.0, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_engine_add_stream(engine, "orders", 6, "", 1.0, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_engine_flush(engine, &err), BERTH_OK) << text_of(err);
  f.code = berth_engine_refresh(engine, &err);
  f.message = text_of(err);
  berth_engine_close(engine);
  return f;
}

TEST(PluginCodeCapi, AnUndefinedCodeBecomesPluginErrorNamingPluginAndCode) {
  Failure f = refresh_failing_with("9999");
  EXPECT_EQ(f.code, BERTH_E_PLUGIN) << f.message;
  EXPECT_NE(f.message.find("policy 'made_up_code'"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("code 9999"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("fixture: rebalance gave up"), std::string::npos) << f.message;
}

TEST(PluginCodeCapi, NegativeAndJustPastTheLastCodesBecomePluginErrors) {
  for (const std::string code : {"-1", "13", "2147483647"}) {
    Failure f = refresh_failing_with(code);
    EXPECT_EQ(f.code, BERTH_E_PLUGIN) << code << ": " << f.message;
    EXPECT_NE(f.message.find("code " + code), std::string::npos) << f.message;
  }
}

TEST(PluginCodeCapi, ADefinedCodePassesOnUnchanged) {
  Failure f = refresh_failing_with(std::to_string(BERTH_E_NO_SERVERS));
  EXPECT_EQ(f.code, BERTH_E_NO_SERVERS) << f.message;
  EXPECT_NE(f.message.find("fixture: rebalance gave up"), std::string::npos) << f.message;
}

}  // namespace
