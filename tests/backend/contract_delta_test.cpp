// Contract: snapshot deltas (ABI 1.1). A version may be published on a base, a self-contained
// version the backend then keeps fetchable (fetch_version) for as long as the latest needs it.
#include "backend/backend_contract.h"
#include "common/error.h"
#include "zookeeper/test_bytes.h"

namespace berth::test {
namespace {

using Latest = Backend::Latest;

// What fetch_version throws, or BERTH_OK with the bytes.
std::pair<int32_t, std::string> fetch_version(Backend& backend, uint64_t version) {
  try {
    return {BERTH_OK, backend.fetch_version(version)};
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
}

TEST_P(BackendContract, EveryBuiltInBackendTakesDeltas) {
  EXPECT_TRUE(open()->supports_deltas());
}

TEST_P(BackendContract, TheLatestNamesItsBaseAndTheBaseStaysFetchable) {
  auto leader = open();
  auto reader = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "checkpoint one");
  leader->publish_based(epoch, 2, 1, "delta two");
  Latest latest;
  ASSERT_TRUE(eventually([&] { return (latest = reader->fetch_latest(0)).version == 2; }));
  EXPECT_EQ(latest.base_version, 1u);
  EXPECT_EQ(latest.bytes, "delta two");
  EXPECT_EQ(reader->fetch_version(1), "checkpoint one");
  EXPECT_EQ(reader->fetch_version(2), "delta two") << "the latest is always kept";

  Latest known = reader->fetch_latest(2);
  EXPECT_EQ(known.version, 2u);
  EXPECT_EQ(known.base_version, 1u) << "the base is reported even without bytes";
  EXPECT_TRUE(known.bytes.empty());
  EXPECT_EQ(reader->fetch(1), (std::pair<uint64_t, std::string>{2, "delta two"})) << "plain fetch still works";
}

TEST_P(BackendContract, TheBaseOutlivesAnyNumberOfDeltasOnIt) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "checkpoint");
  for (uint64_t v = 2; v <= 12; ++v) leader->publish_based(epoch, v, 1, "delta " + std::to_string(v));
  auto reader = open();
  Latest latest;
  ASSERT_TRUE(eventually([&] { return (latest = reader->fetch_latest(0)).version == 12; }));
  EXPECT_EQ(latest.base_version, 1u);
  EXPECT_EQ(reader->fetch_version(1), "checkpoint") << "kept past every garbage collection";
}

TEST_P(BackendContract, ANewCheckpointReleasesTheOldBase) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "checkpoint one");
  leader->publish_based(epoch, 2, 1, "delta two");
  leader->publish_based(epoch, 3, 0, "checkpoint three");
  EXPECT_EQ(leader->fetch_latest(0).base_version, 0u);
  leader->publish_based(epoch, 4, 3, "delta four");
  Failure stale = failure_of([&] { leader->publish_based(epoch, 5, 1, "on a released base"); });
  EXPECT_EQ(stale.code, BERTH_E_NOT_FOUND) << stale.message;
  EXPECT_NE(stale.message.find('1'), std::string::npos) << "names the base: " << stale.message;
  EXPECT_EQ(leader->fetch_latest(0).version, 4u) << "nothing was published";
  for (uint64_t v = 5; v <= 14; ++v) leader->publish(epoch, v, "full " + std::to_string(v));
  EXPECT_EQ(fetch_version(*leader, 1).first, BERTH_E_NOT_FOUND) << "collected once nothing needs it";
  EXPECT_EQ(fetch_version(*leader, 14).second, "full 14");
}

TEST_P(BackendContract, ABaseMustBeASelfContainedVersionThatIsKept) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  EXPECT_EQ(failure_of([&] { leader->publish_based(epoch, 1, 7, "on nothing"); }).code, BERTH_E_NOT_FOUND);
  leader->publish(epoch, 1, "checkpoint");
  leader->publish_based(epoch, 2, 1, "delta");
  EXPECT_EQ(failure_of([&] { leader->publish_based(epoch, 3, 2, "on a delta"); }).code, BERTH_E_NOT_FOUND)
      << "deltas are on checkpoints, never on other deltas";
  EXPECT_EQ(failure_of([&] { leader->publish_based(epoch, 3, 99, "on the future"); }).code, BERTH_E_NOT_FOUND);
  EXPECT_EQ(leader->fetch_latest(0).version, 2u);
}

TEST_P(BackendContract, FetchingAVersionThatIsNotKeptIsNotFound) {
  auto a = open();
  EXPECT_EQ(fetch_version(*a, 0).first, BERTH_E_NOT_FOUND);
  EXPECT_EQ(fetch_version(*a, 1).first, BERTH_E_NOT_FOUND) << "nothing published yet";
  uint64_t epoch = lead(*a);
  a->publish(epoch, 1, "one");
  Failure missing = failure_of([&] { a->fetch_version(12345); });
  EXPECT_EQ(missing.code, BERTH_E_NOT_FOUND);
  EXPECT_NE(missing.message.find("12345"), std::string::npos) << missing.message;
}

TEST_P(BackendContract, ADeltaFromAFollowerIsFencedNotMisreported) {
  auto leader = open();
  auto follower = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "checkpoint");
  follower->campaign();
  EXPECT_EQ(failure_of([&] { follower->publish_based(epoch, 2, 1, "usurper"); }).code, BERTH_E_FENCED);
  EXPECT_EQ(leader->fetch_latest(0).version, 1u);
}

TEST_P(BackendContract, ASuccessorPublishesDeltasOnItsPredecessorsCheckpoint) {
  auto a = open();
  auto b = open();
  uint64_t epoch_a = lead(*a);
  b->campaign();
  a->publish(epoch_a, 1, "checkpoint by a");
  a->publish_based(epoch_a, 2, 1, "delta by a");
  a.reset();
  ASSERT_TRUE(eventually([&] { return b->leadership().is_leader == 1; }));
  uint64_t epoch_b = b->leadership().epoch;
  b->publish_based(epoch_b, 3, 1, "delta by b");
  auto reader = open();
  Latest latest;
  ASSERT_TRUE(eventually([&] { return (latest = reader->fetch_latest(0)).version == 3; }));
  EXPECT_EQ(latest.base_version, 1u);
  EXPECT_EQ(reader->fetch_version(1), "checkpoint by a");
}

TEST_P(BackendContract, LargeBasesAndDeltasRoundTrip) {
  auto leader = open();
  auto reader = open();
  uint64_t epoch = lead(*leader);
  // Incompressible, so ZooKeeper stores each in several 128 KiB chunks (11 and 6), and no larger:
  // the test server holds every test's data.
  const std::string base = incompressible_bytes(1300u << 10, 11), delta = incompressible_bytes(700u << 10, 12);
  leader->publish(epoch, 1, base);
  leader->publish_based(epoch, 2, 1, delta);
  Latest latest;
  ASSERT_TRUE(eventually([&] { return (latest = reader->fetch_latest(0)).version == 2; }));
  EXPECT_TRUE(latest.bytes == delta) << latest.bytes.size() << " bytes came back";
  EXPECT_TRUE(reader->fetch_version(1) == base);
}

}  // namespace
}  // namespace berth::test
