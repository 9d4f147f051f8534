// The leader's step for servers an operator manages: records applied in order, bad ones refused
// and counted, entries merged over the members.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "berth/abi.h"
#include "catalogue/operator_servers_step.h"
#include "common/error.h"

namespace berth {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ServerRecord set(const std::string& id, uint8_t fields, double capacity = kNaN, int32_t state = 0,
                 const std::string& labels = "") {
  ServerChange c;
  c.id = id;
  c.fields = fields;
  c.capacity = capacity;
  c.state = state;
  c.labels = parse_labels(labels);
  return ServerRecord{false, id, server_change_payload(c), (fields & kServerSetCapacity) ? capacity : kNaN};
}
ServerRecord remove(const std::string& id) { return ServerRecord{true, id, "", kNaN}; }

std::shared_ptr<const ServerColumns> members(const std::vector<std::string>& ids) {
  auto m = std::make_shared<ServerColumns>();
  uint64_t incarnation = 100;
  for (const std::string& id : ids) {
    m->ids.push_back(id);
    m->capacity.push_back(2.0);
    m->state.push_back(BERTH_SERVER_UP);
    m->labels.push_back(parse_labels("zone=member"));
    m->incarnation.push_back(++incarnation);
    m->serving.push_back(1);
  }
  return m;
}

TEST(OperatorServersStep, EveryFieldIsSetAndKept) {
  auto r = step_operator_servers(nullptr, {set("a", kServerSetAll, 3.5, BERTH_SERVER_READ_ONLY, "zone=z1,ssd")});
  ASSERT_TRUE(r.next);
  ASSERT_EQ(r.next->servers.size(), 1u);
  const OperatorServer& a = r.next->servers[0];
  EXPECT_EQ(a.id, "a");
  EXPECT_TRUE(a.registered);
  EXPECT_EQ(a.capacity, 3.5);
  EXPECT_EQ(a.state, BERTH_SERVER_READ_ONLY);
  EXPECT_EQ(a.labels, parse_labels("ssd,zone=z1"));
  EXPECT_EQ(r.applied, 1u);
  EXPECT_EQ(r.rejected, 0u);

  // A later change sets only its own parts; the others stay.
  auto r2 = step_operator_servers(r.next, {set("a", kServerSetCapacity, 7.0)});
  const OperatorServer& a2 = r2.next->servers[0];
  EXPECT_TRUE(a2.registered);
  EXPECT_EQ(a2.capacity, 7.0);
  EXPECT_EQ(a2.state, BERTH_SERVER_READ_ONLY);
  EXPECT_EQ(a2.labels, parse_labels("ssd,zone=z1"));
  EXPECT_EQ(r.next->servers[0].capacity, 3.5) << "the base is never changed";
}

TEST(OperatorServersStep, NothingHeardSharesTheBase) {
  auto r = step_operator_servers(nullptr, {set("a", kServerSetRegister)});
  auto same = step_operator_servers(r.next, {});
  EXPECT_EQ(same.next, r.next);
  auto again = step_operator_servers(r.next, {set("a", kServerSetRegister)});
  EXPECT_EQ(again.next, r.next) << "a change to what is already set shares the base";
}

TEST(OperatorServersStep, RecordsApplyInTheOrderHeard) {
  auto r = step_operator_servers(nullptr, {set("a", kServerSetState, kNaN, BERTH_SERVER_DRAINING),
                                           set("a", kServerSetState, kNaN, BERTH_SERVER_UP), remove("b"),
                                           set("b", kServerSetCapacity, 2.0), remove("b"),
                                           set("c", kServerSetCapacity, 4.0)});
  ASSERT_TRUE(r.next);
  ASSERT_EQ(r.next->servers.size(), 2u);
  EXPECT_EQ(r.next->servers[0].id, "a");
  EXPECT_EQ(r.next->servers[0].state, BERTH_SERVER_UP) << "the later set wins";
  EXPECT_EQ(r.next->servers[1].id, "c") << "b set then removed is gone";
  EXPECT_EQ(r.notes.size(), 1u) << "removing b before anyone set it is a no-op, noted";
  EXPECT_EQ(r.applied, 5u);

  auto reversed = step_operator_servers(nullptr, {set("b", kServerSetCapacity, 2.0), remove("b"), set("b", kServerSetCapacity, 3.0)});
  ASSERT_TRUE(reversed.next);
  ASSERT_EQ(reversed.next->servers.size(), 1u);
  EXPECT_EQ(reversed.next->servers[0].capacity, 3.0);
}

TEST(OperatorServersStep, RemovingTheLastEntryLeavesNone) {
  auto r = step_operator_servers(nullptr, {set("a", kServerSetRegister)});
  auto gone = step_operator_servers(r.next, {remove("a")});
  EXPECT_FALSE(gone.next);
  EXPECT_EQ(gone.applied, 1u);
}

TEST(OperatorServersStep, BadRecordsAreRefusedCountedAndNotApplied) {
  ServerRecord bad_capacity = set("a", kServerSetCapacity, 1.0);
  bad_capacity.capacity = -1;
  ServerRecord infinite = set("a", kServerSetCapacity, 1.0);
  infinite.capacity = std::numeric_limits<double>::infinity();
  ServerRecord bad_state = set("a", kServerSetState, kNaN, BERTH_SERVER_UP);
  bad_state.payload[1] = 9;
  ServerRecord bad_labels = set("a", kServerSetLabels, kNaN, 0, "zone=a");
  bad_labels.payload += ",=x";
  ServerRecord short_payload{false, "a", "\x02", 1.0};
  ServerRecord no_fields{false, "a", std::string("\0\0", 2), kNaN};
  ServerRecord unknown_field{false, "a", std::string("\x10\0", 2), kNaN};
  ServerRecord stray_capacity = set("a", kServerSetRegister);
  stray_capacity.capacity = 2.0;
  ServerRecord empty_id = set("", kServerSetRegister);
  ServerRecord long_id = set(std::string(kMaxOperatorServerIdBytes + 1, 'x'), kServerSetRegister);
  ServerRecord remove_with_payload{true, "a", "x", kNaN};
  std::vector<ServerRecord> bad{bad_capacity, infinite, bad_state, bad_labels, short_payload, no_fields,
                                unknown_field, stray_capacity, empty_id, long_id, remove_with_payload, remove("")};
  auto base = step_operator_servers(nullptr, {set("a", kServerSetCapacity, 5.0)}).next;
  auto r = step_operator_servers(base, bad);
  EXPECT_EQ(r.rejected, bad.size());
  EXPECT_EQ(r.rejections.size(), bad.size());
  EXPECT_EQ(r.applied, 0u);
  EXPECT_EQ(r.next, base) << "nothing half applied";
  EXPECT_NE(r.rejections[0].find("'a'"), std::string::npos) << r.rejections[0];

  // Good records around a bad one still apply.
  auto mixed = step_operator_servers(base, {set("b", kServerSetRegister), bad_capacity, set("a", kServerSetCapacity, 6.0)});
  EXPECT_EQ(mixed.rejected, 1u);
  ASSERT_EQ(mixed.next->servers.size(), 2u);
  EXPECT_EQ(mixed.next->servers[0].capacity, 6.0);
}

TEST(OperatorServersStep, MergeOverridesMembersAndAddsRegisteredServers) {
  auto ops = step_operator_servers(nullptr, {set("m2", kServerSetCapacity | kServerSetState, 9.0, BERTH_SERVER_DRAINING),
                                             set("m3", kServerSetLabels, kNaN, 0, "zone=op"),
                                             set("a0", kServerSetRegister | kServerSetCapacity, 4.0),
                                             set("m25", kServerSetRegister),
                                             set("z9", kServerSetRegister | kServerSetState, kNaN, BERTH_SERVER_READ_ONLY),
                                             set("ghost", kServerSetCapacity, 3.0)})
                 .next;
  auto m = members({"m1", "m2", "m3"});
  auto merged = merge_operator_servers(m, ops.get());
  ASSERT_EQ(merged->size(), 6u) << "3 members and 3 registered servers; the unregistered ghost adds nothing";
  std::vector<std::string> ids;
  for (uint32_t i = 0; i < merged->size(); ++i) ids.emplace_back(merged->ids.at(i));
  EXPECT_EQ(ids, (std::vector<std::string>{"a0", "m1", "m2", "m25", "m3", "z9"}));
  // a0: registered, no member.
  EXPECT_EQ(merged->capacity[0], 4.0);
  EXPECT_EQ(merged->state[0], BERTH_SERVER_UP);
  EXPECT_EQ(merged->incarnation_of(0), 0u);
  EXPECT_FALSE(merged->serving_of(0)) << "routed to, never granted";
  // m1: untouched member.
  EXPECT_EQ(merged->capacity[1], 2.0);
  EXPECT_EQ(merged->labels_of(1), parse_labels("zone=member"));
  EXPECT_EQ(merged->incarnation_of(1), m->incarnation_of(0));
  EXPECT_TRUE(merged->serving_of(1));
  // m2: capacity and state overridden, labels the member's.
  EXPECT_EQ(merged->capacity[2], 9.0);
  EXPECT_EQ(merged->state[2], BERTH_SERVER_DRAINING);
  EXPECT_EQ(merged->labels_of(2), parse_labels("zone=member"));
  EXPECT_EQ(merged->incarnation_of(2), m->incarnation_of(1));
  // m25: registered without member, defaults.
  EXPECT_EQ(merged->capacity[3], 1.0);
  EXPECT_FALSE(merged->serving_of(3));
  // m3: labels overridden only.
  EXPECT_EQ(merged->capacity[4], 2.0);
  EXPECT_EQ(merged->labels_of(4), parse_labels("zone=op"));
  EXPECT_TRUE(merged->serving_of(4));
  // z9: registered read-only.
  EXPECT_EQ(merged->state[5], BERTH_SERVER_READ_ONLY);

  EXPECT_EQ(merge_operator_servers(m, nullptr), m) << "nothing set: the members themselves";
}

TEST(OperatorServersStep, MergeKeepsMembersServingWhenTheirColumnsLeaveItOut) {
  auto m = std::make_shared<ServerColumns>();
  m->ids.push_back("m1");
  m->capacity.push_back(1.0);
  m->state.push_back(BERTH_SERVER_UP);
  auto ops = step_operator_servers(nullptr, {set("r", kServerSetRegister)}).next;
  auto merged = merge_operator_servers(m, ops.get());
  ASSERT_EQ(merged->size(), 2u);
  EXPECT_TRUE(merged->serving_of(0)) << "columns without serving say every member serves";
  EXPECT_FALSE(merged->serving_of(1));
}

TEST(OperatorServersStep, PayloadRoundTripsAndDrainOrSealStopsPlacement) {
  ServerChange c;
  c.id = "x";
  c.fields = kServerSetState | kServerSetLabels;
  c.state = BERTH_SERVER_DRAINING;
  c.labels = parse_labels("rack=r1");
  ServerChange back = parse_server_change("x", server_change_payload(c), kNaN);
  EXPECT_EQ(back.fields, c.fields);
  EXPECT_EQ(back.state, c.state);
  EXPECT_EQ(back.labels, c.labels);
  EXPECT_TRUE(server_change_stops_placement(back));
  c.state = BERTH_SERVER_READ_ONLY;
  EXPECT_TRUE(server_change_stops_placement(c));
  c.state = BERTH_SERVER_UP;
  EXPECT_FALSE(server_change_stops_placement(c));
  c.fields = kServerSetCapacity;
  c.state = BERTH_SERVER_DRAINING;
  EXPECT_FALSE(server_change_stops_placement(c)) << "only a change that sets the state";
  EXPECT_THROW(parse_server_change("x", "", kNaN), Error);
}

}  // namespace
}  // namespace berth
