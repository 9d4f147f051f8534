// The catalogue part of the host C API through libberth.so: locate, migrate, migration_done,
// delete and purged with the arguments a careless host passes, and the whole path of one stream
// (migrated, copied, deleted, purged) as a host's feeds see it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "berth/berth.h"
#include "capi_test_support.h"

namespace {

using namespace std::chrono_literals;

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::kLongestId;
using berth_capi_test::text_of;
using berth_capi_test::Unreadable;

class CatalogueCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth_capi_test::open_memory_engine("catalogue-capi",
                                                    {{"policy.name", "sticky"},
                                                     {"engine.node_id", "n0"},
                                                     {"engine.refresh_interval", "1h"},
                                                     {"engine.refresh_on_change", "true"},
                                                     {"engine.intake_flush", "2ms"},
                                                     {"engine.intake_refresh_delay", "2ms"},
                                                     {"catalogue.migration_interval", "1h"}},
                                                    &engine_));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_join(engine_, "s0", 1.0, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_join(engine_, "s1", 1.0, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_add_stream(engine_, "x", 1, "tenant-x", 1.0, &err), BERTH_OK) << text_of(err);
    ASSERT_EQ(berth_engine_flush(engine_, &err), BERTH_OK) << text_of(err);
    ASSERT_TRUE(until([&] {
      berth_location at{};
      at.struct_size = sizeof at;
      berth_error* none = nullptr;
      int32_t code = berth_locate(engine_, "x", 1, &at, &none);
      berth_error_free(none);
      return code == BERTH_OK && at.known == 1;
    })) << "x never reached a version";
  }
  void TearDown() override { berth_engine_close(engine_); }

  berth_location locate(const std::string& stream) {
    berth_location at{};
    at.struct_size = sizeof at;
    berth_error* err = nullptr;
    EXPECT_EQ(berth_locate(engine_, stream.data(), stream.size(), &at, &err), BERTH_OK) << text_of(err);
    return at;
  }
  template <class Pred>
  static bool until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(2ms);
    }
    return pred();
  }
  static berth_catalogue_event next(berth_catalogue_feed* feed) {
    berth_catalogue_event e{};
    e.struct_size = sizeof e;
    berth_error* err = nullptr;
    EXPECT_EQ(berth_catalogue_poll(feed, 5000, &e, &err), BERTH_OK) << text_of(err);
    return e;
  }

  berth_engine* engine_ = nullptr;
};

TEST_F(CatalogueCapi, BadArgumentsAreRefusedNamingTheFunctionAndWhat) {
  berth_location at{};
  at.struct_size = sizeof at;
  Failure f = failure_of([&](berth_error** e) { return berth_locate(nullptr, "x", 1, &at, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("berth_locate: engine is NULL"), std::string::npos) << f.message;
  f = failure_of([&](berth_error** e) { return berth_locate(engine_, "x", 1, nullptr, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  berth_location unsized{};
  f = failure_of([&](berth_error** e) { return berth_locate(engine_, "x", 1, &unsized, e); });
  EXPECT_NE(f.message.find("struct_size is not set"), std::string::npos) << f.message;
  f = failure_of([&](berth_error** e) { return berth_locate(engine_, "", 0, &at, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  Unreadable page;
  f = failure_of([&](berth_error** e) { return berth_stream_migrate(engine_, page.data(), kLongestId + 1, "s1", e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT) << "the length is checked before the bytes";
  f = failure_of([&](berth_error** e) { return berth_stream_delete(engine_, page.data(), kLongestId + 1, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);

  f = failure_of([&](berth_error** e) { return berth_stream_migrate(engine_, "nope", 4, "s1", e); });
  EXPECT_EQ(f.code, BERTH_E_NOT_FOUND);
  EXPECT_NE(f.message.find("berth_stream_migrate: migrate: stream 'nope' is not in version"), std::string::npos) << f.message;
  f = failure_of([&](berth_error** e) { return berth_stream_migrate(engine_, "x", 1, "nowhere", e); });
  EXPECT_EQ(f.code, BERTH_E_NOT_FOUND);
  EXPECT_NE(f.message.find("destination server 'nowhere'"), std::string::npos) << f.message;
  const std::string owner = locate("x").owner;
  f = failure_of([&](berth_error** e) { return berth_stream_migrate(engine_, "x", 1, owner.c_str(), e); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  EXPECT_NE(f.message.find("written at"), std::string::npos) << f.message;
  f = failure_of([&](berth_error** e) { return berth_migration_done(engine_, "x", 1, "s1", 1, e); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  EXPECT_NE(f.message.find("no migration of stream 'x' to server 's1'"), std::string::npos) << f.message;
  f = failure_of([&](berth_error** e) { return berth_migration_done(engine_, "x", 1, "s1", 2, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  f = failure_of([&](berth_error** e) { return berth_migration_done(engine_, "x", 1, nullptr, 1, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  f = failure_of([&](berth_error** e) { return berth_stream_purged(engine_, "x", 1, "s0", e); });
  EXPECT_EQ(f.code, BERTH_E_STATE);
  f = failure_of([&](berth_error** e) { return berth_stream_delete(engine_, "nope", 4, e); });
  EXPECT_EQ(f.code, BERTH_E_NOT_FOUND);
  berth_catalogue_feed* feed = nullptr;
  f = failure_of([&](berth_error** e) { return berth_catalogue_open(engine_, "", &feed, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(feed, nullptr);
  f = failure_of([&](berth_error** e) { return berth_catalogue_poll(nullptr, 0, nullptr, e); });
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
}

TEST_F(CatalogueCapi, AStreamMigratedCopiedDeletedAndPurgedAsTheHostsFeedsSeeIt) {
  const std::string source = locate("x").owner;
  const std::string dest = source == "s0" ? "s1" : "s0";
  berth_error* err = nullptr;
  berth_catalogue_feed* at_dest = nullptr;
  berth_catalogue_feed* at_source = nullptr;
  ASSERT_EQ(berth_catalogue_open(engine_, dest.c_str(), &at_dest, &err), BERTH_OK) << text_of(err);
  ASSERT_EQ(berth_catalogue_open(engine_, source.c_str(), &at_source, &err), BERTH_OK) << text_of(err);

  ASSERT_EQ(berth_stream_migrate(engine_, "x", 1, dest.c_str(), &err), BERTH_OK) << text_of(err);
  ASSERT_TRUE(until([&] { return locate("x").status == BERTH_STREAM_MIGRATING; }));
  berth_location at = locate("x");
  EXPECT_EQ(std::string(at.owner), dest);
  EXPECT_EQ(at.read_location_count, 2u);
  EXPECT_EQ(std::string(at.migration_source), source);
  EXPECT_EQ(std::string(at.tenant), "tenant-x");
  Failure again = failure_of([&](berth_error** x) { return berth_stream_migrate(engine_, "x", 1, source.c_str(), x); });
  EXPECT_EQ(again.code, BERTH_E_STATE);

  berth_catalogue_event e = next(at_dest);
  ASSERT_EQ(e.kind, BERTH_CATALOGUE_COPY_IN);
  EXPECT_EQ(std::string(e.stream, e.stream_len), "x");
  EXPECT_EQ(std::string(e.source), source);
  ASSERT_EQ(berth_migration_done(engine_, "x", 1, dest.c_str(), 0, &err), BERTH_OK) << text_of(err);
  e = next(at_dest);
  ASSERT_EQ(e.kind, BERTH_CATALOGUE_COPY_IN) << "a failed copy is offered again";
  EXPECT_EQ(e.attempt, 1u);
  EXPECT_EQ(locate("x").status, BERTH_STREAM_MIGRATING);
  ASSERT_EQ(berth_migration_done(engine_, "x", 1, dest.c_str(), 1, &err), BERTH_OK) << text_of(err);
  ASSERT_TRUE(until([&] { return locate("x").status == BERTH_STREAM_ACTIVE; }));
  EXPECT_EQ(locate("x").read_location_count, 1u);
  Failure soon = failure_of([&](berth_error** x) { return berth_stream_migrate(engine_, "x", 1, source.c_str(), x); });
  EXPECT_EQ(soon.code, BERTH_E_STATE);
  EXPECT_NE(soon.message.find("may migrate again in"), std::string::npos) << soon.message;

  ASSERT_EQ(berth_stream_delete(engine_, "x", 1, &err), BERTH_OK) << text_of(err);
  ASSERT_TRUE(until([&] { return locate("x").status == BERTH_STREAM_DELETING; }));
  at = locate("x");
  EXPECT_EQ(at.known, 0);
  EXPECT_EQ(at.owner, nullptr);
  EXPECT_GE(at.read_location_count, 1u);
  e = next(at_dest);
  ASSERT_EQ(e.kind, BERTH_CATALOGUE_PURGE);
  ASSERT_EQ(berth_stream_purged(engine_, "x", 1, dest.c_str(), &err), BERTH_OK) << text_of(err);
  if (at.read_location_count == 2) {  // the source still held it (no release heard)
    e = next(at_source);
    ASSERT_EQ(e.kind, BERTH_CATALOGUE_PURGE);
    ASSERT_EQ(berth_stream_purged(engine_, "x", 1, source.c_str(), &err), BERTH_OK) << text_of(err);
  }
  ASSERT_TRUE(until([&] { return locate("x").status == BERTH_STREAM_ACTIVE; })) << "purged everywhere";
  EXPECT_EQ(locate("x").known, 0);
  berth_catalogue_close(at_dest);
  berth_catalogue_close(at_source);
}

}  // namespace
