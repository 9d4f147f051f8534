// The API 1.7 calls of the rest of the catalogue through the C API (berth.h): marking a server
// for data migration (dry run, apply, the entry's bit, clearing it, refusals) and berth_locate_why.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "berth/berth.h"
#include "engine/engine_fixture.h"

namespace berth::testing {
namespace {

class CatalogueRestCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    berth_options* o = nullptr;
    ASSERT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
    const std::string cluster = unique_cluster("catrest-capi");
    for (auto [k, v] : {std::pair<std::string, std::string>{"backend.name", "memory"}, {"backend.cluster", cluster},
                        {"policy.name", "sticky"}, {"engine.refresh_interval", "1h"},
                        {"engine.intake_refresh_delay", "0"}, {"engine.intake_flush", "2ms"},
                        {"catalogue.max_migrations", "3"}, {"catalogue.max_migrations_per_server", "2"}})
      ASSERT_EQ(berth_options_set(o, k.c_str(), v.c_str(), nullptr), BERTH_OK) << k;
    ASSERT_EQ(berth_engine_open(o, &engine_, nullptr), BERTH_OK);
    berth_options_free(o);
    for (const char* s : {"a", "b", "c"}) ASSERT_EQ(berth_engine_join(engine_, s, 1.0, nullptr), BERTH_OK);
    for (int i = 0; i < 30; ++i) {
      const std::string id = "stream-" + std::to_string(i);
      ASSERT_EQ(berth_engine_add_stream(engine_, id.data(), id.size(), "", 1.0, nullptr), BERTH_OK);
    }
    ASSERT_EQ(berth_engine_flush(engine_, nullptr), BERTH_OK);
    ASSERT_TRUE(eventually([&] { return berth_engine_refresh(engine_, nullptr) == BERTH_OK; }));
  }
  void TearDown() override { berth_engine_close(engine_); }
  void refresh() {
    ASSERT_EQ(berth_engine_flush(engine_, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_refresh(engine_, nullptr), BERTH_OK);
  }
  uint32_t entry_fields(const char* server) {
    berth_snapshot* s = nullptr;
    EXPECT_EQ(berth_engine_snapshot(engine_, &s, nullptr), BERTH_OK);
    uint32_t fields = 0;
    for (uint32_t k = 0; k < berth_snapshot_operator_server_count(s); ++k) {
      berth_server_entry e{};
      e.struct_size = sizeof e;
      EXPECT_EQ(berth_snapshot_operator_server(s, k, &e, nullptr), BERTH_OK);
      if (std::strcmp(e.id, server) == 0) fields = e.fields;
      berth_string_free(e.labels);
    }
    berth_snapshot_release(s);
    return fields;
  }
  // Runs `call` with a fresh error slot; its code, and the error's message in `message`.
  template <class Call>
  int32_t code_of(Call&& call, std::string* message = nullptr) {
    berth_error* err = nullptr;
    const int32_t rc = call(&err);
    if (err != nullptr) {
      if (message != nullptr) *message = berth_error_message(err);
      berth_error_free(err);
    }
    return rc;
  }
  berth_engine* engine_ = nullptr;
};

TEST_F(CatalogueRestCapi, ADryRunSaysTheBoundsAndSendsNothingAndApplyMarksAndClearsTheServer) {
  berth_server_migration plan{};
  plan.struct_size = sizeof plan;
  ASSERT_EQ(berth_engine_server_migrate(engine_, "a", 1, 1, &plan, nullptr), BERTH_OK);
  EXPECT_EQ(plan.marked, 0);
  EXPECT_GT(plan.streams, 0u);
  EXPECT_EQ(plan.max_migrations, 3u);
  EXPECT_EQ(plan.max_migrations_per_server, 2u);
  EXPECT_EQ(plan.per_refresh, 2u);
  EXPECT_EQ(plan.refreshes, (plan.streams + 1) / 2 + 1);
  refresh();
  EXPECT_EQ(entry_fields("a"), 0u) << "a dry run sends nothing";

  ASSERT_EQ(berth_engine_server_migrate(engine_, "a", 1, 0, nullptr, nullptr), BERTH_OK);
  refresh();
  EXPECT_EQ(entry_fields("a"), BERTH_SERVER_SET_MIGRATE);
  berth_placement_why why{};
  why.struct_size = sizeof why;
  int migrating_out = 0;
  for (int i = 0; i < 30; ++i) {
    const std::string id = "stream-" + std::to_string(i);
    ASSERT_EQ(berth_locate_why(engine_, id.data(), id.size(), &why, nullptr), BERTH_OK);
    migrating_out += why.decision == BERTH_WHY_MIGRATING_OUT;
    EXPECT_NE(why.detail, nullptr);
  }
  EXPECT_EQ(migrating_out, static_cast<int>(plan.streams)) << "running or waiting, each of a's streams says so";

  std::string message;
  EXPECT_EQ(code_of([&](berth_error** e) { return berth_engine_server_migrate(engine_, "a", 1, 0, nullptr, e); }, &message), BERTH_E_STATE);
  EXPECT_NE(message.find("berth_engine_server_migrate: migrate_server: server 'a' is marked"), std::string::npos) << message;
  ASSERT_EQ(berth_engine_server_migrate(engine_, "a", 0, 0, nullptr, nullptr), BERTH_OK);
  refresh();
  EXPECT_EQ(entry_fields("a"), 0u);
}

TEST_F(CatalogueRestCapi, BadArgumentsAreRefusedNamingWhat) {
  std::string message;
  EXPECT_EQ(code_of([&](berth_error** e) { return berth_engine_server_migrate(engine_, "nowhere", 1, 0, nullptr, e); }, &message), BERTH_E_NOT_FOUND);
  EXPECT_EQ(code_of([&](berth_error** e) { return berth_engine_server_migrate(engine_, "a", 2, 0, nullptr, e); }, &message),
            BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(message.find("mark must be 0 or 1"), std::string::npos) << message;
  berth_server_change change{};
  change.struct_size = sizeof change;
  change.fields = BERTH_SERVER_SET_MIGRATE;
  change.id = "a";
  change.id_len = 1;
  EXPECT_EQ(code_of([&](berth_error** e) { return berth_engine_server_set(engine_, &change, e); }, &message), BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(message.find("berth_engine_server_migrate"), std::string::npos) << message;
  berth_placement_why why{};
  EXPECT_EQ(code_of([&](berth_error** e) { return berth_locate_why(engine_, "stream-1", 8, &why, e); }, &message), BERTH_E_INVALID_ARGUMENT)
      << "struct_size not set";
}

TEST_F(CatalogueRestCapi, WhyOfAStreamNoVersionHasIsUnknownAndNamesWhereALookupGoes) {
  berth_placement_why why{};
  why.struct_size = sizeof why;
  ASSERT_EQ(berth_locate_why(engine_, "never", 5, &why, nullptr), BERTH_OK);
  EXPECT_EQ(why.decision, BERTH_WHY_UNKNOWN);
  EXPECT_EQ(why.rules_evaluated, 0);
  EXPECT_NE(std::string(why.detail).find("a lookup places it at"), std::string::npos) << why.detail;
}

}  // namespace
}  // namespace berth::testing
