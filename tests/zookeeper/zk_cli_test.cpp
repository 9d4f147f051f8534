// `berth simulate --zk` and `berth bench --zk` against a real ZooKeeper server (the harness):
// the scenario runs on the zookeeper backend with every node agreeing at every step, and the
// bench reports the ZooKeeper figures.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

// Runs `command` through the shell; its stdout lines and exit status.
std::pair<std::vector<std::string>, int> run(const std::string& command) {
  std::vector<std::string> lines;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return {lines, -1};
  std::string line;
  for (int c; (c = std::fgetc(pipe)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    lines.push_back(line);
    line.clear();
  }
  return {lines, ::pclose(pipe)};
}

class ZkCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<ZkServer>(); }
  static void TearDownTestSuite() { server_.reset(); }
  static std::unique_ptr<ZkServer> server_;
};
std::unique_ptr<ZkServer> ZkCliTest::server_;

TEST_F(ZkCliTest, SimulateRunsItsScenarioOnARealEnsemble) {
  auto [lines, status] = run(std::string(BERTH_CLI) + " simulate --zk " + server_->connect_string() +
                             " --servers 12 --streams 3000 --new-streams 100 --nodes 3 --json");
  EXPECT_EQ(status, 0);
  ASSERT_EQ(lines.size(), 7u) << "one row per step";
  uint64_t version = 0;
  for (const std::string& line : lines) {
    auto row = nlohmann::json::parse(line);
    EXPECT_TRUE(row["agree"].get<bool>()) << line;
    EXPECT_GT(row["version"].get<uint64_t>(), version) << line;
    version = row["version"].get<uint64_t>();
  }
  EXPECT_EQ(nlohmann::json::parse(lines.back())["event"], "leader failover");
}

TEST_F(ZkCliTest, BenchReportsTheZooKeeperFigures) {
  auto [lines, status] = run(std::string(BERTH_CLI) + " bench --zk " + server_->connect_string() +
                             " --streams 20000 --servers 20 --repetitions 1 --json");
  EXPECT_EQ(status, 0);
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  for (const char* key : {"zk_publish_ms_1m", "zk_follower_swap_ms", "zk_delta_publish_ms", "zk_delta_follower_swap_ms",
                          "snapshot_bytes_per_stream", "avg_stream_id_bytes", "delta_bytes_fraction_1pct"}) {
    ASSERT_TRUE(j.contains(key)) << key << " in " << lines[0];
    EXPECT_GT(j[key].get<double>(), 0) << key;
  }
  // The size bound: at most (average id length + 12) bytes per stream.
  EXPECT_LE(j["snapshot_bytes_per_stream"].get<double>(), j["avg_stream_id_bytes"].get<double>() + 12);
  // And a delta after a 1% move: at most 10% of a full snapshot's bytes.
  EXPECT_LE(j["delta_bytes_fraction_1pct"].get<double>(), 0.10);
}

}  // namespace
}  // namespace berth::test
