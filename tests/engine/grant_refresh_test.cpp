// The grant-only refresh (engine/grant_refresh.h): releases become grants to the base's owners,
// and nothing else changes.
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/grant_refresh.h"
#include "ownership/grant_step_fixture.h"

namespace berth {
namespace {

using ownership::Release;
using ownership::testing::Member;

// Version 4 on servers a, b: s1 and s2 moved to b but a still holds them (asked to release),
// s3 is a's and held by it.
std::shared_ptr<const Snapshot> base_version(std::shared_ptr<ServerNames> names) {
  auto base = std::make_shared<Snapshot>();
  base->meta.version = 4;
  base->meta.policy = "sticky";
  base->meta.rules_hash = 77;
  base->servers = ownership::testing::server_columns({{"a", 1}, {"b", 1}});
  base->streams = ownership::testing::stream_columns({"s1", "s2", "s3"});
  base->load = {1.0f, 2.0f, 3.0f};
  base->owner = {1, 1, 0};
  base->holder = {0, 0, 0};
  base->token = {3, 3, 2};
  finish_snapshot(*base, nullptr, std::move(names));
  return base;
}

Provenance meta_of(uint64_t version) {
  Provenance meta;
  meta.version = version;
  meta.epoch = 9;
  meta.leader = "leader";
  return meta;
}

TEST(GrantRefresh, AReleasedStreamGoesToItsOwnerUnderTheNewVersionAndNothingElseChanges) {
  auto names = std::make_shared<ServerNames>();
  auto base = base_version(names);
  RefreshResult r = compute_grant_refresh(*base, {{"s1", "a", 3}}, nullptr, meta_of(5), names);
  const Snapshot& next = *r.snapshot;
  EXPECT_EQ(next.meta.version, 5u);
  EXPECT_EQ(next.meta.policy, "sticky");
  EXPECT_EQ(next.meta.rules_hash, 77u);
  EXPECT_EQ(next.owner, base->owner);
  EXPECT_EQ(next.load, base->load);
  EXPECT_EQ(next.streams, base->streams);
  EXPECT_EQ(next.servers, base->servers);
  EXPECT_EQ(next.table, base->table);  // no owner changed: the lookup table is shared
  EXPECT_EQ(next.holder, (std::vector<uint32_t>{1, 0, 0}));
  EXPECT_EQ(next.token, (std::vector<uint64_t>{5, 3, 2}));
  EXPECT_EQ(r.ownership.handoffs_completed, 1u);
  EXPECT_EQ(r.ownership.releasing, 1u);
}

TEST(GrantRefresh, AReleaseOfAnEarlierGrantOrByAnotherServerGrantsNothing) {
  auto names = std::make_shared<ServerNames>();
  auto base = base_version(names);
  RefreshResult r = compute_grant_refresh(*base, {{"s1", "a", 2}, {"s2", "b", 3}, {"gone", "a", 3}}, nullptr,
                                          meta_of(5), names);
  EXPECT_EQ(r.snapshot->holder, base->holder);
  EXPECT_EQ(r.snapshot->token, base->token);
  EXPECT_EQ(r.ownership.granted, 0u);
  EXPECT_EQ(r.ownership.releases_ignored, 3u);
}

TEST(GrantRefresh, AReleasedStreamItsHolderStillOwnsIsHeldByNobodyThenGrantedBackUnderTheNewToken) {
  auto names = std::make_shared<ServerNames>();
  auto base = base_version(names);
  RefreshResult r = compute_grant_refresh(*base, {{"s3", "a", 2}}, nullptr, meta_of(6), names);
  EXPECT_EQ(r.snapshot->holder[2], 0u);
  EXPECT_EQ(r.snapshot->token[2], 6u);
}

TEST(GrantRefresh, AVersionNotAboveTheBaseIsRefused) {
  auto names = std::make_shared<ServerNames>();
  auto base = base_version(names);
  try {
    compute_grant_refresh(*base, {{"s1", "a", 3}}, nullptr, meta_of(4), names);
    FAIL() << "a grant under the base's own version was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INTERNAL);
  }
}

}  // namespace
}  // namespace berth
