// The host C API through the real libberth.so, exactly as an embedder (or SWIG) calls it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "berth/berth.h"

namespace {

std::string fresh_cluster() {
  static int n = 0;
  return "capi-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

struct Options {
  berth_options* handle = nullptr;
  explicit Options(const std::string& cluster, const char* node) {
    EXPECT_EQ(berth_options_new(&handle, nullptr), BERTH_OK);
    set("backend.cluster", cluster.c_str());
    set("engine.node_id", node);
    set("engine.refresh_on_change", "false");
    set("appraiser.name", "reported");
  }
  ~Options() { berth_options_free(handle); }
  void set(const char* k, const char* v) { EXPECT_EQ(berth_options_set(handle, k, v, nullptr), BERTH_OK) << k; }
};

struct FileOptions {
  berth_options* handle = nullptr;
  FileOptions() { EXPECT_EQ(berth_options_new(&handle, nullptr), BERTH_OK); }
  ~FileOptions() { berth_options_free(handle); }
};

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    usleep(1000);
  }
  return false;
}

TEST(CApi, OpenJoinPublishLookupClose) {
  Options o(fresh_cluster(), "capi-node");
  berth_engine* engine = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_open(o.handle, &engine, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  ASSERT_NE(engine, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(berth_engine_join(engine, ("srv-" + std::to_string(i)).c_str(), 1.0, nullptr), BERTH_OK);
  for (int i = 0; i < 30; ++i) {
    std::string s = "s" + std::to_string(i);
    ASSERT_EQ(berth_engine_add_stream(engine, s.data(), s.size(), "tenant", 1.0 + i, nullptr), BERTH_OK);
  }
  ASSERT_EQ(berth_engine_report_load(engine, "s1", 2, 4.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_flush(engine, nullptr), BERTH_OK);
  berth_engine_status st{};
  st.struct_size = sizeof st;
  ASSERT_TRUE(eventually([&] { return berth_engine_status_get(engine, &st, nullptr) == BERTH_OK && st.is_leader; }));
  ASSERT_EQ(berth_engine_refresh(engine, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  ASSERT_EQ(berth_engine_wait_version(engine, 1, 5000, nullptr), BERTH_OK);

  const char* owner = nullptr;
  ASSERT_EQ(berth_engine_lookup(engine, "s7", 2, &owner, nullptr), BERTH_OK);
  EXPECT_EQ(std::string(owner).rfind("srv-", 0), 0u);
  const char* unknown = nullptr;
  ASSERT_EQ(berth_engine_lookup(engine, "never-added", 11, &unknown, nullptr), BERTH_OK);
  const char* again = nullptr;
  ASSERT_EQ(berth_engine_lookup(engine, "never-added", 11, &again, nullptr), BERTH_OK);
  EXPECT_EQ(unknown, again);

  const char* names[3] = {"s7", "never-added", "s8"};
  size_t lens[3] = {2, 11, 2};
  const char* owners[3] = {};
  ASSERT_EQ(berth_engine_lookup_batch(engine, names, lens, 3, owners, nullptr), BERTH_OK);
  EXPECT_EQ(owners[0], owner);
  EXPECT_EQ(owners[1], unknown);
  const char* s8 = nullptr;
  ASSERT_EQ(berth_engine_lookup(engine, "s8", 2, &s8, nullptr), BERTH_OK);
  EXPECT_EQ(owners[2], s8);
  EXPECT_EQ(berth_engine_lookup_batch(engine, nullptr, lens, 3, owners, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_lookup_batch(engine, nullptr, nullptr, 0, nullptr, nullptr), BERTH_OK);
  const char* with_hole[3] = {"s7", nullptr, "s8"};
  const char* partial[3] = {};
  berth_error* batch_err = nullptr;
  EXPECT_EQ(berth_engine_lookup_batch(engine, with_hole, lens, 3, partial, &batch_err), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(partial[0], owner) << "owners before the bad stream are filled";
  EXPECT_NE(std::string(berth_error_message(batch_err)).find("#1"), std::string::npos) << berth_error_message(batch_err);
  berth_error_free(batch_err);
  EXPECT_EQ(berth_engine_lookup(engine, "", 0, &again, nullptr), BERTH_E_INVALID_ARGUMENT);
  // An id no backend record could carry is refused at the door, not at every flush after.
  const std::string huge(64 * 1024 + 1, 'h');
  berth_error* too_long = nullptr;
  EXPECT_EQ(berth_engine_add_stream(engine, huge.data(), huge.size(), "", 1.0, &too_long), BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(berth_error_message(too_long)).find("65536"), std::string::npos) << berth_error_message(too_long);
  berth_error_free(too_long);
  EXPECT_EQ(berth_engine_add_stream(engine, "s-long-tenant", 13, huge.c_str(), 1.0, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_lookup(engine, huge.data(), huge.size(), &again, nullptr), BERTH_E_INVALID_ARGUMENT);
  const std::string longest(64 * 1024, 'l');
  EXPECT_EQ(berth_engine_add_stream(engine, longest.data(), longest.size(), "", 1.0, nullptr), BERTH_OK);
  EXPECT_EQ(berth_engine_flush(engine, nullptr), BERTH_OK);

  berth_snapshot* snap = nullptr;
  ASSERT_EQ(berth_engine_snapshot(engine, &snap, nullptr), BERTH_OK);
  EXPECT_GE(berth_snapshot_version(snap), 1u);
  EXPECT_EQ(berth_snapshot_server_count(snap), 3u);
  EXPECT_EQ(berth_snapshot_stream_count(snap), 30u);
  EXPECT_STREQ(berth_snapshot_policy(snap), "sticky");  // the default policy
  EXPECT_STREQ(berth_snapshot_leader(snap), "capi-node");
  double total = 0;
  for (uint32_t j = 0; j < 3; ++j) {
    const char* id = nullptr;
    double cap = 0, load = 0;
    uint64_t n = 0;
    ASSERT_EQ(berth_snapshot_server(snap, j, &id, &cap, &load, &n, nullptr), BERTH_OK);
    EXPECT_EQ(cap, 1.0);
    total += load;
  }
  double expected = 0;
  for (int i = 0; i < 30; ++i) expected += i == 1 ? 4.0 : 1.0 + i;
  EXPECT_NEAR(total, expected, 1e-3) << "reported loads reach the snapshot";
  const char* sid = nullptr;
  size_t sid_len = 0;
  uint32_t sowner = 99;
  double sload = 0;
  ASSERT_EQ(berth_snapshot_stream(snap, 0, &sid, &sid_len, &sowner, &sload, nullptr), BERTH_OK);
  EXPECT_LT(sowner, 3u);
  EXPECT_EQ(berth_snapshot_stream(snap, 30, &sid, &sid_len, &sowner, &sload, &err), BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(berth_error_message(err)).find("out of range"), std::string::npos);
  berth_error_free(err);
  berth_snapshot_release(snap);

  berth_metrics m{};
  m.struct_size = sizeof m;
  ASSERT_EQ(berth_engine_metrics_get(engine, &m, nullptr), BERTH_OK);
  EXPECT_GE(m.version, 1u);
  EXPECT_GE(m.max_over_lb, 1.0);
  EXPECT_GE(m.refresh_ok, 1u);  // one on taking leadership, one asked for
  EXPECT_GE(m.lookups_unknown, 2u);
  char* text = nullptr;
  ASSERT_EQ(berth_engine_metrics_text(engine, &text, nullptr), BERTH_OK);
  std::string prom(text);
  berth_string_free(text);
  EXPECT_NE(prom.find("berth_snapshot_version{node=\"capi-node\"}"), std::string::npos) << prom;
  EXPECT_NE(prom.find("# TYPE berth_refresh_success_total counter"), std::string::npos);
  EXPECT_NE(prom.find("berth_max_over_lower_bound"), std::string::npos);
  berth_engine_close(engine);
}

TEST(CApi, MetricsCountVersionsANodeCouldNotReadAndOlderStructsStopAtTheirSize) {
  // A leader publishes into a file directory, then every published version is damaged on disk:
  // a node opening on it can read nothing, serves nothing, and says so in berth_metrics.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("berth-capi-" + fresh_cluster());
  std::filesystem::create_directories(dir);
  auto file_options = [&](const char* node, const char* campaign) {
    auto o = std::make_unique<FileOptions>();
    for (auto [k, v] : {std::pair<const char*, const char*>{"backend.name", "file"}, {"backend.dir", dir.c_str()},
                        {"engine.node_id", node}, {"engine.campaign", campaign}, {"engine.refresh_on_change", "false"},
                        {"appraiser.name", "reported"}})
      EXPECT_EQ(berth_options_set(o->handle, k, v, nullptr), BERTH_OK) << k;
    return o;
  };
  {
    auto o = file_options("capi-writer", "true");
    berth_engine* leader = nullptr;
    ASSERT_EQ(berth_engine_open(o->handle, &leader, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_join(leader, "srv-a", 1.0, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_add_stream(leader, "s-1", 3, "", 1.0, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_flush(leader, nullptr), BERTH_OK);
    ASSERT_TRUE(eventually([&] {
      berth_engine_status st{};
      st.struct_size = sizeof st;
      return berth_engine_status_get(leader, &st, nullptr) == BERTH_OK && st.is_leader;
    }));
    ASSERT_EQ(berth_engine_refresh(leader, nullptr), BERTH_OK);
    berth_engine_close(leader);
  }
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "snapshots")) {
    if (entry.path().extension() != ".snap") continue;
    std::ofstream(entry.path(), std::ios::trunc) << "not a snapshot";
    ++damaged;
  }
  ASSERT_GT(damaged, 0);

  auto o = file_options("capi-reader", "false");
  berth_engine* reader = nullptr;
  ASSERT_EQ(berth_engine_open(o->handle, &reader, nullptr), BERTH_OK);
  berth_metrics m{};
  m.struct_size = sizeof m;
  ASSERT_EQ(berth_engine_metrics_get(reader, &m, nullptr), BERTH_OK);
  EXPECT_GE(m.snapshots_rejected, 1u);
  EXPECT_EQ(m.version, 0u) << "nothing readable to serve";
  EXPECT_EQ(m.rules_hash, 0u);
  EXPECT_EQ(m.rules_problems, 0u);

  // A host built against ABI 1.1 passes the smaller struct: nothing past it is written.
  berth_metrics old;
  std::memset(&old, 0xAB, sizeof old);
  old.struct_size = offsetof(berth_metrics, oversized_streams) + sizeof old.oversized_streams;
  ASSERT_EQ(berth_engine_metrics_get(reader, &old, nullptr), BERTH_OK);
  EXPECT_EQ(old.version, 0u);
  EXPECT_EQ(old.snapshots_rejected, 0xABABABABABABABABu);
  EXPECT_EQ(old.rules_violations, 0xABABABABABABABABu);
  berth_engine_close(reader);
  std::filesystem::remove_all(dir);
}

TEST(CApi, ErrorsComeBackAsCodesAndMessages) {
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_open(nullptr, nullptr, &err), BERTH_E_INVALID_ARGUMENT);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(berth_error_code(err), BERTH_E_INVALID_ARGUMENT);
  berth_error_free(err);

  berth_options* o = nullptr;
  ASSERT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_load_string(o, "[engine]\nx = \n", "broken", &err), BERTH_E_CONFIG);
  EXPECT_NE(std::string(berth_error_message(err)).find("broken:2"), std::string::npos) << berth_error_message(err);
  berth_error_free(err);
  EXPECT_EQ(berth_options_set(o, "policy.name", "/nonexistent/plugin.so", nullptr), BERTH_OK);
  berth_engine* engine = reinterpret_cast<berth_engine*>(0x1);
  EXPECT_EQ(berth_engine_open(o, &engine, &err), BERTH_E_NOT_FOUND);
  EXPECT_EQ(engine, nullptr);
  EXPECT_NE(std::string(berth_error_message(err)).find("/nonexistent/plugin.so"), std::string::npos);
  berth_error_free(err);
  EXPECT_EQ(berth_options_load_file(o, "/nonexistent.toml", nullptr), BERTH_E_CONFIG);  // NULL err is allowed
  berth_options_free(o);

  const char* owner = nullptr;
  EXPECT_EQ(berth_engine_lookup(nullptr, "x", 1, &owner, &err), BERTH_E_INVALID_ARGUMENT);
  berth_error_free(err);
  EXPECT_EQ(berth_engine_join(nullptr, "x", 1, nullptr), BERTH_E_INVALID_ARGUMENT);
  berth_engine_close(nullptr);
  berth_error_free(nullptr);
  EXPECT_STRNE(berth_version(), "");
}

TEST(CApi, FollowerRefreshAndBadArgumentsAreStateAndArgumentErrors) {
  std::string cluster = fresh_cluster();
  Options lo(cluster, "leader"), fo(cluster, "follower");
  berth_engine *leader = nullptr, *follower = nullptr;
  ASSERT_EQ(berth_engine_open(lo.handle, &leader, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_open(fo.handle, &follower, nullptr), BERTH_OK);
  berth_engine_status st{};
  st.struct_size = sizeof st;
  ASSERT_TRUE(eventually([&] { return berth_engine_status_get(leader, &st, nullptr) == BERTH_OK && st.is_leader; }));
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_refresh(follower, &err), BERTH_E_STATE);
  EXPECT_NE(std::string(berth_error_message(err)).find("not the leader"), std::string::npos);
  berth_error_free(err);
  EXPECT_EQ(berth_engine_join(leader, "bad", -1.0, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_join(leader, "bad", NAN, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_add_stream(leader, "", 0, "", 1.0, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_report_load(leader, "s", 1, -3.0, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_engine_wait_version(follower, 99, 10, &err), BERTH_E_TIMEOUT);
  berth_error_free(err);
  berth_metrics small{};
  small.struct_size = 0;
  EXPECT_EQ(berth_engine_metrics_get(leader, &small, nullptr), BERTH_E_INVALID_ARGUMENT);
  berth_engine_close(follower);
  berth_engine_close(leader);
}

// Every version the publisher makes has exactly one server, so all streams sit on it: a batch
// whose answers name two servers was answered from two versions.
TEST(CApi, ALookupBatchIsAnsweredFromOneVersionWhileVersionsArePublished) {
  Options o(fresh_cluster(), "batch-node");
  berth_engine* engine = nullptr;
  ASSERT_EQ(berth_engine_open(o.handle, &engine, nullptr), BERTH_OK);
  constexpr size_t kStreams = 10000;
  std::vector<std::string> ids;
  for (size_t i = 0; i < kStreams; ++i) ids.push_back("batch-stream-" + std::to_string(i));
  ASSERT_EQ(berth_engine_join(engine, "srv-0", 1.0, nullptr), BERTH_OK);
  for (const std::string& id : ids)
    ASSERT_EQ(berth_engine_add_stream(engine, id.data(), id.size(), "t", 1.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_flush(engine, nullptr), BERTH_OK);
  berth_engine_status st{};
  st.struct_size = sizeof st;
  ASSERT_TRUE(eventually([&] { return berth_engine_status_get(engine, &st, nullptr) == BERTH_OK && st.is_leader; }));
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_refresh(engine, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  ASSERT_EQ(berth_engine_status_get(engine, &st, nullptr), BERTH_OK);
  ASSERT_EQ(st.stream_count, kStreams);

  constexpr int kVersions = 150;
  std::atomic<bool> done{false};
  std::atomic<int> publish_failures{0};
  std::thread publisher([&] {
    for (int k = 1; k <= kVersions; ++k) {
      std::string next = "srv-" + std::to_string(k), previous = "srv-" + std::to_string(k - 1);
      if (berth_engine_join(engine, next.c_str(), 1.0, nullptr) != BERTH_OK ||
          berth_engine_leave(engine, previous.c_str(), nullptr) != BERTH_OK ||
          berth_engine_refresh(engine, nullptr) != BERTH_OK)
        ++publish_failures;
    }
    done = true;
  });

  std::vector<const char*> names(kStreams);
  std::vector<size_t> lens(kStreams);
  for (size_t i = 0; i < kStreams; ++i) {
    names[i] = ids[i].c_str();
    lens[i] = ids[i].size();
  }
  std::vector<const char*> owners(kStreams);
  uint64_t batches = 0, mixed = 0;
  std::string first_mixed;
  std::set<std::string> versions_seen;  // each version has one server: its name tells the version
  while (!done.load() || batches == 0) {
    ASSERT_EQ(berth_engine_lookup_batch(engine, names.data(), lens.data(), kStreams, owners.data(), nullptr), BERTH_OK);
    ++batches;
    versions_seen.insert(owners[0]);
    for (size_t i = 1; i < kStreams; ++i)
      if (std::strcmp(owners[i], owners[0]) != 0) {
        if (mixed++ == 0) first_mixed = std::string(owners[0]) + " and " + owners[i] + " (stream #" + std::to_string(i) + ")";
        break;
      }
  }
  publisher.join();
  ASSERT_EQ(publish_failures.load(), 0);
  ASSERT_EQ(berth_engine_status_get(engine, &st, nullptr), BERTH_OK);
  std::printf("[ figures  ] %llu batches of %zu lookups during %d publications (last version %llu), %zu versions seen\n",
              static_cast<unsigned long long>(batches), kStreams, kVersions, static_cast<unsigned long long>(st.version),
              versions_seen.size());
  EXPECT_GE(versions_seen.size(), 2u) << "no publication happened while batches ran: nothing was proven";
  EXPECT_EQ(mixed, 0u) << mixed << " of " << batches << " batches mixed versions, first: " << first_mixed;
  berth_engine_close(engine);
}

}  // namespace
