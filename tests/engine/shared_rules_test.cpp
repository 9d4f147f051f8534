// The rules every node shares (docs/catalogue.md): pushed from any node, checked by the caller and
// again by the leader, versioned, applied by whichever node leads, carried through checkpoints
// and deltas.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "common/error.h"
#include "engine/engine_fixture.h"
#include "engine/intake.h"
#include "engine/shared_rules_step.h"
#include "plugin/instances.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/shared_rules.h"

namespace berth::testing {
namespace {

// acme's streams only in zone a.
const std::string kZoneA = "tenant('acme', function(t) t:require { zone = 'a' } end)\n";
// acme's streams only in zone b.
const std::string kZoneB = "tenant('acme', function(t) t:require { zone = 'b' } end)\n";

int32_t code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return BERTH_OK;
}

class SharedRulesTest : public ClusterFixture {
 protected:
  // Three campaigning nodes; four servers, two in each of zones a and b; 40 streams of acme.
  void start_cluster() {
    start(3);
    for (std::string zone : {"a", "b"})
      for (std::string n : {"1", "2"}) fleet_->join("srv-" + zone + n, 1.0, parse_labels("zone=" + zone));
    for (int i = 0; i < 40; ++i) fleet_->add_stream("acme-" + std::to_string(i), "acme", 1.0);
    fleet_->flush();
    refresh_and_converge();
  }

  Engine& a_follower() {
    for (auto& n : nodes_)
      if (n && !n->status().is_leader) return *n;
    ADD_FAILURE() << "no follower";
    return *nodes_.front();
  }

  // Every acme stream's owner in `snapshot` is in `zone`.
  static bool all_in_zone(const Snapshot& s, const std::string& zone) {
    for (uint64_t i = 0; i < s.stream_count(); ++i)
      if (std::string(s.server_name[s.owner[i]]).rfind("srv-" + zone, 0) != 0) return false;
    return s.stream_count() == 40;
  }

  // Submits a rules record straight to the backend, past every caller-side check.
  void submit_raw(const std::string& script, uint64_t hash) {
    PluginRegistry registry;
    Backend raw(registry.load(BERTH_PLUGIN_BACKEND, "memory"), PluginConfig("backend", {{"cluster", cluster_, "test"}}),
                nullptr);
    std::string batch;
    append_intake(batch, IntakeOp::rules, "raw", script, rules_record_hash_bits(hash));
    raw.submit(batch);
  }
};

TEST_F(SharedRulesTest, PushThroughAFollowerReachesTheLeaderAndEveryNode) {
  start_cluster();
  Engine& follower = a_follower();
  Engine::RulesPush push = follower.push_rules(kZoneA);
  EXPECT_EQ(push.replaces_version, 0u);
  EXPECT_FALSE(push.unchanged);
  EXPECT_EQ(push.hash, shared_rules_hash(kZoneA));
  refresh_and_converge();
  EXPECT_EQ(follower.wait_rules(push.hash, 5s), 1u);
  for (auto& n : nodes_) {
    std::shared_ptr<const Snapshot> s = n->snapshot();
    ASSERT_TRUE(s->shared_rules) << n->node_id();
    EXPECT_EQ(s->shared_rules->version, 1u);
    EXPECT_EQ(s->shared_rules->script, kZoneA);
    EXPECT_EQ(s->meta.rules_hash, push.hash) << "the version was not placed with the pushed rules";
    EXPECT_TRUE(all_in_zone(*s, "a")) << n->node_id();
  }
}

TEST_F(SharedRulesTest, EveryAcceptedPushGrowsTheVersionByOneAndTheSameScriptChangesNothing) {
  start_cluster();
  leader().push_rules(kZoneA);
  refresh_and_converge();
  Engine::RulesPush second = a_follower().push_rules(kZoneB);
  EXPECT_EQ(second.replaces_version, 1u);
  EXPECT_EQ(second.replaces_hash, shared_rules_hash(kZoneA));
  refresh_and_converge();
  std::shared_ptr<const Snapshot> s = leader().snapshot();
  ASSERT_TRUE(s->shared_rules);
  EXPECT_EQ(s->shared_rules->version, 2u);
  EXPECT_TRUE(all_in_zone(*s, "b"));
  Engine::RulesPush again = a_follower().push_rules(kZoneB);
  EXPECT_TRUE(again.unchanged);
  refresh_and_converge();
  EXPECT_EQ(leader().snapshot()->shared_rules->version, 2u);
}

TEST_F(SharedRulesTest, TheCallerRefusesABadScriptAndSubmitsNothing) {
  start_cluster();
  Engine& follower = a_follower();
  EXPECT_EQ(code_of([&] { follower.push_rules("tenant('acme', function(t) t:require { zone = 'a' } "); }),
            BERTH_E_CONFIG) << "syntax error";
  EXPECT_EQ(code_of([&] { follower.push_rules("error('no rules today')"); }), BERTH_E_CONFIG) << "runtime error";
  EXPECT_EQ(code_of([&] { follower.push_rules("tenant('acme', function(t) t:require('srv-nope') end)"); }),
            BERTH_E_CONFIG) << "a rule that fails on this cluster";
  EXPECT_EQ(code_of([&] { follower.push_rules(""); }), BERTH_E_INVALID_ARGUMENT) << "empty";
  EXPECT_EQ(code_of([&] { follower.push_rules(std::string(kMaxRulesScriptBytes + 1, ' ')); }), BERTH_E_INVALID_ARGUMENT)
      << "over the limit";
  try {
    follower.push_rules("tenant('acme', function(t) t:require('srv-nope') end)");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("srv-nope"), std::string::npos) << e.what();
  }
  refresh_and_converge();
  EXPECT_FALSE(leader().snapshot()->shared_rules) << "a refused script was submitted";
}

TEST_F(SharedRulesTest, TheLeaderRefusesABadScriptSubmittedRawAndKeepsTheGoodOne) {
  start_cluster();
  leader().push_rules(kZoneA);
  refresh_and_converge();
  const uint64_t good = shared_rules_hash(kZoneA);
  const uint64_t refused_before = leader().metrics().rules_refused;
  const uint64_t rejected_before = leader().metrics().intake_rejected;
  const std::string syntax = "tenant('acme', function(t) t:require { zone = 'b' } ";
  const std::string runtime = "error('no rules today')";
  const std::string fails_here = "tenant('acme', function(t) t:require('srv-nope') end)";
  submit_raw(syntax, shared_rules_hash(syntax));
  submit_raw(runtime, shared_rules_hash(runtime));
  submit_raw(fails_here, shared_rules_hash(fails_here));
  submit_raw(kZoneB, shared_rules_hash(kZoneB) + 1);  // a hash that is not the script's: malformed
  refresh_and_converge();
  for (auto& n : nodes_) {
    std::shared_ptr<const Snapshot> s = n->snapshot();
    ASSERT_TRUE(s->shared_rules);
    EXPECT_EQ(s->shared_rules->version, 1u) << n->node_id();
    EXPECT_EQ(s->shared_rules->hash, good) << n->node_id();
    EXPECT_EQ(s->meta.rules_hash, good) << n->node_id();
    EXPECT_TRUE(all_in_zone(*s, "a")) << n->node_id();
  }
  EngineMetrics m = leader().metrics();
  EXPECT_GT(m.rules_refused, refused_before);
  EXPECT_NE(m.rules_last_refusal.find("srv-nope"), std::string::npos) << m.rules_last_refusal;
  EXPECT_NE(m.rules_last_refusal.find("no rules today"), std::string::npos) << m.rules_last_refusal;
  EXPECT_EQ(m.intake_rejected, rejected_before + 1) << "the malformed record was not counted";
}

TEST_F(SharedRulesTest, ANewLeaderAfterResignAppliesTheSameRules) {
  start_cluster();
  a_follower().push_rules(kZoneA);
  refresh_and_converge();
  Engine& old_leader = leader();
  const uint64_t before = old_leader.status().version;
  old_leader.resign();
  Engine* next = nullptr;
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes_)
      if (n.get() != &old_leader && n->status().is_leader && n->status().version > before) next = n.get();
    return next != nullptr;
  }));
  std::shared_ptr<const Snapshot> first = next->snapshot();
  ASSERT_GT(first->meta.version, before);
  EXPECT_EQ(first->meta.leader, next->node_id()) << "not the new leader's own first snapshot";
  EXPECT_EQ(first->meta.rules_hash, shared_rules_hash(kZoneA));
  ASSERT_TRUE(first->shared_rules);
  EXPECT_EQ(first->shared_rules->version, 1u);
  EXPECT_TRUE(all_in_zone(*first, "a"));
}

TEST_F(SharedRulesTest, SharedRulesSurviveACheckpointAndDeltaRoundTrip) {
  start_cluster();
  std::shared_ptr<const Snapshot> base = leader().snapshot();
  leader().push_rules(kZoneA);
  refresh_and_converge();
  std::shared_ptr<const Snapshot> next = leader().snapshot();
  ASSERT_TRUE(next->shared_rules);

  Snapshot full = decode_snapshot(encode_snapshot(*next));
  ASSERT_TRUE(full.shared_rules);
  EXPECT_EQ(full.shared_rules->version, next->shared_rules->version);
  EXPECT_EQ(full.shared_rules->hash, next->shared_rules->hash);
  EXPECT_EQ(full.shared_rules->script, next->shared_rules->script);
  EXPECT_FALSE(decode_snapshot(encode_snapshot(*base)).shared_rules) << "a version without shared rules gained some";

  std::optional<std::string> bytes = encode_delta(*base, *next, size_t{1} << 20);
  ASSERT_TRUE(bytes);
  Snapshot applied = apply_delta(bare_copy(*base), decode_delta(*bytes));
  ASSERT_TRUE(applied.shared_rules);
  EXPECT_EQ(applied.shared_rules->version, 1u);
  EXPECT_EQ(applied.shared_rules->script, kZoneA);
  EXPECT_EQ(applied.shared_rules->hash, shared_rules_hash(kZoneA));
}

// A node's own [rules] file is in force until the first push; from then on the shared rules are,
// and a changed file changes nothing.
TEST(SharedRulesFile, OnceRulesArePushedTheLeadersOwnFileIsIgnored) {
  const std::string cluster = unique_cluster("shared-rules-file");
  const std::filesystem::path file = std::filesystem::temp_directory_path() / (cluster + ".lua");
  std::ofstream(file) << kZoneB;
  auto options = [&](const std::string& node, bool campaign) {
    Options o = node_options(cluster, {.node_id = node, .campaign = campaign});
    if (campaign) o.set("rules.file", file.string());
    return o.resolve();
  };
  Engine fleet(options("fleet", false));
  Engine leader(options("leader", true));
  ASSERT_TRUE(eventually([&] { return leader.status().is_leader && leader.status().version >= 1; }));
  for (std::string zone : {"a", "b"})
    for (std::string n : {"1", "2"}) fleet.join("srv-" + zone + n, 1.0, parse_labels("zone=" + zone));
  for (int i = 0; i < 40; ++i) fleet.add_stream("acme-" + std::to_string(i), "acme", 1.0);
  fleet.flush();
  auto owners_in = [&](const std::string& zone) {
    std::shared_ptr<const Snapshot> s = leader.snapshot();
    for (uint64_t i = 0; i < s->stream_count(); ++i)
      if (std::string(s->server_name[s->owner[i]]).rfind("srv-" + zone, 0) != 0) return false;
    return s->stream_count() == 40;
  };
  leader.refresh();
  EXPECT_TRUE(owners_in("b")) << "the file is not in force before any push";
  EXPECT_EQ(leader.snapshot()->meta.rules_hash, shared_rules_hash(kZoneB));
  fleet.wait_version(leader.status().version, 5s);  // the push is checked against the version it serves
  fleet.push_rules(kZoneA);
  leader.refresh();
  EXPECT_TRUE(owners_in("a"));
  EXPECT_EQ(leader.snapshot()->meta.rules_hash, shared_rules_hash(kZoneA));
  {
    std::ofstream(file.string() + ".new") << "-- changed\n" << kZoneB;
    std::filesystem::rename(file.string() + ".new", file);
  }
  leader.refresh();
  EXPECT_TRUE(owners_in("a")) << "a changed file replaced the shared rules";
  EXPECT_EQ(leader.snapshot()->meta.rules_hash, shared_rules_hash(kZoneA));
  std::filesystem::remove(file);
}

// A delta whose base carries the same shared rules leaves the script out of its head; applied to
// that base it has the script again, and applied to a base with other rules it is refused.
TEST_F(SharedRulesTest, ADeltaRepeatsTheScriptOnlyWhenItDiffersFromTheBases) {
  start_cluster();
  std::string big = kZoneA;
  uint64_t x = 12345;
  for (int line = 0; line < 400; ++line) {
    big += "-- ";
    for (int c = 0; c < 60; ++c) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      big += static_cast<char>('a' + (x >> 33) % 26);
    }
    big += "\n";
  }
  ASSERT_LT(big.size(), kMaxRulesScriptBytes);
  std::shared_ptr<const Snapshot> without = leader().snapshot();
  leader().push_rules(big);
  refresh_and_converge();
  std::shared_ptr<const Snapshot> base = leader().snapshot();
  ASSERT_TRUE(base->shared_rules);
  fleet_->add_stream("acme-new", "acme", 1.0);
  fleet_->flush();
  refresh_and_converge();
  std::shared_ptr<const Snapshot> next = leader().snapshot();
  ASSERT_EQ(next->shared_rules, base->shared_rules);

  std::optional<std::string> same = encode_delta(*base, *next, size_t{1} << 20);
  ASSERT_TRUE(same);
  EXPECT_LT(same->size(), big.size() / 4) << "the head repeats the script its base carries";
  Snapshot applied = apply_delta(bare_copy(*base), decode_delta(*same));
  ASSERT_TRUE(applied.shared_rules);
  EXPECT_EQ(applied.shared_rules->script, big);
  EXPECT_FALSE(applied.shared_rules->in_base);

  std::optional<std::string> changed = encode_delta(*without, *next, size_t{1} << 20);
  ASSERT_TRUE(changed);
  EXPECT_GT(changed->size(), big.size() / 2) << "a delta whose base has no shared rules must carry the script";
  EXPECT_EQ(apply_delta(bare_copy(*without), decode_delta(*changed)).shared_rules->script, big);

  // The head of `same` names the base's script: on a base without it, it is refused.
  Delta d = decode_delta(*same);
  Snapshot other = bare_copy(*base);
  other.shared_rules = nullptr;
  other.meta = base->meta;
  EXPECT_EQ(code_of([&] { apply_delta(other, d); }), BERTH_E_CORRUPT);
  // And read on its own as a full snapshot, it cannot be finished.
  Snapshot head = d.head;
  ASSERT_TRUE(head.shared_rules && head.shared_rules->in_base);
  EXPECT_EQ(code_of([&] { finish_snapshot(head, nullptr, std::make_shared<ServerNames>(), nullptr); }), BERTH_E_CORRUPT);
}

TEST(SharedRulesCodec, DecodeRefusesAHashThatIsNotTheScriptsAndAnOversizedScript) {
  Snapshot s;
  s.servers = std::make_shared<ServerColumns>();
  s.streams = std::make_shared<StreamColumns>();
  s.meta.version = 3;
  auto wrong = std::make_shared<SharedRules>();
  wrong->version = 1;
  wrong->script = kZoneA;
  wrong->hash = shared_rules_hash(kZoneA) ^ 1;
  s.shared_rules = wrong;
  EXPECT_EQ(code_of([&] { decode_snapshot(encode_snapshot(s)); }), BERTH_E_CORRUPT);
  auto big = std::make_shared<SharedRules>();
  big->version = 1;
  big->script = std::string(kMaxRulesScriptBytes + 1, '-');
  big->hash = shared_rules_hash(big->script);
  s.shared_rules = big;
  EXPECT_EQ(code_of([&] { decode_snapshot(encode_snapshot(s)); }), BERTH_E_CORRUPT);
  auto fine = std::make_shared<SharedRules>();
  fine->version = 1;
  fine->script = std::string(kMaxRulesScriptBytes, '-');
  fine->hash = shared_rules_hash(fine->script);
  s.shared_rules = fine;
  EXPECT_EQ(decode_snapshot(encode_snapshot(s)).shared_rules->script.size(), kMaxRulesScriptBytes);
}

TEST(SharedRulesCodec, TheHashIsTheOneRuleSetsRecord) {
  EXPECT_EQ(shared_rules_hash(kZoneA), rules::rules_hash(kZoneA));
  EXPECT_EQ(shared_rules_hash(""), rules::rules_hash(""));
}

}  // namespace
}  // namespace berth::testing
