// Servers marked for data migration in the leader's step (catalogue/migrations.h), through
// compute_refresh: a migration out of a marked server that is cancelled hands the write location
// back to the marked server, an operator's queued migration of one of its streams starts from it,
// and marking a migration's destination leaves the stream at its source. In every version each
// stream is written (or, while migrating, read) at a server that has its data, and the bounds hold.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "catalogue/migrations.h"
#include "catalogue_fixture.h"

namespace berth::testing {
namespace {

class EvacuationStep : public ::testing::Test {
 protected:
  EvacuationStep() : r_({"a", "b", "c"}) {
    std::vector<IntakeRecord> adds;
    for (int i = 0; i < 9; ++i) adds.push_back(record(IntakeOp::add, "s" + std::to_string(i), "t", 1.0));
    r_.refresh(adds);
    for (int i = 0; i < 9; ++i) {
      std::string s = "s" + std::to_string(i);
      data_[s].insert(r_.owner_of(s));
    }
  }

  void mark(const std::string& server) {
    r_.settings_.migrate_out.push_back(server);
    std::sort(r_.settings_.migrate_out.begin(), r_.settings_.migrate_out.end());
    r_.set_state(server, BERTH_SERVER_DRAINING);  // as a marked server is published
  }
  void remove_server(const std::string& server) {
    r_.remove_server(server);
    for (auto& [stream, at] : data_) {
      at.erase(server);
      if (at.empty()) lost_.insert(stream);  // its only copy left with the server: not checked
    }
  }
  std::vector<std::string> on(const std::string& server) const {
    std::vector<std::string> out;
    for (const auto& [stream, at] : data_)
      if (r_.owner_of(stream) == server) out.push_back(stream);
    return out;
  }

  // One refresh; then every stream is written at a server with its data, or migrating from one.
  RefreshResult refresh(const std::vector<IntakeRecord>& records) {
    for (const IntakeRecord& rec : records)
      if (rec.op == IntakeOp::migration_done) data_[rec.stream].insert(rec.tenant);
    RefreshResult out = r_.refresh(records);
    if (r_.now().catalogue) {
      const std::vector<Migration>& running = r_.now().catalogue->migrations;
      EXPECT_LE(running.size(), r_.settings_.max_migrations);
      std::map<std::string, uint32_t> per_server;
      for (const Migration& m : running) {
        ++per_server[m.source];
        ++per_server[m.destination];
      }
      for (const auto& [server, n] : per_server) EXPECT_LE(n, r_.settings_.max_migrations_per_server) << server;
    }
    for (const auto& [stream, at] : data_) {
      if (lost_.count(stream) != 0) continue;
      catalogue::StreamLocation loc = r_.locate(stream);
      const char* holder = loc.status == CatalogueStatus::migrating ? loc.source : loc.owner;
      EXPECT_TRUE(holder != nullptr && at.count(holder) != 0)
          << stream << " at version " << r_.now().meta.version << " is written or read at "
          << (holder != nullptr ? holder : "nowhere") << ", which lacks its data";
    }
    return out;
  }
  // Refreshes answering every running copy done, until the server writes nothing and nothing runs.
  void drain(const std::string& server, std::set<std::string>& migrated) {
    for (int n = 0; n < 60; ++n) {
      std::vector<IntakeRecord> done;
      if (r_.now().catalogue)
        for (const Migration& m : r_.now().catalogue->migrations) {
          done.push_back(record(IntakeOp::migration_done, m.stream, m.destination));
          if (m.source == server) migrated.insert(m.stream);
        }
      if (done.empty() && on(server).empty()) return;
      refresh(done);
      if (::testing::Test::HasFailure()) return;
    }
    ADD_FAILURE() << server << " still writes " << on(server).size() << " streams after 60 refreshes";
  }
  // As drain, until `server` writes only `kept` and nothing runs.
  void drain_but(const std::string& server, const std::string& kept, std::set<std::string>& migrated) {
    for (int n = 0; n < 60; ++n) {
      std::vector<IntakeRecord> done;
      if (r_.now().catalogue)
        for (const Migration& m : r_.now().catalogue->migrations) {
          done.push_back(record(IntakeOp::migration_done, m.stream, m.destination));
          if (m.source == server) migrated.insert(m.stream);
        }
      if (done.empty() && on(server) == std::vector<std::string>{kept}) return;
      refresh(done);
      if (::testing::Test::HasFailure()) return;
    }
    ADD_FAILURE() << server << " still writes " << on(server).size() << " streams after 60 refreshes";
  }
  std::string other(const std::string& x, const std::string& y) const {
    for (const char* s : {"a", "b", "c"})
      if (s != x && s != y) return s;
    return "";
  }

  CatalogueRefresher r_;
  std::map<std::string, std::set<std::string>> data_;  // servers holding each stream's data
  std::set<std::string> lost_;
};

TEST_F(EvacuationStep, ADestinationThatLeavesMidCopyHandsTheStreamBackToTheMarkedServerWhichMigratesItLater) {
  r_.settings_.max_migrations = 1;
  const std::string x = r_.owner_of("s0");
  ASSERT_FALSE(on(x).empty());
  mark(x);
  refresh({});
  ASSERT_TRUE(r_.now().catalogue && r_.now().catalogue->migrations.size() == 1);
  const Migration first = r_.now().catalogue->migrations[0];
  EXPECT_EQ(first.source, x);
  remove_server(first.destination);
  RefreshResult cancelled = refresh({});
  EXPECT_EQ(cancelled.catalogue.cancelled, 1u);
  EXPECT_EQ(r_.owner_of(first.stream), x) << "written at the marked server again, which has its data";
  EXPECT_EQ(r_.locate(first.stream).status, CatalogueStatus::active);
  std::set<std::string> migrated;
  drain(x, migrated);
  EXPECT_EQ(migrated.count(first.stream), 1u) << "migrated out of the marked server later";
  EXPECT_TRUE(on(x).empty());
}

TEST_F(EvacuationStep, AnOperatorMigrationQueuedBehindTheEvacuationStartsFromTheMarkedServer) {
  r_.settings_.max_migrations_per_server = 1;
  const std::string x = r_.owner_of("s0");
  mark(x);
  refresh({});
  ASSERT_TRUE(r_.now().catalogue && r_.now().catalogue->migrations.size() == 1) << "the marked server's bound is full";
  const std::string running = r_.now().catalogue->migrations[0].stream;
  std::string asked;
  for (const std::string& s : on(x))
    if (s != running) asked = s;
  ASSERT_FALSE(asked.empty());
  const std::string dest = other(x, r_.now().catalogue->migrations[0].destination);
  refresh({record(IntakeOp::migrate, asked, dest)});
  EXPECT_TRUE(r_.locate(asked).queued);
  EXPECT_EQ(r_.owner_of(asked), x) << "a queued migration hands nothing off: the marked server keeps writing it";
  std::set<std::string> migrated;
  drain(x, migrated);
  EXPECT_EQ(migrated.count(asked), 1u);
  EXPECT_EQ(r_.owner_of(asked), dest) << "the operator's destination";
  EXPECT_TRUE(on(x).empty());
}

TEST_F(EvacuationStep, MarkingTheDestinationOfARunningMigrationLeavesTheStreamAtItsSource) {
  const std::string source = r_.owner_of("s0");
  const std::string dest = other(source, "");
  refresh({record(IntakeOp::migrate, "s0", dest)});
  ASSERT_EQ(r_.locate("s0").status, CatalogueStatus::migrating);
  mark(dest);
  RefreshResult r = refresh({});
  EXPECT_EQ(r.catalogue.cancelled, 1u);
  EXPECT_EQ(r_.owner_of("s0"), source) << "not pinned back to the marked server, which has a partial copy";
  EXPECT_EQ(r_.locate("s0").status, CatalogueStatus::active);
  EXPECT_TRUE(!r_.now().catalogue || !r_.now().catalogue->migration_of("s0")) << "no migration starts from the partial copy";
  refresh({});
  EXPECT_EQ(r_.owner_of("s0"), source);
}

TEST_F(EvacuationStep, AStreamMigratedInWithinTheIntervalLeavesTheMarkedServerOnlyAfterIt) {
  r_.settings_.migration_interval_ms = 5000;
  r_.settings_.max_migrations_per_server = 2;
  const std::string x = r_.owner_of("s0");
  std::string recent;
  for (const auto& [stream, at] : data_)
    if (r_.owner_of(stream) != x) recent = stream;
  ASSERT_FALSE(recent.empty());
  r_.clock_ms_ = 1000000;
  r_.refresh({record(IntakeOp::migrate, recent, x)});
  r_.refresh({record(IntakeOp::migration_done, recent, x)});
  ASSERT_EQ(r_.owner_of(recent), x);
  for (auto& [stream, at] : data_) at = {r_.owner_of(stream)};  // the policy may hand off before the mark
  r_.clock_ms_ = 1001000;
  mark(x);
  std::set<std::string> migrated;
  drain_but(x, recent, migrated);
  EXPECT_EQ(on(x), std::vector<std::string>{recent}) << "every other stream left; this one is within the interval";
  EXPECT_EQ(migrated.count(recent), 0u);
  r_.clock_ms_ = 1006000;  // 5 s after its copy was done
  drain(x, migrated);
  EXPECT_EQ(migrated.count(recent), 1u) << "migrated out once the interval passed";
  EXPECT_TRUE(on(x).empty());
}

}  // namespace
}  // namespace berth::testing
