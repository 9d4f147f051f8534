// The ownership part of the host C API as an embedder meets it through libberth.so: every id and
// length is checked before its bytes are read, errors name the function and what was wrong, one
// poll per feed at a time, and the calls a host makes around a grant.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "berth/berth.h"
#include "capi_test_support.h"

namespace {

using namespace std::chrono_literals;

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::kLongestId;
using berth_capi_test::text_of;
using berth_capi_test::Unreadable;

// One engine on its own memory cluster that leads and has server "s0" joined, with s0's feed.
class OwnershipCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth_capi_test::open_memory_engine("ownership-capi",
                                                    {{"policy.name", "sticky"},
                                                     {"engine.node_id", "n0"},
                                                     {"engine.refresh_interval", "1h"},
                                                     {"engine.refresh_on_change", "true"},
                                                     {"engine.intake_flush", "2ms"},
                                                     {"engine.intake_refresh_delay", "2ms"}},
                                                    &engine_));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_join(engine_, "s0", 1.0, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_ownership_open(engine_, "s0", &feed_, &err), BERTH_OK) << text_of(err);
  }
  void TearDown() override {
    berth_ownership_close(feed_);
    berth_engine_close(engine_);
  }

  // Adds `stream` and polls until s0 acquires it; its token.
  uint64_t acquire(const std::string& stream) {
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_add_stream(engine_, stream.data(), stream.size(), "", 1.0, &err), BERTH_OK) << text_of(err);
    EXPECT_EQ(berth_engine_flush(engine_, &err), BERTH_OK) << text_of(err);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    berth_ownership_event e{};
    e.struct_size = sizeof e;
    while (std::chrono::steady_clock::now() < deadline) {
      EXPECT_EQ(berth_ownership_poll(feed_, 200, &e, &err), BERTH_OK) << text_of(err);
      if (e.kind == BERTH_OWNERSHIP_ACQUIRE && std::string(e.stream, e.stream_len) == stream) return e.token;
    }
    ADD_FAILURE() << "s0 was not granted '" << stream << "' within 10 s";
    return 0;
  }

  berth_engine* engine_ = nullptr;
  berth_ownership* feed_ = nullptr;
};

TEST_F(OwnershipCapi, AGrantIsHeldListedAndReleasedOnce) {
  const uint64_t token = acquire("orders");
  ASSERT_NE(token, 0u);
  uint64_t held_token = 0;
  EXPECT_EQ(berth_ownership_holds(feed_, "orders", 6, &held_token), 1);
  EXPECT_EQ(held_token, token);

  berth_held* held = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_held_new(feed_, &held, &err), BERTH_OK) << text_of(err);
  ASSERT_EQ(berth_held_count(held), 1u);
  const char* id = nullptr;
  size_t id_len = 0;
  uint64_t listed_token = 0;
  ASSERT_EQ(berth_held_stream(held, 0, &id, &id_len, &listed_token, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(std::string(id, id_len), "orders");
  EXPECT_EQ(listed_token, token);
  berth_held_free(held);

  ASSERT_EQ(berth_ownership_release_stream(feed_, "orders", 6, token, &err), BERTH_OK) << text_of(err);
  // Still its owner, the stream may be granted again at once: never again under the released token.
  uint64_t after = 0;
  const int32_t still = berth_ownership_holds(feed_, "orders", 6, &after);
  EXPECT_TRUE(still == 0 || after > token) << "still held under token " << after << " after releasing " << token;
  Failure again =
      failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, "orders", 6, token, e); });
  EXPECT_EQ(again.code, BERTH_E_STATE);
  EXPECT_NE(again.message.find("berth_ownership_release_stream: "), std::string::npos) << again.message;
  EXPECT_NE(again.message.find("'s0'"), std::string::npos) << again.message;
  EXPECT_NE(again.message.find("'orders'"), std::string::npos) << again.message;
  EXPECT_NE(again.message.find(std::to_string(token)), std::string::npos) << again.message;
}

TEST_F(OwnershipCapi, ReleaseRefusesANullStreamNamingItsLength) {
  Failure f = failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, nullptr, 5, 1, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.message, "berth_ownership_release_stream: stream is NULL (stream_len 5)");
}

TEST_F(OwnershipCapi, ReleaseRefusesAnEmptyStream) {
  Failure f = failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, "", 0, 1, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.message, "berth_ownership_release_stream: stream is empty");
  Failure null_empty =
      failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, nullptr, 0, 1, e); });
  EXPECT_EQ(null_empty.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(null_empty.message, "berth_ownership_release_stream: stream is NULL (stream_len 0)");
}

// The id lies on a page that cannot be read: a length check made after the bytes were read (or
// none at all) ends this test with SIGSEGV instead of an error.
TEST_F(OwnershipCapi, ReleaseRefusesAnOverlongIdWithoutReadingIt) {
  Unreadable page;
  Failure f = failure_of(
      [&](berth_error** e) { return berth_ownership_release_stream(feed_, page.data(), kLongestId + 1, 1, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.message, "berth_ownership_release_stream: stream_len 65537 exceeds the longest stream id (65536 bytes)");
  Failure garbage =
      failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, page.data(), SIZE_MAX, 1, e); });
  EXPECT_EQ(garbage.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(garbage.message.find("stream_len " + std::to_string(SIZE_MAX)), std::string::npos) << garbage.message;
}

TEST_F(OwnershipCapi, HoldsAnswersNoForWhatItRefusesWithoutReadingIt) {
  Unreadable page;
  uint64_t token = 77;
  EXPECT_EQ(berth_ownership_holds(feed_, page.data(), kLongestId + 1, &token), 0);
  EXPECT_EQ(berth_ownership_holds(feed_, page.data(), SIZE_MAX, &token), 0);
  EXPECT_EQ(berth_ownership_holds(feed_, nullptr, 5, &token), 0);
  EXPECT_EQ(berth_ownership_holds(feed_, "", 0, &token), 0);
  EXPECT_EQ(berth_ownership_holds(nullptr, "orders", 6, &token), 0);
  EXPECT_EQ(token, 77u) << "a refused id wrote a token";
}

TEST_F(OwnershipCapi, ReleaseOfAStreamNotHeldNamesServerStreamAndToken) {
  Failure f =
      failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, "never-granted", 13, 42, e); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  EXPECT_EQ(f.message,
            "berth_ownership_release_stream: server 's0' does not hold stream 'never-granted' under token 42");
}

TEST_F(OwnershipCapi, ReleaseAfterTheEngineClosedNamesTheServer) {
  berth_engine_close(engine_);
  engine_ = nullptr;
  Failure f = failure_of([&](berth_error** e) { return berth_ownership_release_stream(feed_, "orders", 6, 1, e); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  EXPECT_NE(f.message.find("berth_ownership_release_stream: server 's0': the engine was closed"), std::string::npos)
      << f.message;
}

TEST_F(OwnershipCapi, PollAfterTheEngineClosedNamesTheServer) {
  berth_engine_close(engine_);
  engine_ = nullptr;
  berth_ownership_event e{};
  e.struct_size = sizeof e;
  Failure f = failure_of([&](berth_error** err) { return berth_ownership_poll(feed_, 0, &e, err); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  EXPECT_NE(f.message.find("server 's0'"), std::string::npos) << f.message;
}

TEST_F(OwnershipCapi, PollRefusesAnUnsetStructSize) {
  berth_ownership_event e{};
  Failure f = failure_of([&](berth_error** err) { return berth_ownership_poll(feed_, 0, &e, err); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.message, "berth_ownership_poll: out->struct_size is not set");
}

// The event's stream lives in the feed until its next poll: a second poll at the same time would
// overwrite the bytes the first caller is about to read. It is refused instead.
TEST_F(OwnershipCapi, ASecondConcurrentPollOfOneFeedIsRefused) {
  std::atomic<bool> waiting_done{false};
  std::atomic<bool> main_refused{false};
  int32_t waiting_rc = -1;
  std::thread waiter([&] {
    berth_ownership_event e{};
    e.struct_size = sizeof e;
    // The short polls below may hold the feed at the moment this one starts: it tries again
    // until it is the one waiting.
    do {
      waiting_rc = berth_ownership_poll(feed_, 1500, &e, nullptr);
    } while (waiting_rc == BERTH_E_STATE && !main_refused.load());
    waiting_done = true;
  });
  Failure refused;
  berth_ownership_event e{};
  e.struct_size = sizeof e;
  while (!waiting_done.load()) {
    refused = failure_of([&](berth_error** err) { return berth_ownership_poll(feed_, 0, &e, err); });
    if (refused.code != BERTH_OK) {
      main_refused = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  waiter.join();
  EXPECT_EQ(waiting_rc, BERTH_OK);
  EXPECT_EQ(refused.code, BERTH_E_STATE) << "no poll was refused while another of the same feed waited";
  EXPECT_NE(refused.message.find("another poll of the feed of server 's0' is running"), std::string::npos)
      << refused.message;
  EXPECT_EQ(failure_of([&](berth_error** err) { return berth_ownership_poll(feed_, 0, &e, err); }).code, BERTH_OK)
      << "a poll after the other returned is still refused";
}

// The one-poll-at-a-time rule is per feed: while the first feed's poll waits in the library,
// a poll of the second returns at once (neither refused nor queued behind it), and the first poll
// is still waiting afterwards, until the event it then receives ends it.
TEST_F(OwnershipCapi, TwoFeedsOfOneServerMayPollAtOnce) {
  berth_ownership* second = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_ownership_open(engine_, "s0", &second, &err), BERTH_OK) << text_of(err);
  std::atomic<bool> waiting_done{false};
  int32_t waiting_rc = -1;
  int32_t waiting_kind = -1;
  std::string waiting_stream;
  std::thread waiter([&] {
    berth_ownership_event e{};
    e.struct_size = sizeof e;
    waiting_rc = berth_ownership_poll(feed_, 10000, &e, nullptr);
    waiting_kind = e.kind;
    if (e.stream != nullptr) waiting_stream.assign(e.stream, e.stream_len);
    waiting_done = true;
  });
  std::this_thread::sleep_for(100ms);
  ASSERT_FALSE(waiting_done.load()) << "the first poll returned before any event (rc " << waiting_rc << ")";
  berth_ownership_event e{};
  e.struct_size = sizeof e;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(berth_ownership_poll(second, 0, &e, &err), BERTH_OK) << text_of(err);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.kind, BERTH_OWNERSHIP_NONE);
  EXPECT_FALSE(waiting_done.load()) << "the second feed's poll returned only after the first one";
  EXPECT_LT(took, 1s) << "the second feed's poll waited for the first one";

  // The first poll was a live wait all along: the next event ends it.
  EXPECT_EQ(berth_engine_add_stream(engine_, "wakes", 5, "", 1.0, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_engine_flush(engine_, &err), BERTH_OK) << text_of(err);
  waiter.join();
  EXPECT_EQ(waiting_rc, BERTH_OK);
  EXPECT_EQ(waiting_kind, BERTH_OWNERSHIP_ACQUIRE);
  EXPECT_EQ(waiting_stream, "wakes");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 9s) << "the first poll ended at its timeout, not with the event";
  berth_ownership_close(second);
}

TEST_F(OwnershipCapi, OpenOfAServerNotJoinedNamesFunctionAndServer) {
  berth_ownership* other = nullptr;
  Failure f = failure_of([&](berth_error** e) { return berth_ownership_open(engine_, "nobody", &other, e); });
  EXPECT_EQ(f.code, BERTH_E_NOT_FOUND);
  EXPECT_EQ(other, nullptr);
  EXPECT_NE(f.message.find("berth_ownership_open: "), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("'nobody'"), std::string::npos) << f.message;
  Failure null_server = failure_of([&](berth_error** e) { return berth_ownership_open(engine_, nullptr, &other, e); });
  EXPECT_EQ(null_server.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(null_server.message, "berth_ownership_open: server_id is NULL");
}

TEST_F(OwnershipCapi, HeldCopiesAreCheckedAndFreedSafely) {
  Failure no_out = failure_of([&](berth_error** e) { return berth_held_new(feed_, nullptr, e); });
  EXPECT_EQ(no_out.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(no_out.message, "berth_held_new: out is NULL");
  berth_held* held = reinterpret_cast<berth_held*>(uintptr_t{1});
  Failure no_feed = failure_of([&](berth_error** e) { return berth_held_new(nullptr, &held, e); });
  EXPECT_EQ(no_feed.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(held, nullptr) << "*out is not cleared on failure";

  berth_error* err = nullptr;
  ASSERT_EQ(berth_held_new(feed_, &held, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_held_count(held), 0u);
  Failure past = failure_of([&](berth_error** e) { return berth_held_stream(held, 0, nullptr, nullptr, nullptr, e); });
  EXPECT_EQ(past.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(past.message, "berth_held_stream: index 0 of 0");
  berth_held_free(held);
  EXPECT_EQ(berth_held_count(nullptr), 0u);
  berth_held_free(nullptr);
}

TEST_F(OwnershipCapi, DrainChecksItsArgumentsAndNamesAnUnknownServer) {
  Failure two = failure_of([&](berth_error** e) { return berth_engine_drain(engine_, "s0", 2, e); });
  EXPECT_EQ(two.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(two.message, "berth_engine_drain: draining must be 0 or 1");
  Failure unknown = failure_of([&](berth_error** e) { return berth_engine_drain(engine_, "nobody", 1, e); });
  EXPECT_EQ(unknown.code, BERTH_E_NOT_FOUND);
  EXPECT_NE(unknown.message.find("berth_engine_drain: "), std::string::npos) << unknown.message;
  EXPECT_NE(unknown.message.find("'nobody'"), std::string::npos) << unknown.message;
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_drain(engine_, "s0", 1, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_engine_drain(engine_, "s0", 0, &err), BERTH_OK) << text_of(err);
}

}  // namespace
