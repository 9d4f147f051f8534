// Dynamic weights through engines on the memory backend, with the marconi weigher and the sticky
// policy: the numbers (noise moves nothing; a sustained 2x CPU load moves load away within
// the move budget), a new leader keeping the smoothed state, and report_signal's checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "common/error.h"
#include "config/options.h"
#include "engine/engine.h"
#include "engine/engine_fixture.h"
#include "snapshot/weighting.h"

namespace berth::testing {
namespace {

constexpr int kServers = 8;
constexpr int kStreams = 400;
constexpr uint64_t kMaxMoves = 3;  // sticky's move budget per refresh (plugins/policy/sticky/move_budget.h)

std::unique_ptr<Engine> open_weighing(const std::string& cluster, const std::string& node, bool campaign) {
  Options o = node_options(cluster, {.node_id = node, .campaign = campaign, .policy = "sticky", .appraiser = "equal"});
  o.set("policy.max_moves", std::to_string(kMaxMoves));
  o.set("weigher.name", "marconi");
  return std::make_unique<Engine>(o.resolve());
}

std::string server(int i) { return "server-" + std::to_string(i); }

std::map<std::string, std::string> owners(const Snapshot& s) {
  std::map<std::string, std::string> out;
  for (uint64_t i = 0; i < s.stream_count(); ++i) out[std::string(s.streams->ids.at(i))] = s.server_name[s.owner[i]];
  return out;
}

uint64_t moved(const Snapshot& before, const Snapshot& after) {
  auto a = owners(before), b = owners(after);
  uint64_t n = 0;
  for (const auto& [id, owner] : b)
    if (auto it = a.find(id); it != a.end() && it->second != owner) ++n;
  return n;
}

double share_of(const Snapshot& s, const std::string& id) {
  double total = 0, mine = 0;
  for (uint32_t j = 0; j < s.server_count(); ++j) {
    total += s.server_load[j];
    if (s.server_name[j] == id) mine = s.server_load[j];
  }
  return mine / total;
}

class DynamicWeights : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = unique_cluster("weights-test");
    fleet_ = open_weighing(cluster_, "fleet", false);
    leader_ = open_weighing(cluster_, "node-0", true);
    ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader_); }));
    for (int i = 0; i < kServers; ++i) fleet_->join(server(i), 1.0);
    for (int i = 0; i < kStreams; ++i) fleet_->add_stream("stream-" + std::to_string(i), "", 1.0);
    fleet_->flush();
    refresh();
  }

  // Every server's signals, times `noise(...)`; then a refresh on the leader.
  template <class Noise>
  std::shared_ptr<const Snapshot> report_and_refresh(const double* cpu, const double* free, Noise&& noise) {
    for (int i = 0; i < kServers; ++i) {
      fleet_->report_signal(server(i), "cpu_load", cpu[i] * noise());
      fleet_->report_signal(server(i), "free_capacity", free[i] * noise());
    }
    fleet_->flush();
    return refresh();
  }
  std::shared_ptr<const Snapshot> refresh() {
    leader_->refresh();
    return leader_->snapshot();
  }
  // Refreshes with steady signals until the smoothed weights settle (20 refreshes) and a refresh
  // moves nothing. The leader may refresh on its own while SetUp joins servers and adds streams,
  // leaving a first placement the move budget evens out only over many refreshes; the measures
  // start from a settled cluster. Null if it never settles.
  std::shared_ptr<const Snapshot> settle(const double* cpu, const double* free) {
    std::shared_ptr<const Snapshot> previous = report_and_refresh(cpu, free, [] { return 1.0; });
    for (int k = 0; k < 400; ++k) {
      std::shared_ptr<const Snapshot> next = report_and_refresh(cpu, free, [] { return 1.0; });
      const bool still = k >= 20 && moved(*previous, *next) == 0;
      previous = next;
      if (still) return previous;
    }
    return nullptr;
  }

  std::string cluster_;
  std::unique_ptr<Engine> fleet_;
  std::unique_ptr<Engine> leader_;
};

TEST_F(DynamicWeights, TenPercentNoiseOnEverySignalFor100RefreshesMovesNoStream) {
  const double cpu[kServers] = {0.4, 0.4, 0.5, 0.3, 0.4, 0.45, 0.35, 0.4};
  const double free[kServers] = {0.5, 0.6, 0.4, 0.5, 0.55, 0.5, 0.45, 0.5};
  std::shared_ptr<const Snapshot> previous = settle(cpu, free);
  ASSERT_TRUE(previous) << "steady signals never settled";
  ASSERT_TRUE(previous->weighting);
  EXPECT_EQ(previous->weighting->plugin, "marconi");
  std::mt19937_64 random(2026);
  std::uniform_real_distribution<double> ten_percent(0.9, 1.1);
  uint64_t total_moved = 0;
  for (int k = 0; k < 100; ++k) {
    std::shared_ptr<const Snapshot> next = report_and_refresh(cpu, free, [&] { return ten_percent(random); });
    total_moved += moved(*previous, *next);
    previous = next;
  }
  EXPECT_EQ(total_moved, 0u);
}

TEST_F(DynamicWeights, ASustainedDoubleCpuLoadMovesLoadAwayWithinTheMoveBudget) {
  double cpu[kServers], free[kServers];
  std::fill_n(cpu, kServers, 0.4);
  std::fill_n(free, kServers, 0.5);
  std::shared_ptr<const Snapshot> previous = settle(cpu, free);
  ASSERT_TRUE(previous) << "equal weights never settled";
  const std::string hot = server(3);
  const double share_before = share_of(*previous, hot);
  ASSERT_NEAR(share_before, 1.0 / kServers, 0.02);
  cpu[3] = 0.8;
  uint64_t total_moved = 0;
  for (int k = 0; k < 60; ++k) {
    std::shared_ptr<const Snapshot> next = report_and_refresh(cpu, free, [] { return 1.0; });
    const uint64_t now = moved(*previous, *next);
    EXPECT_LE(now, kMaxMoves) << "refresh " << k;
    total_moved += now;
    previous = next;
  }
  const WeighedServer* weighed = previous->weighting->find(hot);
  ASSERT_NE(weighed, nullptr);
  // Once the target is 15% off the factor follows it all the way (2 / (1 + 2 cpu) with the
  // smoothed cpu, about 0.77 after 60 refreshes): the server's share follows its factor.
  const Signal* cpu_load = weighed->signal("cpu_load");
  ASSERT_NE(cpu_load, nullptr);
  const double target = 2.0 / (1.0 + 2.0 * cpu_load->value);
  EXPECT_LT(std::abs(weighed->factor - target), 0.01 * target) << "factor " << weighed->factor << ", target " << target;
  EXPECT_LT(weighed->factor, 0.9 * previous->weighting->find(server(0))->factor);
  EXPECT_LT(share_of(*previous, hot), 0.9 * share_before);
  std::printf("2x cpu on %s: factor %.3f (target %.3f), share %.2f%% -> %.2f%%, %llu streams moved\n", hot.c_str(),
              weighed->factor, target, 100 * share_before, 100 * share_of(*previous, hot),
              static_cast<unsigned long long>(total_moved));
  EXPECT_GT(total_moved, kMaxMoves);  // more than one refresh's budget: the budget held each back
}

TEST_F(DynamicWeights, ANewLeaderKeepsTheSmoothedStateAndMovesNothing) {
  auto second = open_weighing(cluster_, "node-1", true);
  double cpu[kServers], free[kServers];
  std::fill_n(cpu, kServers, 0.4);
  std::fill_n(free, kServers, 0.5);
  cpu[5] = 1.2;
  free[2] = 0.1;
  // Until the factors settled and the policy moved what they asked for.
  std::shared_ptr<const Snapshot> last = report_and_refresh(cpu, free, [] { return 1.0; });
  for (int k = 0, quiet = 0; k < 200 && (k < 30 || quiet < 3); ++k) {
    std::shared_ptr<const Snapshot> next = report_and_refresh(cpu, free, [] { return 1.0; });
    quiet = moved(*last, *next) == 0 ? quiet + 1 : 0;
    last = next;
  }
  const Weighting before = *last->weighting;
  second->wait_version(last->meta.version, 10s);
  leader_.reset();  // fails over to node-1
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*second); }));
  second->refresh();
  std::shared_ptr<const Snapshot> after = second->snapshot();
  ASSERT_GT(after->meta.version, last->meta.version);
  ASSERT_TRUE(after->weighting);
  ASSERT_EQ(after->weighting->servers.size(), before.servers.size());
  for (size_t i = 0; i < before.servers.size(); ++i) {
    const WeighedServer& a = before.servers[i];
    const WeighedServer& b = after->weighting->servers[i];
    EXPECT_EQ(b.factor, a.factor) << a.id;
    ASSERT_EQ(b.signals.size(), a.signals.size()) << a.id;
    for (size_t k = 0; k < a.signals.size(); ++k) EXPECT_EQ(b.signals[k].value, a.signals[k].value) << a.id;
  }
  EXPECT_NE(before.find(server(5))->factor, 1.0);  // there was state to lose
  EXPECT_EQ(moved(*last, *after), 0u);
}

TEST_F(DynamicWeights, TheSnapshotsCapacityIsTheConfiguredOneTimesTheFactor) {
  double cpu[kServers], free[kServers];
  std::fill_n(cpu, kServers, 0.5);
  std::fill_n(free, kServers, 0.5);
  cpu[1] = 2.0;
  std::shared_ptr<const Snapshot> s;
  for (int k = 0; k < 10; ++k) s = report_and_refresh(cpu, free, [] { return 1.0; });
  for (uint32_t j = 0; j < s->server_count(); ++j) {
    const WeighedServer* w = s->weighting->find(s->servers->ids.at(j));
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->capacity, 1.0);
    EXPECT_DOUBLE_EQ(s->servers->capacity[j], w->factor);
  }
  EXPECT_LT(s->weighting->find(server(1))->factor, 0.7);
}

TEST_F(DynamicWeights, ReportsTheLeaderCannotApplyAreCountedNotApplied) {
  const uint64_t rejected = leader_->metrics().intake_rejected;
  fleet_->report_signal("no-such-server", "cpu_load", 0.5);
  fleet_->report_signal(server(0), "cpu_load", 0.9);
  fleet_->flush();
  std::shared_ptr<const Snapshot> s = refresh();
  EXPECT_EQ(leader_->metrics().intake_rejected, rejected + 1);
  EXPECT_EQ(s->weighting->find(server(0))->signal("cpu_load")->value, 0.9);
}

TEST(DynamicWeightsInput, ReportSignalRefusesBadInputNamingIt) {
  auto engine = open_weighing(unique_cluster("weights-input"), "solo", true);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::tuple<std::string, std::string, double, std::string>> cases = {
      {"", "cpu_load", 0.5, "server id is empty"},
      {"s1", "", 0.5, "signal name is empty"},
      {"s1", std::string(65, 'n'), 0.5, "65 bytes"},
      {"s1", "a\nb", 0.5, "control character"},
      {"s1", "cpu_load", nan, "not finite"},
      {"s1", "cpu_load", std::numeric_limits<double>::infinity(), "not finite"},
  };
  for (const auto& [srv, name, value, needle] : cases) {
    try {
      engine->report_signal(srv, name, value);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << needle << " not in: " << e.what();
    }
  }
  EXPECT_NO_THROW(engine->report_signal("s1", "cpu_load", -3.0));  // any finite number: the weigher reads it
}

TEST(DynamicWeightsInput, WithoutAWeigherNothingIsWeighedOrPublished) {
  const std::string cluster = unique_cluster("weights-none");
  NodeSpec spec;
  spec.node_id = "solo";
  auto engine = open_node(cluster, spec);
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*engine); }));
  engine->join("s1", 2.0);
  engine->report_signal("s1", "cpu_load", 5.0);
  engine->flush();
  engine->refresh();
  std::shared_ptr<const Snapshot> s = engine->snapshot();
  EXPECT_FALSE(s->weighting);
  EXPECT_EQ(s->servers->capacity[0], 2.0);
}


// Hosts report signals often: a version per report would publish what smoothing then ignores, so
// signals alone wait for the periodic refresh, while a stream change still brings one forward.
TEST(DynamicWeightsInput, SignalsAloneWaitForThePeriodicRefresh) {
  Options o;
  o.set("backend.name", "memory");
  o.set("backend.cluster", unique_cluster("weights-wait"));
  o.set("weigher.name", "marconi");
  o.set("engine.node_id", "solo");
  o.set("engine.refresh_on_change", "false");
  o.set("engine.refresh_interval", "1h");
  o.set("engine.intake_flush", "2ms");
  o.set("engine.intake_refresh_delay", "2ms");
  Engine engine(o.resolve());
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(engine); }));
  engine.join("s1", 1.0);
  engine.refresh();
  // Whatever the join's intake refresh publishes lands in this quiet spell, not below.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t before = engine.snapshot()->meta.version;
  engine.report_signal("s1", "cpu_load", 0.9);
  engine.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(engine.snapshot()->meta.version, before) << "a signal alone published a version";
  engine.add_stream("stream-1", "", 1.0);
  engine.flush();
  ASSERT_TRUE(eventually([&] { return engine.snapshot()->meta.version > before; }));
  std::shared_ptr<const Snapshot> s = engine.snapshot();
  ASSERT_TRUE(s->weighting);
  ASSERT_NE(s->weighting->find("s1"), nullptr);
  EXPECT_EQ(s->weighting->find("s1")->signal("cpu_load")->value, 0.9);  // the signal rode along
}

}  // namespace
}  // namespace berth::testing
