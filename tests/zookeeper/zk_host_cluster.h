// Three ownership hosts (tests/ownership/ownership_host.cpp, one process each, serving what
// Berth grants and logging it for the history checker) on one real ZooKeeper server, for the
// tests of faults from outside (zk_storm_test.cpp, zk_expiry_test.cpp, zk_partition_test.cpp).
// Each host's stderr, with its status lines, goes to <dir>/s<i>.log; its history to
// <dir>/s<i>.history; its ZooKeeper session id and password (a test-only hook of the backend) to
// <dir>/s<i>.session.
// BERTH_ZK_KEEP=1 keeps the directory after a passing test.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>  // mkdtemp, getenv, setenv
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "history.h"
#include "zookeeper/node_process.h"

namespace berth::test {

using namespace std::chrono_literals;

constexpr int64_t kSessionMs = 2000;
// For tests whose margin is a share of the session timeout: seconds, on a loaded machine too.
constexpr int64_t kLongSessionMs = 6000;
constexpr uint64_t kStreams = 300;

template <class Pred>
inline bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Deletes `path` and what is below it, children first, as an operator's recursive delete does;
// whatever the nodes recreate meanwhile may survive it.
inline void delete_recursively(zhandle_t* zh, const std::string& path) {
  String_vector names{};
  if (zoo_get_children(zh, path.c_str(), 0, &names) != ZOK) return;
  std::vector<std::string> children;
  for (int32_t i = 0; i < names.count; ++i) children.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  for (const std::string& child : children) delete_recursively(zh, path + "/" + child);
  zoo_delete(zh, path.c_str(), -1);
}

// A host's session as the hook wrote it ("<session hex> <password hex>"); throws when the file
// holds none, so a comparison of sessions cannot pass on two empty ones.
inline clientid_t read_session(const std::string& path) {
  std::ifstream in(path);
  std::string id, password;
  in >> id >> password;
  clientid_t out{};
  if (id.empty() || password.size() != 2 * sizeof out.passwd) throw std::runtime_error("no session in " + path);
  out.client_id = static_cast<int64_t>(std::stoull(id, nullptr, 16));
  for (size_t i = 0; i < sizeof out.passwd; ++i)
    out.passwd[i] = static_cast<char>(std::stoul(password.substr(2 * i, 2), nullptr, 16));
  return out;
}

struct Status {
  uint64_t version = 0;
  uint64_t epoch = 0;
  bool leader = false;
  bool degraded = false;
  uint64_t t_ns = 0;
};

// "status <version> <epoch> <leader> <degraded> <ok> <failed> <refresh ms> <monotonic ns>" lines
// of a host's stderr.
inline std::vector<Status> statuses(const std::string& log_path) {
  std::vector<Status> out;
  std::ifstream in(log_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("status ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    Status s;
    int leader = 0, degraded = 0;
    uint64_t ok = 0, failed = 0;
    int64_t refresh_ms = 0;
    if (words >> s.version >> s.epoch >> leader >> degraded >> ok >> failed >> refresh_ms >> s.t_ns) {
      s.leader = leader == 1;
      s.degraded = degraded == 1;
      out.push_back(s);
    }
  }
  return out;
}

class HostCluster : public ::testing::Test {
 protected:
  void TearDown() override {
    hosts_.clear();
    if (!HasFailure() && std::getenv("BERTH_ZK_KEEP") == nullptr) std::filesystem::remove_all(dir_);
    else std::printf("logs kept in %s\n", dir_.c_str());
  }

  void start_hosts(const std::string& connect) { start_hosts(std::vector<std::string>(3, connect)); }
  // Host i reaches ZooKeeper through connect[i] (a proxy of a fault test, or the server itself).
  void start_hosts(const std::vector<std::string>& connect) {
    // Rare periodic refreshes: a leader that is not woken when it may lead shows as a late one.
    ::setenv("BERTH_HOST_REFRESH_INTERVAL", "120s", 1);
    for (int i = 0; i < 3; ++i) {
      const std::string server = "s" + std::to_string(i);
      // Test-only (zk_session.cpp): each new session's id and password, for forced expiries.
      ::setenv("BERTH_ZK_TEST_SESSION_FILE", (dir_ + "/" + server + ".session").c_str(), 1);
      hosts_.push_back(std::make_unique<NodeProcess>(
          BERTH_OWNERSHIP_HOST,
          std::vector<std::string>{connect.at(i), root_, server, server, std::to_string(session_ms_) + "ms",
                                   dir_ + "/" + server + ".history"},
          dir_ + "/" + server + ".log"));
    }
    for (auto& h : hosts_)
      ASSERT_TRUE(h->wait_line([](const std::string& l) { return l == "ready"; }, 0, 30s)) << h->log_tail();
  }

  std::vector<berth::testing::HistoryEvent> history() const {
    std::vector<berth::testing::HistoryEvent> events;
    for (int i = 0; i < 3; ++i) {
      const std::string path = dir_ + "/s" + std::to_string(i) + ".history";
      std::ifstream in(path);
      auto e = berth::testing::parse_history(in, path);
      events.insert(events.end(), e.begin(), e.end());
    }
    return events;
  }

  std::vector<Status> status_of(int i) const { return statuses(dir_ + "/s" + std::to_string(i) + ".log"); }
  // Host i's latest status (a default one before its first), and the host leading by them, or -1.
  Status now(int i) const {
    auto all = status_of(i);
    return all.empty() ? Status{} : all.back();
  }
  int leader() const {
    for (int i = 0; i < 3; ++i)
      if (now(i).leader) return i;
    return -1;
  }
  // Every host serves the same version, one of them leads, none is degraded.
  bool converged() const {
    Status a = now(0), b = now(1), c = now(2);
    return a.version == b.version && b.version == c.version && a.leader + b.leader + c.leader == 1 && !a.degraded &&
           !b.degraded && !c.degraded;
  }

  std::string dir_ = [] {
    char pattern[] = "/tmp/berth-zk-hosts-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp /tmp/berth-zk-hosts-XXXXXX failed");
    return std::string(pattern);
  }();
  std::string root_ = "/berth-hosts";
  int64_t session_ms_ = kSessionMs;  // the hosts' session timeout, set before they start
  std::vector<std::unique_ptr<NodeProcess>> hosts_;
};

}  // namespace berth::test
