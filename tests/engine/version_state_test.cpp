// VersionState: the invariants its header states (served <= latest_seen; publishing is 0 or
// above served) and its waits.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
  v.begin_publishing(4);
  EXPECT_EQ(v.known(), 4u) << "a version being published is not fetched back";
  v.served_now(4);
  EXPECT_EQ(v.served(), 4u);
  EXPECT_EQ(v.publishing(), 0u) << "publishing stays above served or goes to 0";
  EXPECT_EQ(v.latest_seen(), 4u) << "served <= latest_seen";
  v.saw(2);
  EXPECT_EQ(v.latest_seen(), 4u) << "latest_seen never goes back";
  v.begin_publishing(5);
  v.end_publishing();
  EXPECT_EQ(v.publishing(), 0u);
  EXPECT_EQ(v.known(), 4u);
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
