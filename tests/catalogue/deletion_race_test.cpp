// Deletion wins (docs/catalogue.md): migrate, a copy reported done or failed, delete_stream and a
// late migration_done after the delete, in every order, all in one refresh or spread over
// several. After the delete the stream is never present, every location it had is to purge,
// nothing brings it back, and an add afterwards creates it fresh.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "catalogue_fixture.h"

namespace berth::testing {
namespace {

enum Op { kMigrate, kDone, kFailed, kDelete };

std::vector<IntakeRecord> records_of(Op op, const std::string& dest) {
  switch (op) {
    case kMigrate: return {record(IntakeOp::migrate, "x", dest)};
    case kDone: return {record(IntakeOp::migration_done, "x", dest)};
    case kFailed: return {record(IntakeOp::migration_failed, "x", dest)};
    case kDelete: return {record(IntakeOp::remove, "x"), record(IntakeOp::delete_stream, "x")};
  }
  return {};
}

std::string describe(const std::vector<Op>& order, unsigned splits) {
  static const char* kNames[] = {"migrate", "done", "failed", "delete"};
  std::string out;
  for (size_t k = 0; k < order.size(); ++k) {
    out += kNames[order[k]];
    if (k + 1 < order.size()) out += (splits >> k) & 1 ? " | " : ", ";
  }
  return out + ", late done";
}

// One scenario: `order` of the four ops, a refresh between op k and k+1 when bit k of `splits`
// is set, then a late migration_done (and a seen, a report, a migrate) after everything.
void run(const std::vector<Op>& order, unsigned splits) {
  SCOPED_TRACE(describe(order, splits));
  CatalogueRefresher r({"a", "b"});
  r.refresh({record(IntakeOp::add, "x", "tenant-x", 1.0), record(IntakeOp::add, "y", "", 1.0)});
  const std::string source = r.owner_of("x");
  const std::string dest = source == "a" ? "b" : "a";

  std::set<std::string> had;  // every location x had, write and read, up to its deletion
  bool deleted = false;
  auto record_locations = [&] {
    if (!r.present("x")) return;
    for (const std::string& s : r.reads("x")) had.insert(s);
    catalogue::StreamLocation at = r.locate("x");
    if (at.holder != nullptr) had.insert(at.holder);
  };
  auto check_deleted = [&] {
    EXPECT_FALSE(r.present("x")) << "a deleted stream is routed as present";
    EXPECT_TRUE(r.now().tombstones && r.now().tombstones->contains("x"));
    const CatalogueEntries* c = r.now().catalogue.get();
    EXPECT_TRUE(c == nullptr || (c->migration_of("x") == nullptr && c->queued_of("x") == nullptr));
  };

  std::vector<IntakeRecord> batch;
  for (size_t k = 0; k < order.size(); ++k) {
    for (IntakeRecord& rec : records_of(order[k], dest)) batch.push_back(std::move(rec));
    bool last = k + 1 == order.size();
    if (order[k] == kDelete && !deleted) deleted = true;
    if (last || ((splits >> k) & 1)) {
      if (!deleted) {
        r.refresh(batch);
        record_locations();
      } else {
        bool deleting_now = std::any_of(batch.begin(), batch.end(),
                                        [](const IntakeRecord& x) { return x.op == IntakeOp::delete_stream; });
        if (deleting_now) record_locations();  // what the base had, the last version before the delete
        r.refresh(batch);
        check_deleted();
        if (deleting_now) {
          std::vector<std::string> purges = r.purges("x");
          EXPECT_EQ(std::set<std::string>(purges.begin(), purges.end()), had) << "every location is to purge";
          EXPECT_EQ(r.locate("x").status, CatalogueStatus::deleting);
        }
      }
      batch.clear();
    }
  }
  // Late records: none brings it back.
  r.refresh({record(IntakeOp::migration_done, "x", dest), record(IntakeOp::seen, "x"),
             record(IntakeOp::report, "x", "", 3.0), record(IntakeOp::migrate, "x", dest)});
  check_deleted();
  EXPECT_FALSE(r.purges("x").empty());
  // Created again: fresh, active, no migration.
  r.refresh({record(IntakeOp::add, "x", "tenant-new", 2.0)});
  catalogue::StreamLocation at = r.locate("x");
  EXPECT_TRUE(at.known);
  EXPECT_EQ(at.status, CatalogueStatus::active);
  EXPECT_EQ(at.tenant, "tenant-new");
  EXPECT_FALSE(at.queued);
  EXPECT_EQ(at.read_locations.size(), 1u);
}

TEST(DeletionRace, EveryOrderAndEverySpreadOverRefreshesEndsDeleted) {
  std::vector<Op> order{kMigrate, kDone, kFailed, kDelete};
  int scenarios = 0;
  do {
    for (unsigned splits = 0; splits < 8; ++splits) {
      run(order, splits);
      ++scenarios;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(scenarios, 24 * 8);
}

TEST(DeletionRace, ADeleteMidMigrationPurgesBothTheSourceAndTheDestination) {
  CatalogueRefresher r({"a", "b"});
  r.refresh({record(IntakeOp::add, "x", "", 1.0)});
  const std::string source = r.owner_of("x");
  const std::string dest = source == "a" ? "b" : "a";
  r.refresh({record(IntakeOp::migrate, "x", dest)});
  r.refresh({record(IntakeOp::remove, "x"), record(IntakeOp::delete_stream, "x")});
  EXPECT_EQ(r.purges("x"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace berth::testing
