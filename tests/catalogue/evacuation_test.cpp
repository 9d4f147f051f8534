// Servers an operator marks for data migration (docs/catalogue.md, "Migrating a server out"),
// through engines on one memory cluster: the leader migrates every stream out through the
// catalogue's migrations, never past max_migrations or max_migrations_per_server in any version,
// the server takes no new stream meanwhile, and it ends registered and empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <limits>
#include <set>

#include "engine/engine_fixture.h"
#include "snapshot/catalogue_entries.h"

namespace berth::testing {
namespace {

constexpr uint32_t kMaxMigrations = 10;
constexpr uint32_t kPerServer = 4;
constexpr int kStreams = 200;

std::unique_ptr<Engine> open_bounded(const std::string& cluster, const std::string& id, bool campaign) {
  Options o;
  o.set("backend.name", "memory");
  o.set("backend.cluster", cluster);
  o.set("policy.name", "sticky");
  o.set("appraiser.name", "reported");
  o.set("engine.node_id", id);
  o.set("engine.campaign", campaign ? "true" : "false");
  o.set("engine.refresh_on_change", "false");
  o.set("engine.refresh_interval", "1h");
  o.set("engine.intake_flush", "2ms");
  o.set("engine.intake_refresh_delay", "0");
  o.set("catalogue.max_migrations", std::to_string(kMaxMigrations));
  o.set("catalogue.max_migrations_per_server", std::to_string(kPerServer));
  o.set("catalogue.migration_interval", "1h");
  return std::make_unique<Engine>(o.resolve());
}

uint64_t streams_on(const Snapshot& s, const std::string& server) {
  uint32_t index = catalogue::server_of(s, server);
  uint64_t n = 0;
  for (uint64_t i = 0; i < s.stream_count(); ++i) n += s.owner[i] == index ? 1 : 0;
  return n;
}

// The bounds, checked on one version; returns how many migrations run in it.
size_t check_bounds(const Snapshot& s) {
  if (!s.catalogue) return 0;
  std::map<std::string, uint32_t> per_server;
  for (const Migration& m : s.catalogue->migrations) {
    ++per_server[m.source];
    ++per_server[m.destination];
  }
  EXPECT_LE(s.catalogue->migrations.size(), kMaxMigrations) << "version " << s.meta.version;
  for (const auto& [server, n] : per_server) EXPECT_LE(n, kPerServer) << "server " << server << ", version " << s.meta.version;
  return s.catalogue->migrations.size();
}

// `marked` servers hold kStreams streams between them (placed before the other four joined),
// are marked together, and a host answers every COPY_IN with migration_done until none is left.
// Returns the most migrations any version ran at once.
size_t migrate_out(int marked) {
  const std::string cluster = unique_cluster("evacuation");
  auto fleet = open_bounded(cluster, "fleet", false);
  auto leader = open_bounded(cluster, "node-0", true);
  EXPECT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader); }));
  std::vector<std::string> sources;
  for (int i = 0; i < marked; ++i) {
    sources.push_back("server-" + std::to_string(i));
    fleet->join(sources.back(), 1.0);
  }
  std::vector<std::string> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back("stream-" + std::to_string(i));
    fleet->add_stream(streams.back(), "", 1.0);
  }
  fleet->flush();
  leader->refresh();
  fleet->wait_version(leader->status().version, 30s);
  auto on_sources = [&](const Snapshot& s) {
    uint64_t n = 0;
    for (const std::string& server : sources) n += streams_on(s, server);
    return n;
  };
  EXPECT_EQ(on_sources(*leader->snapshot()), uint64_t{kStreams});
  for (int i = marked; i < marked + 4; ++i) fleet->join("server-" + std::to_string(i), 1.0);

  catalogue::EvacuationPlan plan = leader->migrate_server("server-0", true, /*check_only=*/true);
  EXPECT_EQ(plan.streams, streams_on(*leader->snapshot(), "server-0"));
  for (const std::string& server : sources) fleet->migrate_server(server, true);
  fleet->flush();

  std::set<std::string> copied;  // the copies the host reported done
  uint64_t last = leader->snapshot()->meta.version;
  size_t most = 0;
  int refreshes = 0;
  bool new_stream_added = false;
  for (; refreshes < 400; ++refreshes) {
    leader->refresh();
    std::shared_ptr<const Snapshot> s = leader->snapshot();
    EXPECT_EQ(s->meta.version, last + 1) << "every published version is checked";
    last = s->meta.version;
    most = std::max(most, check_bounds(*s));
    if (::testing::Test::HasFailure()) return most;
    for (const std::string& server : sources) {
      uint32_t index = catalogue::server_of(*s, server);
      EXPECT_NE(index, BERTH_NO_SERVER) << server << " stays in the version";
      if (index != BERTH_NO_SERVER) {
        EXPECT_EQ(s->servers->state[index], BERTH_SERVER_DRAINING) << "it takes no new stream";
      }
    }
    if (new_stream_added) {
      catalogue::StreamLocation at = leader->locate("stream-new");
      EXPECT_TRUE(at.known);
      EXPECT_TRUE(at.owner != nullptr && std::find(sources.begin(), sources.end(), at.owner) == sources.end())
          << "a new stream lands on no marked server";
    }
    if (refreshes == 3) {
      fleet->add_stream("stream-new", "", 1.0);
      fleet->flush();
      new_stream_added = true;
    }
    const bool running = s->catalogue && !s->catalogue->migrations.empty();
    if (!running && on_sources(*s) == 0) break;
    // The destination's host answers its feed: COPY_IN for each running migration into it.
    if (s->catalogue)
      for (const Migration& m : s->catalogue->migrations) {
        EXPECT_NE(std::find(sources.begin(), sources.end(), m.source), sources.end()) << m.stream;
        leader->migration_done(m.stream, m.destination, true);
        copied.insert(m.stream);
      }
    leader->flush();
  }
  std::shared_ptr<const Snapshot> s = leader->snapshot();
  std::printf("server migration: %d streams out of %d servers in %d refreshes, at most %zu running at once\n", kStreams,
              marked, refreshes + 1, most);
  EXPECT_GE(uint64_t(refreshes + 1), plan.refreshes) << "the dry run's figure is a lower bound";
  EXPECT_EQ(on_sources(*s), 0u);
  for (const std::string& stream : streams) {
    catalogue::StreamLocation at = leader->locate(stream);
    EXPECT_EQ(at.status, CatalogueStatus::active) << stream;
    EXPECT_TRUE(at.owner != nullptr && std::find(sources.begin(), sources.end(), at.owner) == sources.end()) << stream;
    EXPECT_EQ(copied.count(stream), 1u) << stream << ": its data copy was reported";
  }
  EXPECT_EQ(copied.size(), size_t{kStreams});
  for (const std::string& server : sources) {
    EXPECT_NE(catalogue::server_of(*s, server), BERTH_NO_SERVER) << server << " stays, empty";
    EXPECT_TRUE(s->operator_servers && s->operator_servers->find(server) && s->operator_servers->find(server)->migrate);
  }

  // Clearing the mark: the server is up again and the policy may use it. The fleet checks the
  // clear against the version it serves, which must show the mark.
  fleet->wait_version(leader->status().version, 30s);
  fleet->migrate_server("server-0", false);
  fleet->flush();
  leader->refresh();
  s = leader->snapshot();
  EXPECT_EQ(s->servers->state[catalogue::server_of(*s, "server-0")], BERTH_SERVER_UP);
  EXPECT_FALSE(s->operator_servers && s->operator_servers->find("server-0")) << "an entry that sets nothing is dropped";
  return most;
}

TEST(ServerMigration, TwoHundredStreamsLeaveAMarkedServerWithinBothBoundsInEveryVersionAndItEndsEmpty) {
  EXPECT_EQ(migrate_out(1), size_t{kPerServer}) << "the source's bound is the tighter one, and it is used";
}

TEST(ServerMigration, ThreeMarkedServersAreHeldToTheTotalBound) {
  EXPECT_EQ(migrate_out(3), size_t{kMaxMigrations}) << "three sources could run 12: the total bound holds them to 10";
}

// server-0 holds `streams` streams (placed before server-1..3 joined) and is marked.
void place_and_mark(Engine& fleet, Engine& leader, int streams) {
  fleet.join("server-0", 1.0);
  for (int i = 0; i < streams; ++i) fleet.add_stream("stream-" + std::to_string(i), "", 1.0);
  fleet.flush();
  leader.refresh();
  fleet.wait_version(leader.status().version, 30s);
  for (int i = 1; i < 4; ++i) fleet.join("server-" + std::to_string(i), 1.0);
  fleet.migrate_server("server-0", true);
  fleet.flush();
}

TEST(ServerMigration, ANewLeaderMidEvacuationGoesOnWithinTheBoundsAndEndsIt) {
  const std::string cluster = unique_cluster("evacuation-leader");
  auto fleet = open_bounded(cluster, "fleet", false);
  std::vector<std::unique_ptr<Engine>> nodes;
  nodes.push_back(open_bounded(cluster, "node-0", true));
  nodes.push_back(open_bounded(cluster, "node-1", true));
  auto leading = [&]() -> Engine* {
    for (auto& n : nodes)
      if (n->status().is_leader) return n.get();
    return nullptr;
  };
  ASSERT_TRUE(eventually([&] { return leading() != nullptr; }));
  Engine* leader = leading();
  constexpr int kFew = 60;
  place_and_mark(*fleet, *leader, kFew);
  std::set<std::string> copied;
  bool handed_over = false;
  for (int n = 0; n < 100; ++n) {
    leader->refresh();
    std::shared_ptr<const Snapshot> s = leader->snapshot();
    check_bounds(*s);
    if (::testing::Test::HasFailure()) return;
    const bool running = s->catalogue && !s->catalogue->migrations.empty();
    if (!running && streams_on(*s, "server-0") == 0) break;
    if (n == 3 && !handed_over) {
      ASSERT_TRUE(running);
      const uint64_t epoch = leader->status().epoch, v = s->meta.version;
      leader->resign();
      Engine* next = nullptr;
      ASSERT_TRUE(eventually([&] {
        for (auto& e : nodes)
          if (e->status().is_leader && e->status().epoch > epoch && e->status().version > v) next = e.get();
        return next != nullptr;
      })) << "no new leader published";
      std::shared_ptr<const Snapshot> first = next->snapshot();
      check_bounds(*first);
      ASSERT_TRUE(first->catalogue);
      EXPECT_EQ(first->catalogue->migrations, s->catalogue->migrations) << "the new leader keeps the running migrations";
      EXPECT_TRUE(first->operator_servers && first->operator_servers->find("server-0") &&
                  first->operator_servers->find("server-0")->migrate) << "and the mark";
      leader = next;
      handed_over = true;
      s = first;
    }
    if (s->catalogue)
      for (const Migration& m : s->catalogue->migrations) {
        EXPECT_EQ(m.source, "server-0") << m.stream;
        leader->migration_done(m.stream, m.destination, true);
        copied.insert(m.stream);
      }
    leader->flush();
  }
  EXPECT_TRUE(handed_over);
  std::shared_ptr<const Snapshot> s = leader->snapshot();
  EXPECT_EQ(streams_on(*s, "server-0"), 0u);
  EXPECT_EQ(copied.size(), size_t{kFew}) << "every stream left through a reported copy";
  for (int i = 0; i < kFew; ++i) {
    catalogue::StreamLocation at = leader->locate("stream-" + std::to_string(i));
    EXPECT_EQ(at.status, CatalogueStatus::active);
    EXPECT_TRUE(at.owner != nullptr && std::string(at.owner) != "server-0");
  }
}

TEST(ServerMigration, ADeletionMidMigrationWinsAndTheEvacuationGoesOn) {
  const std::string cluster = unique_cluster("evacuation-delete");
  auto fleet = open_bounded(cluster, "fleet", false);
  auto leader = open_bounded(cluster, "node-0", true);
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader); }));
  constexpr int kFew = 30;
  place_and_mark(*fleet, *leader, kFew);
  leader->refresh();
  std::shared_ptr<const Snapshot> s = leader->snapshot();
  check_bounds(*s);
  ASSERT_TRUE(s->catalogue && !s->catalogue->migrations.empty());
  const Migration doomed = s->catalogue->migrations[0];
  leader->delete_stream(doomed.stream);
  leader->flush();
  leader->refresh();
  s = leader->snapshot();
  check_bounds(*s);
  EXPECT_FALSE(leader->locate(doomed.stream).known) << "deletion wins over the running migration";
  ASSERT_TRUE(s->catalogue);
  EXPECT_EQ(s->catalogue->migration_of(doomed.stream), nullptr);
  std::set<std::string> purges;
  for (std::string_view p : s->catalogue->purges_of(doomed.stream)) purges.emplace(p);
  EXPECT_EQ(purges, (std::set<std::string>{doomed.source, doomed.destination})) << "both copies are to purge";
  EXPECT_THROW(leader->migration_done(doomed.stream, doomed.destination, true), Error) << "a late report is refused";
  std::set<std::string> copied;
  for (int n = 0; n < 100; ++n) {
    if (s->catalogue)
      for (const Migration& m : s->catalogue->migrations) {
        EXPECT_NE(m.stream, doomed.stream) << "a deleted stream is not migrated again";
        leader->migration_done(m.stream, m.destination, true);
        copied.insert(m.stream);
      }
    leader->flush();
    leader->refresh();
    s = leader->snapshot();
    check_bounds(*s);
    if (::testing::Test::HasFailure()) return;
    if ((!s->catalogue || s->catalogue->migrations.empty()) && streams_on(*s, "server-0") == 0) break;
  }
  EXPECT_EQ(streams_on(*s, "server-0"), 0u);
  EXPECT_FALSE(leader->locate(doomed.stream).known);
  EXPECT_EQ(copied.count(doomed.stream), 0u);
  EXPECT_EQ(copied.size(), size_t{kFew - 1}) << "every other stream left through a reported copy";
}

TEST(ServerMigration, TheDryRunSaysHowManyStreamsTheBoundsAndTheFewestRefreshes) {
  const std::string cluster = unique_cluster("evacuation-plan");
  auto fleet = open_bounded(cluster, "fleet", false);
  auto leader = open_bounded(cluster, "node-0", true);
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader); }));
  fleet->join("server-0", 1.0);
  for (int i = 0; i < kStreams; ++i) fleet->add_stream("stream-" + std::to_string(i), "", 1.0);
  fleet->flush();
  leader->refresh();
  catalogue::EvacuationPlan plan = leader->migrate_server("server-0", true, /*check_only=*/true);
  EXPECT_FALSE(plan.marked);
  EXPECT_EQ(plan.streams, uint64_t{kStreams});
  EXPECT_EQ(plan.max_migrations, kMaxMigrations);
  EXPECT_EQ(plan.max_migrations_per_server, kPerServer);
  EXPECT_EQ(plan.per_refresh, kPerServer);
  EXPECT_EQ(plan.refreshes, uint64_t{kStreams / kPerServer + 1});
  EXPECT_FALSE(leader->snapshot()->operator_servers) << "a dry run sends nothing";

  // Other marked servers share max_migrations; they never lift this server's own bound.
  fleet->join("server-1", 1.0);
  fleet->join("server-2", 1.0);
  fleet->flush();
  leader->refresh();
  fleet->wait_version(leader->status().version, 30s);
  fleet->migrate_server("server-1", true);
  fleet->migrate_server("server-2", true);
  fleet->flush();
  leader->refresh();
  plan = leader->migrate_server("server-0", true, /*check_only=*/true);
  EXPECT_EQ(plan.marked_servers, 3u);
  EXPECT_EQ(plan.per_refresh, kPerServer) << "at most kPerServer of server-0's streams leave in one refresh";
  EXPECT_GT(plan.streams, uint64_t{kPerServer});
  EXPECT_EQ(plan.refreshes, (plan.streams + kPerServer - 1) / kPerServer + 1);
}

TEST(ServerMigration, TheCallersChecksRefuseAnUnknownServerAReadOnlyOneAndAMarkThatIsNotThere) {
  const std::string cluster = unique_cluster("evacuation-checks");
  auto fleet = open_bounded(cluster, "fleet", false);
  auto leader = open_bounded(cluster, "node-0", true);
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*leader); }));
  fleet->join("server-0", 1.0);
  fleet->join("server-1", 1.0);
  leader->refresh();
  auto code = [&](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return e.code();
    }
    return BERTH_OK;
  };
  EXPECT_EQ(code([&] { leader->migrate_server("nowhere", true); }), BERTH_E_NOT_FOUND);
  EXPECT_EQ(code([&] { leader->migrate_server("server-0", false); }), BERTH_E_STATE) << "not marked";
  ServerChange seal;
  seal.id = "server-1";
  seal.fields = kServerSetState;
  seal.state = BERTH_SERVER_READ_ONLY;
  leader->set_server(seal);
  leader->flush();
  leader->refresh();
  EXPECT_EQ(code([&] { leader->migrate_server("server-1", true); }), BERTH_E_STATE) << "read-only";
  leader->migrate_server("server-0", true);
  leader->flush();
  leader->refresh();
  EXPECT_EQ(code([&] { leader->migrate_server("server-0", true); }), BERTH_E_STATE) << "marked already";
}

TEST(ServerMigration, AMarkTravelsInTheIntakePayloadAndABadMarkIsRefused) {
  ServerChange c;
  c.id = "s";
  c.fields = kServerSetMigrate | kServerSetLabels;
  c.migrate = true;
  c.labels = parse_labels("zone=a");
  ServerChange back = parse_server_change("s", server_change_payload(c), std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(back.fields, c.fields);
  EXPECT_TRUE(back.migrate);
  EXPECT_EQ(back.labels, c.labels);
  std::string bad = server_change_payload(c);
  bad[2] = 7;
  EXPECT_THROW(parse_server_change("s", bad, std::numeric_limits<double>::quiet_NaN()), Error);
  EXPECT_THROW(parse_server_change("s", std::string("\x10\x00", 2), std::numeric_limits<double>::quiet_NaN()), Error) << "the mark is missing";
}

}  // namespace
}  // namespace berth::testing
