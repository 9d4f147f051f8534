// The rules through a real engine on the memory backend, with the real policies.
#include "rules_engine_fixture.h"

#include "berth/berth.h"
#include "common/error.h"
#include "engine/metrics.h"
#include "snapshot/codec.h"

namespace berth::testing {
namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string all_errors(const EngineMetrics& m) {
  std::string out;
  for (const auto& e : rules_errors(m)) out += e + "\n";
  return out;
}

TEST_F(RulesEngine, LabelsTravelFromJoinThroughTheSnapshotCodec) {
  start("least_load");
  join_zoned_servers();
  fleet_->join("srv-x", 2.0);  // no labels at all
  add_streams("acme", 4);
  auto s = refresh();
  ASSERT_EQ(s->server_count(), 7u);
  EXPECT_EQ(format_labels(s->servers->labels_of(0)), "rack=r1,zone=a");
  EXPECT_EQ(format_labels(s->servers->labels_of(5)), "rack=r2,tier=gold,zone=c");
  EXPECT_TRUE(s->servers->labels_of(6).empty());
  Snapshot decoded = decode_snapshot(encode_snapshot(*s));
  for (uint32_t i = 0; i < 7; ++i) EXPECT_EQ(decoded.servers->labels_of(i), s->servers->labels_of(i)) << i;
}

TEST_F(RulesEngine, TheCApiJoinsWithLabelsAndNamesABadOne) {
  start("least_load");
  berth_options* opts = nullptr;
  ASSERT_EQ(berth_options_new(&opts, nullptr), BERTH_OK);
  ASSERT_EQ(berth_options_set(opts, "backend.cluster", cluster_.c_str(), nullptr), BERTH_OK);
  ASSERT_EQ(berth_options_set(opts, "engine.campaign", "false", nullptr), BERTH_OK);
  berth_engine* engine = nullptr;
  ASSERT_EQ(berth_engine_open(opts, &engine, nullptr), BERTH_OK);
  EXPECT_EQ(berth_engine_join_labeled(engine, "srv-l", 1.0, "zone=a,rack=r9,ssd", nullptr), BERTH_OK);
  EXPECT_EQ(berth_engine_join_labeled(engine, "srv-n", 1.0, nullptr, nullptr), BERTH_OK);
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_join_labeled(engine, "srv-bad", 1.0, "zone=a,ra ck=1", &err), BERTH_E_INVALID_ARGUMENT);
  ASSERT_NE(err, nullptr);
  std::string message = berth_error_message(err);
  EXPECT_TRUE(has(message, "label 'ra ck=1'") && has(message, "srv-bad")) << message;
  berth_error_free(err);
  EXPECT_EQ(berth_engine_join_labeled(engine, "srv-bad", 1.0, "zone=a,zone=b", nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_join_labeled(engine, "srv-bad", 1.0, "zone=", nullptr), BERTH_E_INVALID_ARGUMENT);
  add_streams("acme", 1);
  auto s = refresh();
  ASSERT_EQ(s->server_count(), 2u);
  EXPECT_EQ(format_labels(s->servers->labels_of(0)), "rack=r9,ssd,zone=a");
  berth_engine_close(engine);
  berth_options_free(opts);
}

class RulesPlacement : public RulesEngine, public ::testing::WithParamInterface<const char*> {};

TEST_P(RulesPlacement, DedicatedTenantAndEveryoneElseStayApart) {
  write_rules("dedicate('gold', {tier = 'gold'})\n");
  start(GetParam());
  join_zoned_servers();
  add_streams("gold", 10);
  add_streams("acme", 30);
  add_streams("globex", 30);
  auto s = refresh();
  ASSERT_EQ(s->stream_count(), 70u);
  for (const auto& [stream, owner] : owners(*s)) {
    bool gold_server = owner == "srv-c1" || owner == "srv-c2";
    EXPECT_EQ(gold_server, tenant_of(stream) == "gold") << stream << " on " << owner;
  }
  EngineMetrics m = leader_->metrics();
  EXPECT_EQ(m.rules.violations, 0u);
  EXPECT_EQ(m.rules.constrained_streams, 70u);
  EXPECT_EQ(m.rules.classes, 2u);
  EXPECT_EQ(s->meta.rules_hash, rules::rules_hash("dedicate('gold', {tier = 'gold'})\n"));
}

TEST_P(RulesPlacement, AllowDenyPinAndSpread) {
  write_rules(
      "tenant('acme', function(t) t:allow{zone = 'a'} end)\n"
      "tenant('globex', function(t) t:deny{zone = {'a', 'b'}} end)\n"
      "tenant('initech', function(t) t:spread('zone', 0.4) end)\n"
      "pin('umbrella-3', 'srv-b2')\n");
  start(GetParam());
  join_zoned_servers();
  add_streams("acme", 12);
  add_streams("globex", 12);
  add_streams("initech", 20);
  add_streams("umbrella", 12);
  auto s = refresh();
  std::map<std::string, int> initech_per_zone;
  for (const auto& [stream, owner] : owners(*s)) {
    std::string zone = owner.substr(4, 1);
    if (tenant_of(stream) == "acme") {
      EXPECT_EQ(zone, "a") << stream;
    } else if (tenant_of(stream) == "globex") {
      EXPECT_EQ(zone, "c") << stream;
    } else if (tenant_of(stream) == "initech") {
      ++initech_per_zone[zone];
    }
  }
  EXPECT_EQ(owners(*s)["umbrella-3"], "srv-b2");
  for (const auto& [zone, count] : initech_per_zone) EXPECT_LE(count, 8) << "at most 40% of 20 in zone " << zone;
  EXPECT_EQ(leader_->metrics().rules.violations, 0u);
  EXPECT_EQ(leader_->metrics().rules.problem_count, 0u) << all_errors(leader_->metrics());
}

TEST_P(RulesPlacement, PreferredServersAreTakenWhileTheyHaveRoom) {
  write_rules("tenant('acme', function(t) t:prefer('srv-a1') end)\n");
  start(GetParam());
  join_zoned_servers();
  add_streams("acme", 4);
  add_streams("globex", 56);
  auto s = refresh();
  for (const auto& [stream, owner] : owners(*s)) {
    if (tenant_of(stream) == "acme") {
      EXPECT_EQ(owner, "srv-a1") << stream << ": srv-a1 has room for all four";
    }
  }
  EXPECT_EQ(leader_->metrics().rules.violations, 0u);
}

TEST_P(RulesPlacement, AScaledTenantWeighsMoreInPlacement) {
  write_rules("tenant('heavy', function(t) t:scale(30) end)\n");
  start(GetParam());
  join_zoned_servers();
  add_streams("heavy", 2);
  add_streams("light", 60);
  auto s = refresh();
  std::map<std::string, int> streams_on;
  for (const auto& [stream, owner] : owners(*s)) ++streams_on[owner];
  for (const auto& [stream, owner] : owners(*s)) {
    if (tenant_of(stream) == "heavy") {
      EXPECT_LE(streams_on[owner], 2) << owner << " holds a stream weighing 30 of a fair share of 20: little else fits";
    }
  }
  for (uint64_t i = 0; i < s->stream_count(); ++i) EXPECT_EQ(s->load[i], 1.0f) << "the snapshot keeps appraised loads";
}

INSTANTIATE_TEST_SUITE_P(Policies, RulesPlacement, ::testing::Values("sticky", "least_load"));

TEST_F(RulesEngine, AStreamWithNoAllowedServerKeepsItsOwnerAndIsReported) {
  write_rules("tenant('acme', function(t)\n  t:allow{zone = 'a'}\nend)\n");
  start("sticky");
  join_zoned_servers();
  add_streams("acme", 6);
  add_streams("globex", 6);
  auto before = owners(*refresh());
  // Zone a's servers lose their zone label: acme is allowed nowhere now.
  fleet_->join("srv-a1", 1.0, parse_labels("rack=r1"));
  fleet_->join("srv-a2", 1.0, parse_labels("rack=r2"));
  auto after = owners(*refresh());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(after["acme-" + std::to_string(i)], before["acme-" + std::to_string(i)]);
  EngineMetrics m = leader_->metrics();
  EXPECT_EQ(m.rules.kept_owner, 6u);
  EXPECT_EQ(m.rules.problem_count, 1u);
  ASSERT_FALSE(rules_errors(m).empty());
  EXPECT_TRUE(has(rules_errors(m)[0], "no allowed server") && has(rules_errors(m)[0], "rules.lua:2") &&
              has(rules_errors(m)[0], "tenant 'acme'"))
      << rules_errors(m)[0];
  EXPECT_TRUE(has(metrics_prometheus(m, "leader"), "berth_rules_kept_owner_streams{node=\"leader\"} 6"));
}

TEST_F(RulesEngine, ARulesChangeForOneTenantMovesOnlyThatTenantsStreams) {
  write_rules("-- no rules yet\n");
  start("sticky", {{"policy.band", "0.5"}});
  join_zoned_servers();
  add_streams("acme", 12);
  add_streams("globex", 60);
  add_streams("initech", 60);
  auto before = owners(*refresh());
  write_rules("tenant('acme', function(t) t:allow{zone = 'a'} end)\n");
  // The leader notices the changed file on its own (it looks at least once a second) and
  // refreshes with it. Waiting for that refresh, rather than racing it with one of ours, keeps
  // moved_streams about the refresh that moved.
  ASSERT_TRUE(eventually([&] { return leader_->metrics().rules_reloads == 1; }, 30s));
  auto after = owners(*leader_->snapshot());
  int moved_acme = 0;
  for (const auto& [stream, owner] : after) {
    bool moved = before[stream] != owner;
    if (tenant_of(stream) != "acme") {
      EXPECT_FALSE(moved) << stream << " moved from " << before[stream] << " to " << owner;
    } else {
      EXPECT_EQ(owner.substr(4, 1), "a") << stream;
      bool was_in_a = before[stream].substr(4, 1) == "a";
      EXPECT_EQ(moved, !was_in_a) << stream << ": only the streams outside zone a move";
      moved_acme += moved;
    }
  }
  EXPECT_GT(moved_acme, 0);
  EXPECT_EQ(static_cast<uint64_t>(moved_acme), leader_->metrics().moved_streams);
}

TEST_F(RulesEngine, HotReloadTakesAGoodFileAndRefusesABadOne) {
  std::string v1 = "tenant('acme', function(t) t:allow{zone = 'a'} end)\n";
  std::string v2 = "tenant('acme', function(t) t:allow{zone = 'b'} end)\n";
  write_rules(v1);
  start("sticky");
  join_zoned_servers();
  add_streams("acme", 6);
  EXPECT_EQ(refresh()->meta.rules_hash, rules::rules_hash(v1));

  write_rules(v2);
  auto s = refresh();
  EXPECT_EQ(s->meta.rules_hash, rules::rules_hash(v2));
  for (const auto& [stream, owner] : owners(*s)) EXPECT_EQ(owner.substr(4, 1), "b") << stream;
  EXPECT_EQ(leader_->metrics().rules_reloads, 1u);

  write_rules("tenant('acme', function(t)\n  t:allow{zone = 'c'\nend)\n");  // syntax error
  s = refresh();
  EXPECT_EQ(s->meta.rules_hash, rules::rules_hash(v2)) << "the rules in force stay";
  EngineMetrics m = leader_->metrics();
  EXPECT_EQ(m.rules_refused, 1u);
  EXPECT_TRUE(has(all_errors(m), "rules.lua:3")) << all_errors(m);
  for (const auto& [stream, owner] : owners(*s)) EXPECT_EQ(owner.substr(4, 1), "b") << stream;

  write_rules("tenant('acme', function(t) t:allow{zon = 'c'} end)\n");  // compiles, fails on this cluster
  s = refresh();
  EXPECT_EQ(s->meta.rules_hash, rules::rules_hash(v2));
  m = leader_->metrics();
  EXPECT_EQ(m.rules_refused, 2u);
  EXPECT_TRUE(has(all_errors(m), "unknown label 'zon'")) << all_errors(m);
  EXPECT_EQ(m.rules.problem_count, 0u) << "the rules in force evaluate cleanly";

  // A good file again, picked up by the leader on its own (no explicit refresh).
  std::string v3 = "tenant('acme', function(t) t:allow{zone = 'c'} end)\n";
  write_rules(v3);
  EXPECT_TRUE(eventually([&] { return leader_->snapshot()->meta.rules_hash == rules::rules_hash(v3); }))
      << "the leader did not notice the changed file";
}

TEST_F(RulesEngine, SnapshotsRecordTheRulesHashForEveryNode) {
  start("least_load");
  join_zoned_servers();
  add_streams("acme", 3);
  EXPECT_EQ(refresh()->meta.rules_hash, 0u) << "no rules";
  leader_.reset();

  std::string text = "dedicate('acme', {zone = 'b'})\n";
  write_rules(text);
  Options o = base("least_load");
  o.set("engine.node_id", "leader-2");
  o.set("rules.file", rules_file_.string());
  leader_ = std::make_unique<Engine>(o.resolve());
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader_); }));
  auto s = refresh();
  EXPECT_EQ(s->meta.rules_hash, rules::rules_hash(text));
  fleet_->wait_version(s->meta.version, 10s);
  EXPECT_EQ(fleet_->snapshot()->meta.rules_hash, rules::rules_hash(text)) << "a follower decodes the same hash";
}

TEST_F(RulesEngine, AnEngineDoesNotStartWithRulesItCannotRun) {
  write_rules("tenant('acme', function(t)\n  t:allow{\nend)\n");
  Options o = base("sticky");
  o.set("backend.cluster", unique_cluster("rules-bad"));
  o.set("rules.file", rules_file_.string());
  try {
    Engine e(o.resolve());
    FAIL() << "opened with a broken rules file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG);
    EXPECT_TRUE(has(e.what(), "rules.lua:3")) << e.what();
  }
  o.set("rules.file", (dir_ / "missing.lua").string());
  EXPECT_THROW(Engine(o.resolve()), Error);
}

TEST_F(RulesEngine, RulesOptionsAreChecked) {
  Options o;
  EXPECT_NO_THROW(o.set("rules.instruction_limit", "250000"));
  EXPECT_NO_THROW(o.set("rules.memory_limit", "32MiB"));
  EXPECT_EQ(o.resolve().rules.limits.memory_bytes, uint64_t{32} << 20);
  EXPECT_EQ(o.resolve().rules.limits.instructions, 250000u);
  try {
    o.set("rules.memory_limit", "lots", "--set");
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "rules.memory_limit") && has(e.what(), "--set")) << e.what();
  }
  EXPECT_THROW(o.set("rules.instructions", "5"), Error);
  EXPECT_THROW(o.load_string("[rules]\nfile = 'x.lua'\nlimit = 3\n", "inline"), Error);
}

}  // namespace
}  // namespace berth::testing
