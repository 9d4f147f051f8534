// The rules every node shares through libberth.so: push, wait, and reading what a snapshot
// carries; arguments checked before use, errors naming the function and the problems.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "berth/berth.h"
#include "capi_test_support.h"

namespace {

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::text_of;
using berth_capi_test::Unreadable;

const std::string kZoneA = "tenant('acme', function(t) t:require { zone = 'a' } end)\n";

// One engine on its own memory cluster that leads, with servers in zones a and b and acme's
// streams, and has published a version.
class RulesCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth_capi_test::open_memory_engine("rules-capi",
                                                    {{"engine.node_id", "n0"},
                                                     {"engine.intake_flush", "2ms"},
                                                     {"engine.refresh_interval", "1h"}},
                                                    &engine_));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_join_labeled(engine_, "srv-a", 1.0, "zone=a", &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_join_labeled(engine_, "srv-b", 1.0, "zone=b", &err), BERTH_OK) << text_of(err);
    for (int i = 0; i < 10; ++i) {
      std::string id = "acme-" + std::to_string(i);
      ASSERT_EQ(berth_engine_add_stream(engine_, id.data(), id.size(), "acme", 1.0, &err), BERTH_OK) << text_of(err);
    }
    ASSERT_EQ(berth_engine_flush(engine_, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_refresh(engine_, &err), BERTH_OK) << text_of(err);
  }
  void TearDown() override { berth_engine_close(engine_); }

  // The shared rules the served snapshot carries.
  void rules_in_force(uint64_t& version, uint64_t& hash, std::string& script) {
    berth_snapshot* s = nullptr;
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_snapshot(engine_, &s, &err), BERTH_OK) << text_of(err);
    const char* text = nullptr;
    size_t len = 0;
    ASSERT_EQ(berth_snapshot_rules(s, &version, &hash, &text, &len, &err), BERTH_OK) << text_of(err);
    script.assign(text, len);
    berth_snapshot_release(s);
  }

  berth_engine* engine_ = nullptr;
};

TEST_F(RulesCapi, APushComesIntoForceAndTheSnapshotCarriesIt) {
  uint64_t version = 99, hash = 99;
  std::string script = "x";
  rules_in_force(version, hash, script);
  EXPECT_EQ(version, 0u);
  EXPECT_EQ(hash, 0u);
  EXPECT_EQ(script, "");

  uint64_t replaces = 99, pushed = 0;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_rules_push(engine_, kZoneA.data(), kZoneA.size(), &replaces, &pushed, &err), BERTH_OK)
      << text_of(err);
  EXPECT_EQ(replaces, 0u);
  ASSERT_EQ(berth_engine_refresh(engine_, &err), BERTH_OK) << text_of(err);
  uint64_t waited = 0;
  ASSERT_EQ(berth_engine_rules_wait(engine_, pushed, 5000, &waited, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(waited, 1u);
  rules_in_force(version, hash, script);
  EXPECT_EQ(version, 1u);
  EXPECT_EQ(hash, pushed);
  EXPECT_EQ(script, kZoneA);
  for (int i = 0; i < 10; ++i) {
    std::string id = "acme-" + std::to_string(i);
    const char* owner = nullptr;
    ASSERT_EQ(berth_engine_lookup(engine_, id.data(), id.size(), &owner, &err), BERTH_OK) << text_of(err);
    EXPECT_STREQ(owner, "srv-a") << id;
  }
}

TEST_F(RulesCapi, ABadScriptIsRefusedWithItsProblemsAndNothingChanges) {
  const std::string bad = "tenant('acme', function(t) t:require('srv-nope') end)";
  Failure f = failure_of([&](berth_error** e) { return berth_engine_rules_push(engine_, bad.data(), bad.size(), nullptr, nullptr, e); });
  EXPECT_EQ(f.code, BERTH_E_CONFIG);
  EXPECT_NE(f.message.find("srv-nope"), std::string::npos) << f.message;
  Failure syntax = failure_of([&](berth_error** e) { return berth_engine_rules_push(engine_, "tenant(", 7, nullptr, nullptr, e); });
  EXPECT_EQ(syntax.code, BERTH_E_CONFIG);
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_refresh(engine_, &err), BERTH_OK) << text_of(err);
  uint64_t version = 99, hash = 99;
  std::string script;
  rules_in_force(version, hash, script);
  EXPECT_EQ(version, 0u);
  Failure wait = failure_of([&](berth_error** e) { return berth_engine_rules_wait(engine_, 12345, 20, nullptr, e); });
  EXPECT_EQ(wait.code, BERTH_E_TIMEOUT);
}

TEST_F(RulesCapi, ArgumentsAreCheckedBeforeUse) {
  Unreadable page;
  Failure too_long = failure_of([&](berth_error** e) {
    return berth_engine_rules_push(engine_, page.data(), (size_t{64} << 10) + 1, nullptr, nullptr, e);
  });
  EXPECT_EQ(too_long.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(too_long.message.find("berth_engine_rules_push: the script has 65537 bytes"), std::string::npos)
      << too_long.message;
  Failure null_script = failure_of([&](berth_error** e) { return berth_engine_rules_push(engine_, nullptr, 3, nullptr, nullptr, e); });
  EXPECT_EQ(null_script.code, BERTH_E_INVALID_ARGUMENT);
  Failure empty = failure_of([&](berth_error** e) { return berth_engine_rules_push(engine_, "x", 0, nullptr, nullptr, e); });
  EXPECT_EQ(empty.code, BERTH_E_INVALID_ARGUMENT);
  Failure no_engine = failure_of([&](berth_error** e) { return berth_engine_rules_push(nullptr, "x", 1, nullptr, nullptr, e); });
  EXPECT_EQ(no_engine.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(no_engine.message.find("berth_engine_rules_push: engine is NULL"), std::string::npos);
  Failure no_snapshot = failure_of([&](berth_error** e) { return berth_snapshot_rules(nullptr, nullptr, nullptr, nullptr, nullptr, e); });
  EXPECT_EQ(no_snapshot.code, BERTH_E_INVALID_ARGUMENT);
}

}  // namespace
