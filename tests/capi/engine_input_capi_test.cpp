// The engine part of the host C API against lengths and ids a careless or hostile host passes:
// every id and length is checked before any byte is read, an oversized id is refused every time,
// and errors name the function and what was wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "berth/berth.h"
#include "capi_test_support.h"

namespace {

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::kLongestId;
using berth_capi_test::text_of;
using berth_capi_test::Unreadable;

// One engine on its own memory cluster that leads, has server "s0" and has published a version.
class EngineInputCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth_capi_test::open_memory_engine("engine-input-capi",
                                                    {{"engine.node_id", "n0"},
                                                     {"engine.refresh_interval", "1h"}},
                                                    &engine_));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_join(engine_, "s0", 1.0, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_refresh(engine_, &err), BERTH_OK) << text_of(err);
  }
  void TearDown() override { berth_engine_close(engine_); }

  berth_engine* engine_ = nullptr;
};

TEST_F(EngineInputCapi, LookupWithAGarbageLengthIsRefusedBeforeTheBytesAreRead) {
  const char* owner = nullptr;
  Failure f = failure_of([&](berth_error** e) { return berth_engine_lookup(engine_, "s1", SIZE_MAX, &owner, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("berth_engine_lookup: stream_len " + std::to_string(SIZE_MAX)), std::string::npos)
      << f.message;
  EXPECT_EQ(owner, nullptr);
}

TEST_F(EngineInputCapi, EveryStreamCallChecksTheLengthBeforeReading) {
  Unreadable page;
  const char* owner = nullptr;
  const size_t len = kLongestId + 1;
  Failure lookup = failure_of([&](berth_error** e) { return berth_engine_lookup(engine_, page.data(), len, &owner, e); });
  Failure add =
      failure_of([&](berth_error** e) { return berth_engine_add_stream(engine_, page.data(), len, "", 1.0, e); });
  Failure remove = failure_of([&](berth_error** e) { return berth_engine_remove_stream(engine_, page.data(), len, e); });
  Failure report =
      failure_of([&](berth_error** e) { return berth_engine_report_load(engine_, page.data(), len, 1.0, e); });
  for (const auto& [f, function] : {std::pair{lookup, "berth_engine_lookup"}, std::pair{add, "berth_engine_add_stream"},
                                    std::pair{remove, "berth_engine_remove_stream"},
                                    std::pair{report, "berth_engine_report_load"}}) {
    EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT) << function;
    EXPECT_NE(f.message.find(std::string(function) + ": stream_len 65537 exceeds the longest stream id (65536 bytes)"),
              std::string::npos)
        << f.message;
  }
}

TEST_F(EngineInputCapi, NullStreamWithALengthIsRefused) {
  const char* owner = nullptr;
  Failure f = failure_of([&](berth_error** e) { return berth_engine_lookup(engine_, nullptr, 5, &owner, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("berth_engine_lookup: stream is NULL (stream_len 5)"), std::string::npos) << f.message;
}

TEST_F(EngineInputCapi, BatchChecksEveryLengthBeforeReadingAndNamesTheBadOne) {
  Unreadable page;
  const char* streams[] = {"a", "b", page.data()};
  const size_t lens[] = {1, 1, SIZE_MAX};
  const char* owners[3] = {nullptr, nullptr, nullptr};
  Failure f = failure_of(
      [&](berth_error** e) { return berth_engine_lookup_batch(engine_, streams, lens, 3, owners, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("berth_engine_lookup_batch: stream #2: stream_len " + std::to_string(SIZE_MAX)),
            std::string::npos)
      << f.message;
  EXPECT_STREQ(owners[0], "s0");
  EXPECT_STREQ(owners[1], "s0");
  EXPECT_EQ(owners[2], nullptr);
}

TEST_F(EngineInputCapi, AnOversizedIdIsRefusedEveryTime) {
  const std::string id(kLongestId + 1, 'x');
  for (int attempt = 0; attempt < 3; ++attempt) {
    const char* owner = nullptr;
    Failure f =
        failure_of([&](berth_error** e) { return berth_engine_lookup(engine_, id.data(), id.size(), &owner, e); });
    EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT) << "attempt " << attempt << " answered " << (owner ? owner : "");
  }
  // The longest id allowed is answered.
  const std::string longest(kLongestId, 'y');
  const char* owner = nullptr;
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_lookup(engine_, longest.data(), longest.size(), &owner, &err), BERTH_OK) << text_of(err);
  EXPECT_STREQ(owner, "s0");
}

TEST_F(EngineInputCapi, ServerIdsOverTheDocumentedLimitAreRefusedOnEveryCall) {
  constexpr size_t kLongestServerId = 4096;  // berth.h: one limit, whichever the backend
  const std::string too_long(kLongestServerId + 1, 's');
  Failure join = failure_of([&](berth_error** e) { return berth_engine_join(engine_, too_long.c_str(), 1.0, e); });
  Failure labeled = failure_of(
      [&](berth_error** e) { return berth_engine_join_labeled(engine_, too_long.c_str(), 1.0, "zone=a", e); });
  Failure leave = failure_of([&](berth_error** e) { return berth_engine_leave(engine_, too_long.c_str(), e); });
  Failure drain = failure_of([&](berth_error** e) { return berth_engine_drain(engine_, too_long.c_str(), 1, e); });
  berth_ownership* feed = nullptr;
  Failure feed_open =
      failure_of([&](berth_error** e) { return berth_ownership_open(engine_, too_long.c_str(), &feed, e); });
  EXPECT_EQ(feed, nullptr);
  for (const auto& [f, function] :
       {std::pair{join, "berth_engine_join"}, std::pair{labeled, "berth_engine_join_labeled"},
        std::pair{leave, "berth_engine_leave"}, std::pair{drain, "berth_engine_drain"},
        std::pair{feed_open, "berth_ownership_open"}}) {
    EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT) << function << ": " << f.message.substr(0, 200);
    EXPECT_EQ(f.message, std::string(function) + ": server_id is longer than a server id may be (4096 bytes)");
  }
  const std::string longest(kLongestServerId, 's');
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_join(engine_, longest.c_str(), 1.0, &err), BERTH_OK) << text_of(err);
}

TEST_F(EngineInputCapi, AnEmptyServerIdIsRefusedNamingTheFunction) {
  Failure f = failure_of([&](berth_error** e) { return berth_engine_join(engine_, "", 1.0, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.message, "berth_engine_join: server_id is empty");
}

}  // namespace
