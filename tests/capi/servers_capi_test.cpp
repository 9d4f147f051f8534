// Servers an operator manages through libberth.so: a versioned change struct checked on the
// caller's side, removing what was never set, and operator entries and effective servers read
// back from a snapshot.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "berth/berth.h"
#include "capi_test_support.h"

namespace {

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::text_of;

class ServersCapi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth_capi_test::open_memory_engine("servers-capi",
                                                    {{"policy.name", "least_load"},
                                                     {"engine.node_id", "n0"},
                                                     {"engine.refresh_interval", "1h"},
                                                     {"engine.intake_flush", "2ms"},
                                                     {"engine.intake_refresh_delay", "0"}},
                                                    &engine_));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_join_labeled(engine_, "m1", 2.0, "zone=a", &err), BERTH_OK) << text_of(err);
    for (int i = 0; i < 20; ++i) {
      std::string s = "s" + std::to_string(i);
      ASSERT_EQ(berth_engine_add_stream(engine_, s.data(), s.size(), "", 1.0, &err), BERTH_OK) << text_of(err);
    }
    refresh();
  }
  void TearDown() override { berth_engine_close(engine_); }

  void refresh() {
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_flush(engine_, &err), BERTH_OK) << text_of(err);
    for (int i = 0; i < 2000 && berth_engine_refresh(engine_, &err) != BERTH_OK; ++i) {
      berth_error_free(err);
      usleep(1000);
    }
  }
  static berth_server_change change(const char* id, uint32_t fields) {
    berth_server_change c{};
    c.struct_size = BERTH_SIZE_THROUGH(berth_server_change, labels);
    c.fields = fields;
    c.id = id;
    c.id_len = std::strlen(id);
    return c;
  }
  Failure set(const berth_server_change& c) {
    return failure_of([&](berth_error** err) { return berth_engine_server_set(engine_, &c, err); });
  }

  berth_engine* engine_ = nullptr;
};

TEST_F(ServersCapi, BadChangesAreRefusedNamingWhatIsWrong) {
  berth_server_change c = change("x", BERTH_SERVER_SET_CAPACITY);
  c.capacity = -1;
  Failure f = set(c);
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("berth_engine_server_set"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("capacity"), std::string::npos) << f.message;
  c.capacity = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(set(c).code, BERTH_E_INVALID_ARGUMENT);

  c = change("x", BERTH_SERVER_SET_STATE);
  c.state = 7;
  f = set(c);
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("state"), std::string::npos) << f.message;

  c = change("x", BERTH_SERVER_SET_LABELS);
  c.labels = "zone=a,,b";
  f = set(c);
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("'x'"), std::string::npos) << f.message;

  EXPECT_EQ(set(change("x", 0)).code, BERTH_E_INVALID_ARGUMENT) << "no field";
  EXPECT_EQ(set(change("x", 0x100)).code, BERTH_E_INVALID_ARGUMENT) << "unknown field";
  c = change("x", BERTH_SERVER_SET_REGISTER);
  c.struct_size = 8;
  f = set(c);
  EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(f.message.find("struct_size"), std::string::npos) << f.message;
  c = change("x", BERTH_SERVER_SET_REGISTER);
  c.id_len = 0;
  EXPECT_EQ(set(c).code, BERTH_E_INVALID_ARGUMENT) << "empty id";
  std::string long_id(4097, 'x');
  c = change(long_id.c_str(), BERTH_SERVER_SET_REGISTER);
  EXPECT_EQ(set(c).code, BERTH_E_INVALID_ARGUMENT) << "long id";
  EXPECT_EQ(failure_of([&](berth_error** err) { return berth_engine_server_set(engine_, nullptr, err); }).code,
            BERTH_E_INVALID_ARGUMENT);

  f = failure_of([&](berth_error** err) { return berth_engine_server_remove(engine_, "never-set", err); });
  EXPECT_EQ(f.code, BERTH_E_NOT_FOUND);
  EXPECT_NE(f.message.find("never-set"), std::string::npos) << f.message;
}

TEST_F(ServersCapi, EntriesAndEffectiveServersReadBack) {
  berth_server_change reg = change("storage-1", BERTH_SERVER_SET_REGISTER | BERTH_SERVER_SET_CAPACITY | BERTH_SERVER_SET_LABELS);
  reg.capacity = 4.0;
  reg.labels = "zone=b,ssd";
  ASSERT_EQ(set(reg).code, BERTH_OK);
  berth_server_change seal = change("m1", BERTH_SERVER_SET_STATE);
  seal.state = BERTH_SERVER_READ_ONLY;
  ASSERT_EQ(set(seal).code, BERTH_OK);
  refresh();

  berth_snapshot* snap = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_snapshot(engine_, &snap, &err), BERTH_OK) << text_of(err);
  ASSERT_EQ(berth_snapshot_operator_server_count(snap), 2u);
  berth_server_entry e{};
  e.struct_size = sizeof e;
  ASSERT_EQ(berth_snapshot_operator_server(snap, 0, &e, &err), BERTH_OK) << text_of(err);
  EXPECT_STREQ(e.id, "m1");
  EXPECT_EQ(e.fields, BERTH_SERVER_SET_STATE);
  EXPECT_EQ(e.state, BERTH_SERVER_READ_ONLY);
  EXPECT_TRUE(std::isnan(e.capacity)) << "no capacity set";
  EXPECT_EQ(e.labels, nullptr) << "no labels set";
  EXPECT_EQ(e.origin, BERTH_SERVER_ORIGIN_MEMBER);
  ASSERT_EQ(berth_snapshot_operator_server(snap, 1, &e, &err), BERTH_OK) << text_of(err);
  EXPECT_STREQ(e.id, "storage-1");
  EXPECT_EQ(e.origin, BERTH_SERVER_ORIGIN_REGISTERED);
  EXPECT_EQ(e.capacity, 4.0);
  EXPECT_EQ(e.state, -1);
  ASSERT_NE(e.labels, nullptr);
  EXPECT_STREQ(e.labels, "ssd,zone=b");
  berth_string_free(e.labels);
  EXPECT_EQ(berth_snapshot_operator_server(snap, 2, &e, &err), BERTH_E_INVALID_ARGUMENT);
  berth_error_free(err);

  ASSERT_EQ(berth_snapshot_server_count(snap), 2u);
  uint64_t streams = 0;
  for (uint32_t i = 0; i < 2; ++i) {
    berth_server_entry s{};
    s.struct_size = sizeof s;
    ASSERT_EQ(berth_snapshot_server_entry(snap, i, &s, &err), BERTH_OK) << text_of(err);
    streams += s.streams;
    if (std::strcmp(s.id, "m1") == 0) {
      EXPECT_EQ(s.state, BERTH_SERVER_READ_ONLY);
      EXPECT_EQ(s.capacity, 2.0) << "the member's capacity stays";
      EXPECT_STREQ(s.labels, "zone=a");
      EXPECT_EQ(s.origin, BERTH_SERVER_ORIGIN_MEMBER);
    } else {
      EXPECT_STREQ(s.id, "storage-1");
      EXPECT_EQ(s.capacity, 4.0);
      EXPECT_EQ(s.state, BERTH_SERVER_UP);
      EXPECT_EQ(s.origin, BERTH_SERVER_ORIGIN_REGISTERED);
    }
    berth_string_free(s.labels);
  }
  EXPECT_EQ(streams, 20u);

  // A caller built against a shorter struct gets no labels allocated and nothing past its end.
  berth_server_entry shorter{};
  shorter.struct_size = BERTH_SIZE_THROUGH(berth_server_entry, origin);
  shorter.labels = reinterpret_cast<char*>(0x1);
  ASSERT_EQ(berth_snapshot_server_entry(snap, 0, &shorter, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(shorter.labels, reinterpret_cast<char*>(0x1)) << "a field past struct_size is not written";
  berth_snapshot_release(snap);

  // Unsealed first: with the registered server gone, m1 is the only place left to write.
  berth_server_change unseal = change("m1", BERTH_SERVER_SET_STATE);
  unseal.state = BERTH_SERVER_UP;
  ASSERT_EQ(set(unseal).code, BERTH_OK);
  ASSERT_EQ(failure_of([&](berth_error** e2) { return berth_engine_server_remove(engine_, "storage-1", e2); }).code, BERTH_OK);
  refresh();
  ASSERT_EQ(berth_engine_snapshot(engine_, &snap, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(berth_snapshot_operator_server_count(snap), 1u);
  EXPECT_EQ(berth_snapshot_server_count(snap), 1u) << "the registered server left";
  berth_snapshot_release(snap);
}

}  // namespace
