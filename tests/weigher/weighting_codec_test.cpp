// The snapshot's weighting in published bytes: a full snapshot and a delta's head carry it as
// written; bytes a leader could not have written are refused, saying what and where.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"
#include "snapshot/weighting.h"

namespace berth::test {
namespace {

std::shared_ptr<const Weighting> weighting_of(const ServerColumns& servers) {
  auto w = std::make_shared<Weighting>();
  w->plugin = "marconi";
  for (uint32_t i = 0; i < servers.size(); ++i) {
    WeighedServer s;
    s.id = std::string(servers.ids.at(i));
    s.capacity = 1.0 + i;
    s.factor = 0.5 + 0.25 * i;
    s.following = static_cast<int8_t>(static_cast<int>(i % 3) - 1);
    if (i % 2 == 0) s.signals = {{"cpu_load", 0.125 * i}, {"free_capacity", 0.75}};
    w->servers.push_back(std::move(s));
  }
  return w;
}

void expect_same(const Weighting& a, const Weighting& b) {
  EXPECT_EQ(a.plugin, b.plugin);
  ASSERT_EQ(a.servers.size(), b.servers.size());
  for (size_t i = 0; i < a.servers.size(); ++i) {
    EXPECT_EQ(a.servers[i].id, b.servers[i].id);
    EXPECT_EQ(a.servers[i].capacity, b.servers[i].capacity);
    EXPECT_EQ(a.servers[i].factor, b.servers[i].factor);
    EXPECT_EQ(a.servers[i].following, b.servers[i].following);
    ASSERT_EQ(a.servers[i].signals.size(), b.servers[i].signals.size());
    for (size_t k = 0; k < a.servers[i].signals.size(); ++k) {
      EXPECT_EQ(a.servers[i].signals[k].name, b.servers[i].signals[k].name);
      EXPECT_EQ(a.servers[i].signals[k].value, b.servers[i].signals[k].value);
    }
  }
}

std::pair<int32_t, std::string> decode_error(std::string_view bytes) {
  try {
    decode_snapshot(bytes);
    return {BERTH_OK, ""};
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
}

TEST(WeightingCodec, AFullSnapshotCarriesItAsWritten) {
  Snapshot s = make_snapshot(3, make_servers(server_ids(4)), stream_ids(20));
  s.weighting = weighting_of(*s.servers);
  Snapshot back = decode_snapshot(encode_snapshot(s));
  ASSERT_TRUE(back.weighting);
  expect_same(*back.weighting, *s.weighting);
}

TEST(WeightingCodec, ASnapshotWithoutItDecodesWithout) {
  Snapshot s = make_snapshot(3, make_servers(server_ids(2)), stream_ids(4));
  EXPECT_FALSE(decode_snapshot(encode_snapshot(s)).weighting);
}

TEST(WeightingCodec, ADeltaHeadCarriesTheNewVersionsWeighting) {
  Snapshot base = make_snapshot(3, make_servers(server_ids(4)), stream_ids(50));
  base.weighting = weighting_of(*base.servers);
  finish(base);
  Snapshot next = next_version(base, 4);
  auto changed = std::make_shared<Weighting>(*base.weighting);
  changed->servers[1].factor = 3.5;
  changed->servers[1].signals = {{"cpu_load", 0.9}};
  next.weighting = changed;
  finish(next, &base);
  std::optional<std::string> bytes = encode_delta(base, next, 1 << 20);
  ASSERT_TRUE(bytes.has_value());
  Snapshot applied = apply_delta(base, decode_delta(*bytes));
  ASSERT_TRUE(applied.weighting);
  expect_same(*applied.weighting, *changed);
}

TEST(WeightingCodec, BytesNoLeaderWritesAreRefusedSayingWhatAndWhere) {
  Snapshot s = make_snapshot(3, make_servers(server_ids(3)), stream_ids(6));
  s.weighting = weighting_of(*s.servers);
  const std::string good = encode_snapshot(s);
  using Edit = std::function<void(schema::Weighting::Builder)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto w) { w.getServers()[1].setFactor(0); }, "server #1 ('srv-1001') has factor 0"},
      {[](auto w) { w.getServers()[1].setFollowing(2); }, "server #1 ('srv-1001') follows in direction 2"},
      {[](auto w) { w.getServers()[2].setFactor(std::numeric_limits<double>::quiet_NaN()); }, "server #2"},
      {[](auto w) { w.getServers()[0].setCapacity(-1); }, "server #0 ('srv-1000') has capacity"},
      {[](auto w) { w.getServers()[0].setId("srv-9999"); }, "server #0 is 'srv-9999', the version's is 'srv-1000'"},
      {[](auto w) { w.initServers(2); }, "2 servers weighed, the version has 3"},
      {[](auto w) { w.getServers()[0].getSignals()[1].setName("a_first"); }, "signal #1 ('a_first') is not after 'cpu_load'"},
      {[](auto w) { w.getServers()[0].getSignals()[0].setName(""); }, "signal #0: the signal name is empty"},
      {[](auto w) { w.getServers()[2].getSignals()[0].setValue(std::numeric_limits<double>::infinity()); },
       "server #2 signal #0 ('cpu_load') is not finite"},
      {[](auto w) { w.getServers()[1].initSignals(kMaxSignalsPerServer + 1); }, "33 signals"},
      {[](auto w) { w.setPlugin(""); }, "the weigher's name is 0 bytes"},
  };
  for (const auto& [edit, needle] : cases) {
    auto [code, message] = decode_error(edited(good, [&](schema::Snapshot::Builder r) { edit(r.getWeighting()); }));
    EXPECT_EQ(code, BERTH_E_CORRUPT) << needle;
    EXPECT_NE(message.find("snapshot weighting: "), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' not in: " << message;
  }
}

}  // namespace
}  // namespace berth::test
