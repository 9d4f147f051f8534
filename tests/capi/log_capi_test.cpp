// The host's log (berth_log_*) through libberth.so: the level filter, the bound and its drop
// counter, polls racing engines that log from their own threads, and the ZooKeeper client's lines.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capi_test_support.h"

namespace {

using berth_capi_test::failure_of;
using berth_capi_test::open_memory_engine;

struct Line {
  int32_t level;
  int64_t time_ns;
  std::string source, node, message;
};

berth_log_record blank() {
  berth_log_record r{};
  r.struct_size = sizeof r;
  return r;
}

// Every line polled until `done(lines)` holds or `limit` passed.
template <class Done>
std::vector<Line> drain(berth_log* log, Done&& done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::vector<Line> lines;
  const auto end = std::chrono::steady_clock::now() + limit;
  std::vector<berth_log_record> batch(16, blank());
  while (!done(lines) && std::chrono::steady_clock::now() < end) {
    uint32_t got = 0;
    berth_error* err = nullptr;
    EXPECT_EQ(berth_log_poll(log, batch.data(), static_cast<uint32_t>(batch.size()), 100, &got, &err), BERTH_OK)
        << berth_capi_test::text_of(err);
    for (uint32_t i = 0; i < got; ++i)
      lines.push_back({batch[i].level, batch[i].time_ns, batch[i].source, batch[i].node, batch[i].message});
  }
  return lines;
}

bool has_leading(const std::vector<Line>& lines, const std::string& node) {
  for (const Line& l : lines)
    if (l.node == node && l.message.find("leading at epoch") != std::string::npos) return true;
  return false;
}

// Opens the queue for one test and puts the level back after it.
class LogQueue : public ::testing::Test {
 protected:
  void SetUp() override {
    level_ = berth_log_level();
    berth_error* err = nullptr;
    ASSERT_EQ(berth_log_open(capacity(), &log_, &err), BERTH_OK) << berth_capi_test::text_of(err);
  }
  void TearDown() override {
    berth_log_close(log_);
    berth_log_set_level(level_, nullptr);
  }
  virtual uint32_t capacity() const { return 100000; }
  berth_log* log_ = nullptr;
  int32_t level_ = BERTH_LOG_INFO;
};

TEST_F(LogQueue, LinesBelowTheLevelNeverReachTheQueueAndTheOthersNameTheirNode) {
  ASSERT_EQ(berth_log_set_level(BERTH_LOG_WARN, nullptr), BERTH_OK);
  EXPECT_EQ(berth_log_level(), BERTH_LOG_WARN);
  berth_engine* quiet = nullptr;
  ASSERT_TRUE(open_memory_engine("log-quiet", {{"engine.node_id", "quiet-node"}}, &quiet));
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_wait_version(quiet, 1, 20000, &err), BERTH_OK) << berth_capi_test::text_of(err);
  berth_engine_close(quiet);

  ASSERT_EQ(berth_log_set_level(BERTH_LOG_INFO, nullptr), BERTH_OK);
  berth_engine* loud = nullptr;
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(open_memory_engine("log-loud", {{"engine.node_id", "loud-node"}}, &loud));
  std::vector<Line> lines = drain(log_, [](const std::vector<Line>& l) { return has_leading(l, "loud-node"); });
  const auto after = std::chrono::system_clock::now();
  berth_engine_close(loud);

  ASSERT_TRUE(has_leading(lines, "loud-node")) << "the info line of the engine at level info never came";
  for (const Line& l : lines) {
    EXPECT_NE(l.node, "quiet-node") << "a line below the level was queued: " << l.message;
    EXPECT_GE(l.level, BERTH_LOG_INFO) << l.message;
    if (l.node == "loud-node") {
      EXPECT_EQ(l.source, "berth");
      EXPECT_GE(l.time_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(before.time_since_epoch()).count());
      EXPECT_LE(l.time_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(after.time_since_epoch()).count());
    }
  }
  EXPECT_EQ(berth_log_dropped(log_), 0u);
}

class SmallLogQueue : public LogQueue {
  uint32_t capacity() const override { return 4; }
};

TEST_F(SmallLogQueue, AFloodKeepsTheOldestLinesAndCountsEveryDroppedOne) {
  ASSERT_EQ(berth_log_set_level(BERTH_LOG_INFO, nullptr), BERTH_OK);
  constexpr int kEngines = 10;  // each logs at least its "leading" line
  for (int i = 0; i < kEngines; ++i) {
    berth_engine* e = nullptr;
    ASSERT_TRUE(open_memory_engine("log-flood", {{"engine.node_id", "flood-" + std::to_string(i)}}, &e));
    berth_error* err = nullptr;
    ASSERT_EQ(berth_engine_wait_version(e, 1, 20000, &err), BERTH_OK) << berth_capi_test::text_of(err);
    berth_engine_close(e);
  }
  const uint64_t dropped = berth_log_dropped(log_);
  std::vector<berth_log_record> batch(16, blank());
  uint32_t got = 0;
  ASSERT_EQ(berth_log_poll(log_, batch.data(), static_cast<uint32_t>(batch.size()), 0, &got, nullptr), BERTH_OK);
  EXPECT_EQ(got, 4u) << "a full queue holds exactly its capacity";
  EXPECT_GE(dropped, static_cast<uint64_t>(kEngines - 4)) << "every line past the capacity is counted";
  ASSERT_GT(got, 0u);
  EXPECT_EQ(std::string(batch[0].node), "flood-0") << "the oldest lines stay, the newest are dropped";
  // Room again: the next line is queued, and the count stays as it was.
  berth_engine* e = nullptr;
  ASSERT_TRUE(open_memory_engine("log-flood", {{"engine.node_id", "after-flood"}}, &e));
  EXPECT_TRUE(has_leading(drain(log_, [](const std::vector<Line>& l) { return has_leading(l, "after-flood"); }),
                          "after-flood"));
  berth_engine_close(e);
}

TEST_F(LogQueue, OnePollerReceivesEachLineOfEnginesLoggingOnOtherThreadsOnce) {
  // Keeps the memory plugin loaded throughout (opened before the level lets its lines through):
  // ThreadSanitizer does not see the order a dlclose and a later dlopen of the plugin give its
  // statics, and reports the reloaded cluster directory's mutex as raced.
  berth_engine* keeper = nullptr;
  ASSERT_TRUE(open_memory_engine("log-race-keeper", {{"engine.node_id", "keeper"}}, &keeper));
  ASSERT_EQ(berth_log_set_level(BERTH_LOG_DEBUG, nullptr), BERTH_OK);
  constexpr int kThreads = 4, kEnginesEach = 3;
  std::atomic<bool> opened{true};
  std::vector<std::thread> hosts;
  for (int t = 0; t < kThreads; ++t) {
    hosts.emplace_back([t, &opened] {
      for (int i = 0; i < kEnginesEach; ++i) {
        berth_engine* e = nullptr;
        if (!open_memory_engine("log-race", {{"engine.node_id", "race-" + std::to_string(t) + "-" + std::to_string(i)}}, &e)) {
          opened = false;
          return;
        }
        berth_engine_wait_version(e, 1, 20000, nullptr);
        berth_engine_close(e);
      }
    });
  }
  auto all_led = [](const std::vector<Line>& lines) {
    for (int t = 0; t < kThreads; ++t)
      for (int i = 0; i < kEnginesEach; ++i)
        if (!has_leading(lines, "race-" + std::to_string(t) + "-" + std::to_string(i))) return false;
    return true;
  };
  std::vector<Line> lines = drain(log_, all_led, std::chrono::seconds(60));
  for (std::thread& h : hosts) h.join();
  ASSERT_TRUE(opened.load());
  ASSERT_TRUE(all_led(lines)) << "a leading line never arrived";
  std::map<std::string, int> leading;
  for (const Line& l : lines) {
    EXPECT_GE(l.level, BERTH_LOG_DEBUG);
    EXPECT_LE(l.level, BERTH_LOG_ERROR);
    EXPECT_FALSE(l.source.empty());
    if (l.message.find("leading at epoch") != std::string::npos && l.node.rfind("race-", 0) == 0) ++leading[l.node];
  }
  for (const auto& [node, n] : leading) EXPECT_EQ(n, 1) << node << ": its leading line came " << n << " times";
  EXPECT_EQ(berth_log_dropped(log_), 0u);
  berth_engine_close(keeper);
}

TEST_F(LogQueue, ClosingEndsAPollWaitingOnAnotherThread) {
  // No line can arrive, so the one poll can only end by its timeout or by the close.
  ASSERT_EQ(berth_log_set_level(BERTH_LOG_OFF, nullptr), BERTH_OK);
  std::atomic<int32_t> rc{BERTH_OK};
  std::thread poller([&] {
    berth_log_record r = blank();
    uint32_t got = 0;
    rc = berth_log_poll(log_, &r, 1, 60000, &got, nullptr);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  berth_log_close(log_);
  poller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "the poll waited out its timeout";
  EXPECT_EQ(rc.load(), BERTH_E_STATE);
  // The handle stays safe to pass after its close.
  berth_log_record r = blank();
  uint32_t got = 0;
  EXPECT_EQ(berth_log_poll(log_, &r, 1, 0, &got, nullptr), BERTH_E_STATE);
  EXPECT_EQ(berth_log_dropped(log_), 0u);
  berth_log_close(log_);  // TearDown's close is a second one: harmless too
}

TEST(Log, BadArgumentsAreRefusedNamingWhatIsWrong) {
  auto level = failure_of([](berth_error** e) { return berth_log_set_level(7, e); });
  EXPECT_EQ(level.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(level.message.find("level 7"), std::string::npos) << level.message;
  berth_log* log = nullptr;
  auto zero = failure_of([&](berth_error** e) { return berth_log_open(0, &log, e); });
  EXPECT_EQ(zero.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(zero.message.find("capacity 0"), std::string::npos) << zero.message;

  ASSERT_EQ(berth_log_open(8, &log, nullptr), BERTH_OK);
  berth_log* second = nullptr;
  auto twice = failure_of([&](berth_error** e) { return berth_log_open(8, &second, e); });
  EXPECT_EQ(twice.code, BERTH_E_STATE);
  EXPECT_EQ(second, nullptr);
  berth_log_record r{};  // struct_size not set
  uint32_t got = 0;
  auto unset = failure_of([&](berth_error** e) { return berth_log_poll(log, &r, 1, 0, &got, e); });
  EXPECT_EQ(unset.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(unset.message.find("records[0].struct_size"), std::string::npos) << unset.message;
  auto none = failure_of([&](berth_error** e) { return berth_log_poll(log, &r, 0, 0, &got, e); });
  EXPECT_EQ(none.code, BERTH_E_INVALID_ARGUMENT);
  berth_log_close(log);
  // One queue at a time, but a new one once the last is closed.
  ASSERT_EQ(berth_log_open(8, &log, nullptr), BERTH_OK);
  berth_log_close(log);
}

TEST_F(LogQueue, TheZooKeeperClientsOwnLinesArriveUnderItsSource) {
  ASSERT_EQ(berth_log_set_level(BERTH_LOG_WARN, nullptr), BERTH_OK);
  // Nothing listens on port 1: the client logs its refused connections while the backend waits.
  berth_options* o = nullptr;
  ASSERT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  for (const auto& [key, value] : {std::pair<const char*, const char*>{"backend.name", "zookeeper"},
                                   {"backend.connect", "127.0.0.1:1"},
                                   {"backend.session_timeout", "2s"}})
    ASSERT_EQ(berth_options_set(o, key, value, nullptr), BERTH_OK) << key;
  berth_engine* e = nullptr;
  berth_error* err = nullptr;
  const int32_t rc = berth_engine_open(o, &e, &err);
  berth_options_free(o);
  const std::string why = berth_capi_test::text_of(err);
  EXPECT_EQ(rc, BERTH_E_UNAVAILABLE) << why;
  if (rc == BERTH_OK) berth_engine_close(e);
  std::vector<Line> lines = drain(log_, [](const std::vector<Line>&) { return false; }, std::chrono::milliseconds(300));
  bool client_error = false;
  for (const Line& l : lines) {
    if (l.source == "zookeeper" && l.message.rfind("client: ", 0) == 0) {
      EXPECT_EQ(l.message.find("ZOO_"), std::string::npos) << "the client's own prefix is kept: " << l.message;
      client_error = client_error || (l.level == BERTH_LOG_ERROR && l.message.find("127.0.0.1:1") != std::string::npos);
    }
    EXPECT_GE(l.level, BERTH_LOG_WARN) << l.source << ": " << l.message;
  }
  EXPECT_TRUE(client_error) << "no ZooKeeper client error line came through the queue (" << lines.size() << " lines)";
}

// The client writes its lines into a per-thread buffer whose destructor lives in libzookeeper.
// A failed open unloads the plugin at once (nothing holds it), so the host's thread exits after
// the code that would free that buffer was loaded: the plugin must stay mapped for the process.
TEST(Log, AHostThreadWhoseOpenOfTheZooKeeperBackendFailedExitsCleanly) {
  int32_t rc = BERTH_OK;
  std::string why;
  std::thread host([&] {
    berth_options* o = nullptr;
    if (berth_options_new(&o, nullptr) != BERTH_OK) return;
    berth_options_set(o, "backend.name", "zookeeper", nullptr);
    berth_options_set(o, "backend.connect", "no-such-host.invalid:2181", nullptr);
    berth_options_set(o, "backend.session_timeout", "2s", nullptr);
    berth_engine* e = nullptr;
    berth_error* err = nullptr;
    rc = berth_engine_open(o, &e, &err);
    berth_options_free(o);
    why = berth_capi_test::text_of(err);
    if (rc == BERTH_OK) berth_engine_close(e);
  });
  host.join();  // the thread's exit runs the buffer's destructor: a crash ends the test here
  EXPECT_NE(rc, BERTH_OK) << "an engine opened against no-such-host.invalid";
  EXPECT_FALSE(why.empty());
  // The process goes on: a memory engine opens and closes after it.
  berth_engine* e = nullptr;
  ASSERT_TRUE(open_memory_engine("after-unload", {{"engine.node_id", "after-unload"}}, &e));
  berth_engine_close(e);
}

}  // namespace
