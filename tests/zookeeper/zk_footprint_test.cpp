// Berth on a shared ZooKeeper must not exhaust the server's heap. A server with ZooKeeper's own
// defaults (it keeps its last 500 transactions and 400 read answers in memory) and a small heap
// takes a storm of full snapshot publications and a follower reading each; it must still serve at
// the end. The snapshots are incompressible, so what bounds the server is the chunk size alone.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "plugin/instances.h"
#include "plugin/loader.h"
#include "zookeeper/test_bytes.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {


// The whole server log: an OutOfMemoryError may be logged long before its end.
std::string whole_log(const ZkServer& server) {
  std::ifstream in(server.log_path());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool alive(const ZkServer& server) {
  int status = 0;
  return ::waitpid(server.pid(), &status, WNOHANG) == 0;
}

TEST(ZkFootprintTest, ASmallHeapServerWithDefaultSettingsSurvivesAPublicationStorm) {
  // 256 MB of heap; 40 snapshots of 2 MB. The server holds each of its last 500 transactions
  // more than once and 400 read answers: at 128 KiB a chunk, by estimate at most
  // 500 x 2 x 128 KiB + 400 x 128 KiB (about 175 MiB) of them (docs/limits.md).
  // With ZooKeeper's defaults (no test tuning) and a small heap, as an operator's shared server;
  // the JVM exits on its first OutOfMemoryError instead of limping on.
  ZkServer server(std::chrono::seconds(60), {"-Xmx256m", "-XX:+ExitOnOutOfMemoryError"});
  PluginRegistry registry;
  auto plugin = registry.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  const auto open = [&] {
    return std::make_unique<Backend>(plugin, PluginConfig("backend", {{"connect", server.connect_string(), "test"},
                                                                      {"root", "/berth-footprint", "test"},
                                                                      {"session_timeout", "10s", "test"}}),
                                     nullptr);
  };
  auto leader = open();
  auto follower = open();
  leader->campaign();
  for (int i = 0; i < 4000 && leader->leadership().is_leader != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(leader->leadership().is_leader, 1);
  const uint64_t epoch = leader->leadership().epoch;

  constexpr uint64_t kVersions = 40;
  std::string last;
  for (uint64_t v = 1; v <= kVersions; ++v) {
    last = incompressible_bytes(2u << 20, v);
    try {
      leader->publish(epoch, v, last);
      ASSERT_EQ(follower->fetch(v - 1).first, v);
    } catch (const std::exception& e) {
      FAIL() << "version " << v << ": " << e.what() << "\nserver alive: " << alive(server) << "\n" << server.log_tail();
    }
  }
  EXPECT_TRUE(alive(server)) << server.log_tail();
  EXPECT_EQ(server.four_letter_word("ruok"), "imok") << server.log_tail();
  EXPECT_EQ(whole_log(server).find("OutOfMemoryError"), std::string::npos) << server.log_tail();
  const auto [version, bytes] = open()->fetch(0);
  EXPECT_EQ(version, kVersions);
  EXPECT_EQ(bytes.size(), last.size());
  EXPECT_TRUE(bytes == last) << "the last version reads back whole";
}

}  // namespace
}  // namespace berth::test
