// The grant step grants streams only to servers a host serves (ServerColumns::serving): a
// server that is only routed to holds nothing, waits for nothing and counts as no unheld stream.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "ownership/grant_step.h"
#include "ownership/grant_step_fixture.h"

namespace berth::ownership {
namespace {

// Servers a and b (a served; b served when `b_serves`), streams s1 and s2 with these owners.
std::shared_ptr<Snapshot> version(uint64_t v, bool b_serves, std::vector<uint32_t> owners,
                                  std::shared_ptr<const StreamColumns> streams) {
  auto servers = std::make_shared<ServerColumns>(*testing::server_columns({{"a", 1}, {"b", 1}}));
  servers->serving = {1, static_cast<uint8_t>(b_serves ? 1 : 0)};
  auto s = std::make_shared<Snapshot>();
  s->meta.version = v;
  s->servers = std::move(servers);
  s->streams = std::move(streams);
  s->owner = std::move(owners);
  s->load.assign(s->owner.size(), 1.0f);
  return s;
}

TEST(GrantStepServing, AServerNobodyServesIsGrantedNothingAndItsStreamsAreNotCountedUnheld) {
  auto names = std::make_shared<ServerNames>();
  auto streams = testing::stream_columns({"s1", "s2"});
  auto v1 = version(1, false, {0, 1}, streams);
  StepCounts c1 = assign_holders(nullptr, *v1, {});
  finish_snapshot(*v1, nullptr, names);
  EXPECT_EQ(v1->holder[0], 0u);
  EXPECT_EQ(v1->token[0], 1u);
  EXPECT_EQ(v1->holder[1], BERTH_NO_SERVER) << "b is only routed to: nothing to hold";
  EXPECT_EQ(v1->token[1], 0u);
  EXPECT_EQ(c1.granted, 1u);
  EXPECT_EQ(c1.unheld, 0u) << "a stream of a server nobody serves waits for no one";

  // s1 moves to b: a still holds it and is asked to release; once it has, nobody is granted it.
  auto v2 = version(2, false, {1, 1}, streams);
  StepCounts c2 = assign_holders(v1.get(), *v2, {});
  finish_snapshot(*v2, nullptr, names, v1.get());
  EXPECT_EQ(v2->holder[0], 0u);
  EXPECT_EQ(c2.handoffs_started, 1u);
  EXPECT_EQ(c2.releasing, 1u);
  auto v3 = version(3, false, {1, 1}, streams);
  StepCounts c3 = assign_holders(v2.get(), *v3, {{"s1", "a", 1}});
  finish_snapshot(*v3, nullptr, names, v2.get());
  EXPECT_EQ(v3->holder[0], BERTH_NO_SERVER);
  EXPECT_EQ(c3.granted, 0u);
  EXPECT_EQ(c3.unheld, 0u);

  // Once a host serves b, both its streams are granted to it.
  auto v4 = version(4, true, {1, 1}, streams);
  StepCounts c4 = assign_holders(v3.get(), *v4, {});
  EXPECT_EQ(v4->holder[0], 1u);
  EXPECT_EQ(v4->holder[1], 1u);
  EXPECT_EQ(v4->token[0], 4u);
  EXPECT_EQ(c4.granted, 2u);
}

TEST(GrantStepServing, ColumnsWithoutServingFlagsServeEveryServer) {
  auto v1 = version(1, false, {0, 1}, testing::stream_columns({"s1", "s2"}));
  auto servers = std::make_shared<ServerColumns>(*v1->servers);
  servers->serving.clear();
  v1->servers = std::move(servers);
  StepCounts c = assign_holders(nullptr, *v1, {});
  EXPECT_EQ(v1->holder[1], 1u);
  EXPECT_EQ(c.granted, 2u);
}

}  // namespace
}  // namespace berth::ownership
