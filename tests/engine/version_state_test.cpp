// VersionState: the invariants its header states (served <= latest_seen; publishing is 0 or
// above served) and its waits.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "engine/version_state.h"

namespace berth {
namespace {

using namespace std::chrono_literals;

TEST(VersionState, ServingAVersionRaisesLatestSeenAndEndsItsPublication) {
  VersionState v;
  EXPECT_EQ(v.known(), 0u);
  v.saw(3);
  EXPECT_EQ(v.latest_seen(), 3u);
  EXPECT_EQ(v.served(), 0u) << "announced is not served";
  ASSERT_TRUE(v.begin_publishing(4));
  EXPECT_EQ(v.known(), 4u) << "a version being published is not fetched back";
  v.served_now(4);
  EXPECT_EQ(v.served(), 4u);
  EXPECT_EQ(v.publishing(), 0u) << "publishing stays above served or goes to 0";
  EXPECT_EQ(v.latest_seen(), 4u) << "served <= latest_seen";
  v.saw(2);
  EXPECT_EQ(v.latest_seen(), 4u) << "latest_seen never goes back";
  ASSERT_TRUE(v.begin_publishing(5));
  v.end_publishing(5);
  EXPECT_EQ(v.publishing(), 0u);
  EXPECT_EQ(v.known(), 4u);
}

TEST(VersionState, PublishingAVersionNotAboveServedIsRefused) {
  VersionState v;
  v.served_now(4);
  EXPECT_FALSE(v.begin_publishing(4)) << "the version served";
  EXPECT_FALSE(v.begin_publishing(3)) << "a version below the one served";
  EXPECT_EQ(v.publishing(), 0u) << "a refused publication leaves nothing behind";
  ASSERT_TRUE(v.begin_publishing(5));
  v.served_now(6);  // another node's newer version, served while 5 was being published
  EXPECT_EQ(v.publishing(), 0u) << "publishing stays above served or goes to 0";
  EXPECT_FALSE(v.begin_publishing(5)) << "5 is below served now";
}

TEST(VersionState, EndingAPublicationLeavesAnotherOneAlone) {
  VersionState v;
  ASSERT_TRUE(v.begin_publishing(7));
  v.end_publishing(6);
  EXPECT_EQ(v.publishing(), 7u);
  v.end_publishing(7);
  EXPECT_EQ(v.publishing(), 0u);
}

TEST(VersionState, ServedNeverGoesDown) {
  VersionState v;
  EXPECT_TRUE(v.served_now(4));
  uint64_t generation = v.generation();
  EXPECT_FALSE(v.served_now(3)) << "an older version";
  EXPECT_FALSE(v.served_now(4)) << "the same version again";
  EXPECT_EQ(v.served(), 4u);
  EXPECT_EQ(v.generation(), generation) << "nothing changed, nothing to report";
  ASSERT_TRUE(v.begin_publishing(6));
  EXPECT_FALSE(v.served_now(2));
  EXPECT_EQ(v.publishing(), 6u) << "an ignored version does not end a publication";
  EXPECT_TRUE(v.served_now(5));
  EXPECT_EQ(v.publishing(), 6u) << "still above served";
}

// Reads served first: publishing and latest_seen read after it must still be consistent with
// it, since served only grows and the other two are set against it under the lock.
::testing::AssertionResult invariants_hold(const VersionState& v, uint64_t& last_served) {
  uint64_t served = v.served();
  uint64_t publishing = v.publishing();
  uint64_t latest = v.latest_seen();
  if (served < last_served)
    return ::testing::AssertionFailure() << "served went down from " << last_served << " to " << served;
  last_served = served;
  if (publishing != 0 && publishing <= served)
    return ::testing::AssertionFailure() << "publishing " << publishing << " is not above served " << served;
  if (latest < served) return ::testing::AssertionFailure() << "latest_seen " << latest << " is below served " << served;
  return ::testing::AssertionSuccess();
}

TEST(VersionState, InvariantsHoldWhileThreadsRaceToServeAndPublish) {
  VersionState v;
  constexpr uint64_t kTop = 50000;
  std::atomic<uint64_t> violations{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<int> ready{0};
  std::mutex first_mutex;
  std::string first;  // the first violation, word for word
  auto note = [&](const ::testing::AssertionResult& r) {
    if (violations.fetch_add(1) != 0) return;
    std::lock_guard lock(first_mutex);
    first = r.message();
  };
  auto start_together = [&] {
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
  };
  // The publisher publishes the version after the newest it knows and serves it (or fails, one
  // time in three); the follower serves versions near the publisher's, now just ahead of it (another
  // node's newer publication), now behind it (a late one), so each overtakes the other.
  std::thread publisher([&] {
    start_together();
    uint64_t last = 0;
    for (uint64_t i = 1; i <= kTop; ++i) {
      const uint64_t version = v.latest_seen() + 1;
      if (i % 4 == 0) std::this_thread::yield();  // building takes a while: the follower may overtake
      if (v.begin_publishing(version)) {
        if (auto r = invariants_hold(v, last); !r) note(r);
        if (i % 3 == 0) {
          v.end_publishing(version);
        } else {
          v.served_now(version);
        }
      } else {
        ++refused;
      }
      if (auto r = invariants_hold(v, last); !r) note(r);
    }
  });
  std::thread follower([&] {
    start_together();
    uint64_t last = 0;
    for (uint64_t i = 0; i < kTop; ++i) {
      if (i % 4 == 0) std::this_thread::yield();
      const uint64_t near = v.latest_seen();
      v.served_now(i % 2 == 0 ? near + 1 : (near > 2 ? near - 2 : 1));
      if (auto r = invariants_hold(v, last); !r) note(r);
      (void)v.known();
    }
  });
  publisher.join();
  follower.join();
  uint64_t last = 0;
  EXPECT_EQ(violations.load(), 0u) << "first: " << first;
  EXPECT_TRUE(invariants_hold(v, last));
  EXPECT_EQ(v.publishing(), 0u) << "every publication ended, served or failed";
  EXPECT_EQ(v.served(), v.latest_seen()) << "nothing announced here that was not served";
  std::printf("[ figures  ] %llu of %llu publications refused: a newer version was served first\n",
              static_cast<unsigned long long>(refused.load()), static_cast<unsigned long long>(kTop));
}

TEST(VersionState, WaitsEndWhenTheVersionIsServedOrTheTimeoutPasses) {
  VersionState v;
  EXPECT_FALSE(v.wait_served(1, 5ms));
  std::thread server([&] {
    std::this_thread::sleep_for(10ms);
    v.served_now(2);
  });
  EXPECT_TRUE(v.wait_served(2, 30s));
  server.join();
  uint64_t seen = v.generation();
  std::atomic<bool> cancel{false};
  EXPECT_EQ(v.wait_change(seen, std::chrono::steady_clock::now() + 5ms, cancel), seen) << "nothing changed";
  std::thread closer([&] {
    std::this_thread::sleep_for(10ms);
    cancel = true;
    v.notify_change();
  });
  EXPECT_NE(v.wait_change(seen, std::chrono::steady_clock::now() + 30s, cancel), seen);
  closer.join();
}

}  // namespace
}  // namespace berth
