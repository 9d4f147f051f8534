#include "zookeeper/zk_ensemble.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

std::string srvr(int port) { return zk_four_letter_word("127.0.0.1", port, "srvr", std::chrono::milliseconds(500)); }

// Whether a `srvr` answer is a quorum member's (leader or follower).
bool in_quorum(const std::string& answer) {
  return answer.find("Mode: leader") != std::string::npos || answer.find("Mode: follower") != std::string::npos;
}

}  // namespace

ZkEnsemble::ZkEnsemble(std::chrono::milliseconds timeout, std::vector<std::string> jvm_options)
    : timeout_(timeout), jvm_options_(std::move(jvm_options)) {
  char pattern[] = "/tmp/berth-zk-ensemble-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  dir_ = pattern;
  try {
    std::set<int> taken;  // zk_free_port may hand out a port twice in a row: nine distinct ones
    auto port = [&] {
      for (;;) {
        int p = zk_free_port();
        if (taken.insert(p).second) return p;
      }
    };
    for (Server& s : servers_) {
      s.client_port = port();
      s.quorum_port = port();
      s.election_port = port();
    }
    for (int i = 0; i < kServers; ++i) {
      Server& s = servers_[static_cast<size_t>(i)];
      s.dir = dir_ + "/server" + std::to_string(i + 1);
      std::filesystem::create_directories(s.dir + "/data");
      std::ofstream(s.dir + "/data/myid") << (i + 1) << "\n";
      std::ofstream cfg(s.dir + "/zoo.cfg");
      // tickTime 200 ms: sessions of 400 ms..10 s, a lost quorum leader replaced in about a second.
      // forceSync=no: no fsync per transaction (the page cache survives a killed JVM; a test never
      // loses the machine), else three servers fsyncing megabyte snapshots dominate the run time.
      cfg << "tickTime=200\n"
          << "initLimit=20\n"
          << "syncLimit=5\n"
          << "minSessionTimeout=400\n"
          << "maxSessionTimeout=10000\n"
          << "forceSync=no\n"
          << "dataDir=" << s.dir << "/data\n"
          << "clientPortAddress=127.0.0.1\n"
          << "clientPort=" << s.client_port << "\n"
          << "admin.enableServer=false\n"
          << "4lw.commands.whitelist=ruok,srvr,stat,mntr\n";
      for (int j = 0; j < kServers; ++j) {
        const Server& peer = servers_[static_cast<size_t>(j)];
        cfg << "server." << (j + 1) << "=127.0.0.1:" << peer.quorum_port << ":" << peer.election_port << "\n";
      }
      if (!cfg) throw std::runtime_error("cannot write " + s.dir + "/zoo.cfg");
    }
    start_all();
  } catch (...) {
    kill_all();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

ZkEnsemble::~ZkEnsemble() {
  kill_all();
  std::error_code ignored;
  if (!keep_) std::filesystem::remove_all(dir_, ignored);
}

std::string ZkEnsemble::connect_string() const {
  std::string out;
  for (const Server& s : servers_) out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(s.client_port);
  return out;
}

int ZkEnsemble::leader() const {
  for (int i = 0; i < kServers; ++i)
    if (running(i) && srvr(client_port(i)).find("Mode: leader") != std::string::npos) return i;
  return -1;
}

bool ZkEnsemble::serving(int server) const {
  if (!running(server)) return false;
  return in_quorum(srvr(client_port(server)));
}

bool ZkEnsemble::wait_serving(int count, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int n = 0;
    for (int i = 0; i < kServers; ++i) n += serving(i) ? 1 : 0;
    if (n >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool ZkEnsemble::wait_agreed(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The zxid every server reports, or "" unless all serve and report the same.
  const auto agreed_zxid = [&] {
    std::string agreed;
    for (int i = 0; i < kServers; ++i) {
      const std::string answer = running(i) ? srvr(client_port(i)) : "";
      const size_t at = answer.find("Zxid: ");
      if (!in_quorum(answer) || at == std::string::npos) return std::string();
      const std::string zxid = answer.substr(at, answer.find('\n', at) - at);
      if (i > 0 && zxid != agreed) return std::string();
      agreed = zxid;
    }
    return agreed;
  };
  std::string before;
  for (;;) {
    const std::string now = agreed_zxid();
    if (!now.empty() && now == before) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    before = now;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void ZkEnsemble::kill(int server) noexcept {
  Server& s = servers_.at(static_cast<size_t>(server));
  zk_end_server(s.pid, false);
  s.pid = -1;
}

void ZkEnsemble::start(int server) {
  Server& s = servers_.at(static_cast<size_t>(server));
  if (s.pid > 0) return;
  s.pid = zk_spawn_server(s.dir, s.dir + "/zoo.cfg", s.dir + "/server.log", jvm_options_);
}

void ZkEnsemble::kill_all() noexcept {
  // All at once: killed one after another, clients of the first would move to a server still up
  // (and a quorum would still serve) in the moment before the next one goes.
  for (const Server& s : servers_)
    if (s.pid > 0) ::kill(s.pid, SIGKILL);
  for (int i = 0; i < kServers; ++i) kill(i);
}

void ZkEnsemble::start_all() {
  for (int i = 0; i < kServers; ++i) start(i);
  if (!wait_serving(kServers, timeout_)) {
    std::string logs;
    for (int i = 0; i < kServers; ++i) logs += "\n--- server " + std::to_string(i + 1) + ":\n" + log_tail(i);
    throw std::runtime_error("the ZooKeeper ensemble " + connect_string() + " did not serve within " +
                             std::to_string(timeout_.count()) + " ms" + logs);
  }
}

std::string ZkEnsemble::log_tail(int server, size_t max_bytes) const {
  std::ifstream in(servers_.at(static_cast<size_t>(server)).dir + "/server.log", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace berth::test
