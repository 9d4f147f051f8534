// The leader's record keys for keyed intake: what is applied once, what waits to be settled,
// and what is never applied again.
#include "engine/intake_keys.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(IntakeKeys, ARecordIsTakenOnceUntilItsChangesAreDropped) {
  IntakeKeys keys;
  EXPECT_TRUE(keys.take("1"));
  EXPECT_TRUE(keys.take("2"));
  EXPECT_FALSE(keys.take("1")) << "read again by the next refresh: already in the pending changes";
  EXPECT_EQ(keys.taken(), (std::vector<std::string>{"1", "2"}));
  keys.forget_taken();  // leadership lost: the changes went, the records are pending in the backend
  EXPECT_FALSE(keys.has_taken());
  EXPECT_TRUE(keys.take("1")) << "taken again when this node leads again";
}

TEST(IntakeKeys, PublishedRecordsAreNotTakenAgainUntilSettled) {
  IntakeKeys keys;
  keys.take("1");
  keys.take("2");
  keys.published();
  EXPECT_EQ(keys.taken_count(), 0u);
  EXPECT_EQ(keys.unsettled(), (std::vector<std::string>{"1", "2"})) << "oldest first, as they are settled";
  EXPECT_FALSE(keys.take("2")) << "its settle failed: still in the backend, but already published";
  EXPECT_TRUE(keys.take("3"));
  keys.forget_taken();
  EXPECT_EQ(keys.unsettled().size(), 2u) << "dropping pending changes keeps what was published";
  keys.settled();
  EXPECT_TRUE(keys.unsettled().empty());
  EXPECT_TRUE(keys.take("2")) << "once settled, a key is forgotten: the backend no longer has it";
}

TEST(IntakeKeys, IgnoredRecordsAreNeverTakenAgain) {
  IntakeKeys keys;
  keys.ignore("bad");
  EXPECT_FALSE(keys.take("bad"));
  keys.forget_taken();
  keys.settled();
  EXPECT_FALSE(keys.take("bad"));
}

}  // namespace
}  // namespace berth
