// Berth on a shared ZooKeeper must not exhaust the server's heap. A server with ZooKeeper's own
// defaults (it keeps its last 500 transactions and 400 read answers in memory) and a small heap
// takes a storm of full snapshot publications and a follower reading each; it must still serve at
// the end. The snapshots are incompressible, so what bounds the server is the chunk size alone.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "plugin/instances.h"
#include "plugin/loader.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

using Clock = std::chrono::steady_clock;

// A server started by hand with `heap` and no other tuning, as an operator's shared one is.
class SmallHeapServer {
 public:
  explicit SmallHeapServer(const std::string& heap) {
    char pattern[] = "/tmp/berth-zk-small-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::filesystem::create_directories(dir_ + "/data");
    port_ = zk_free_port();
    std::ofstream(dir_ + "/zoo.cfg") << "tickTime=200\nminSessionTimeout=400\nmaxSessionTimeout=20000\n"
                                     << "dataDir=" << dir_ << "/data\nclientPortAddress=127.0.0.1\n"
                                     << "clientPort=" << port_ << "\nadmin.enableServer=false\n"
                                     << "4lw.commands.whitelist=ruok,srvr,mntr\n";
    pid_ = zk_spawn_server(dir_, dir_ + "/zoo.cfg", log(), {"-Xmx" + heap});
    for (auto deadline = Clock::now() + std::chrono::seconds(60); !answers();) {
      if (Clock::now() > deadline) throw std::runtime_error("the small-heap server did not start: " + log_text());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~SmallHeapServer() {
    zk_end_server(pid_, false);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string connect() const { return "127.0.0.1:" + std::to_string(port_); }
  bool answers() const { return zk_four_letter_word("127.0.0.1", port_, "ruok") == "imok"; }
  bool alive() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  std::string log() const { return dir_ + "/server.log"; }
  std::string log_text() const {
    std::ifstream in(log());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

std::string random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

TEST(ZkFootprintTest, ASmallHeapServerWithDefaultSettingsSurvivesAPublicationStorm) {
  // 256 MB of heap; 40 snapshots of 2 MB. The server holds each of its last 500 transactions
  // more than once and 400 read answers: chunks over 512 KiB (a 1 MB G1 region apiece) exhaust
  // it after some 100 chunk writes; at 128 KiB they stay below about 180 MB.
  SmallHeapServer server("256m");
  PluginRegistry registry;
  auto plugin = registry.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  const auto open = [&] {
    return std::make_unique<Backend>(plugin, PluginConfig("backend", {{"connect", server.connect(), "test"},
                                                                      {"root", "/berth-footprint", "test"},
                                                                      {"session_timeout", "15s", "test"}}),
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
    last = random_bytes(2u << 20, v);
    try {
      leader->publish(epoch, v, last);
      ASSERT_EQ(follower->fetch(v - 1).first, v);
    } catch (const std::exception& e) {
      FAIL() << "version " << v << ": " << e.what() << "\nserver alive: " << server.alive() << "\n" << server.log_text();
    }
  }
  EXPECT_TRUE(server.alive()) << server.log_text();
  EXPECT_TRUE(server.answers()) << server.log_text();
  EXPECT_EQ(server.log_text().find("OutOfMemoryError"), std::string::npos) << server.log_text();
  EXPECT_TRUE(open()->fetch(0) == (std::pair<uint64_t, std::string>{kVersions, last}));
}

}  // namespace
}  // namespace berth::test
