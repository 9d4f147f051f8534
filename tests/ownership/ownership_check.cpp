// The ownership checker on real processes (docs/ownership.md): hosts (ownership_host, one
// process each, over the host C API) on a real 3-server ZooKeeper ensemble serve what Berth
// grants and log it; a seeded schedule of faults runs against them; then the history checker
// (history.h) judges every host's log together.
//
//   ownership_check [--seeds N] [--first-seed S] [--hosts H] [--streams N] [--faults SECONDS]
//                   [--soft] [--expect-violations] [--no-ensemble-stops] [--work DIR]
//
// Faults, one every 0.5-2.5 s: SIGKILL a host (it comes back), SIGSTOP a host for longer than its
// session and resume it, kill the ZooKeeper quorum leader (it comes back), stop the whole
// ensemble and restart it, drain a host and restart it gracefully, a server joining (a new host)
// or leaving (a host drained and stopped). Then everything heals, and every stream must be held
// again within a bound. The last line printed is
//   ownership checker: N seeds, V violations, max unowned window X ms
// Exit status 0 when V is 0 and every seed settled (with --expect-violations: when V > 0, the
// proof that the checker catches the broken variant --soft).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../zookeeper/node_process.h"
#include "../zookeeper/zk_ensemble.h"
#include "history.h"

namespace {

using namespace std::chrono_literals;
using berth::test::NodeProcess;
using berth::test::ZkEnsemble;
using berth::testing::HistoryEvent;

constexpr const char* kSession = "2s";
constexpr auto kSessionTimeout = 2s;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

struct Settings {
  int seeds = 1;
  uint32_t first_seed = 1;
  int hosts = 5;
  uint64_t streams = 10000;
  int faults_seconds = 40;
  bool soft = false;
  bool expect_violations = false;
  bool ensemble_stops = true;  // the whole ensemble stopped and restarted among the faults
  std::filesystem::path work;
};

// The latest "held <n>" a host printed (0 before any).
uint64_t last_held(const NodeProcess& p) {
  auto lines = p.lines();
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (it->rfind("held ", 0) == 0) return std::stoull(it->substr(5));
  return 0;
}

class Run {
 public:
  Run(const Settings& s, uint32_t seed) : s_(s), seed_(seed), rng_(seed), dir_(s.work / ("seed-" + std::to_string(seed))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  // Returns false when the cluster did not settle; `verdict` judges the history either way.
  bool go(berth::testing::HistoryVerdict& verdict) {
    ZkEnsemble zk;
    connect_ = zk.connect_string();
    bool settled = false;
    try {
      settled = faults_then_heal(zk);
    } catch (const std::exception& e) {
      std::printf("seed %u: FAILED: %s\n", seed_, e.what());
    }
    while (!hosts_.empty()) stop_host(hosts_.begin()->first);
    verdict = judge();  // whatever happened, the history so far must hold
    return settled;
  }

 private:
  bool faults_then_heal(ZkEnsemble& zk) {
    for (int i = 0; i < s_.hosts; ++i) start_host("s" + std::to_string(next_server_++));
    hosts_.begin()->second->ask("add " + std::to_string(s_.streams), "ok add", 60s);
    bool settled = wait_all_held(90s);
    if (!settled) std::printf("seed %u: the first grants did not complete\n", seed_);

    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(s_.faults_seconds);
    // A drain first: it moves every stream of a host, so each run has hand-offs to judge (and the
    // broken variant has grants before releases to be caught at).
    if (settled) fault(zk, 4);
    while (settled && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng_() % 2000));
      fault(zk);
    }
    // Heal: every server back, every host running and up.
    for (int i = 0; i < ZkEnsemble::kServers; ++i)
      if (!zk.running(i)) zk.start(i);
    zk.wait_serving(ZkEnsemble::kServers, 60s);
    for (auto& [server, p] : hosts_) p->ask("undrain", "ok undrain", 30s);
    auto healed = std::chrono::steady_clock::now();
    if (settled) settled = wait_all_held(kSessionTimeout + 30s);
    double settle_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - healed).count();
    std::printf("seed %u: %s %.0f ms after healing\n", seed_, settled ? "every stream held again" : "NOT SETTLED", settle_ms);
    return settled;
  }

  // A host that cannot reach the ensemble in time (a loaded machine, an ensemble still electing)
  // is started again, a few times, before the run gives up.
  void start_host(const std::string& server) {
    for (int attempt = 1;; ++attempt) {
      std::string name = server + "-" + std::to_string(starts_++);
      std::string log = (dir_ / (name + ".history")).string();
      std::vector<std::string> args{connect_, "/ownership-" + std::to_string(seed_), server, kSession, log};
      if (s_.soft) args.push_back("soft");
      auto p = std::make_unique<NodeProcess>(BERTH_OWNERSHIP_HOST, args, (dir_ / (name + ".stderr")).string());
      auto first = p->wait_line([](const std::string& l) { return l == "ready" || l.rfind("error", 0) == 0; }, 0, 60s);
      histories_.push_back(log);
      if (first && *first == "ready") {
        hosts_[server] = std::move(p);
        return;
      }
      std::string why = first ? *first : "no answer in 60 s";
      if (attempt == 3) throw std::runtime_error("host " + name + " did not start: " + why + "; " + p->log_tail(1500));
      std::printf("seed %u: host %s did not start (%s); again\n", seed_, name.c_str(), why.substr(0, 200).c_str());
      p.reset();
      runner_.push_back(HistoryEvent{'K', server, "", 0, now_ns()});
    }
  }
  void stop_host(const std::string& server) {
    hosts_.erase(server);  // EOF: it logs its end and closes; killed if it lingers
    runner_.push_back(HistoryEvent{'K', server, "", 0, now_ns()});
  }
  void kill_host(const std::string& server) {
    hosts_[server]->kill_hard();
    runner_.push_back(HistoryEvent{'K', server, "", 0, now_ns()});
    kills_.push_back(runner_.back());
    hosts_.erase(server);
  }
  std::string pick_host() {
    auto it = hosts_.begin();
    std::advance(it, static_cast<long>(rng_() % hosts_.size()));
    return it->first;
  }

  void fault(ZkEnsemble& zk, int kind = -1) {
    std::string server = pick_host();
    switch (kind >= 0 ? kind : static_cast<int>(rng_() % 7)) {
      case 0:
        std::printf("seed %u: SIGKILL %s\n", seed_, server.c_str());
        kill_host(server);
        start_host(server);
        break;
      case 1:
        std::printf("seed %u: SIGSTOP %s past its session\n", seed_, server.c_str());
        ::kill(hosts_[server]->pid(), SIGSTOP);
        std::this_thread::sleep_for(kSessionTimeout + 1500ms);
        ::kill(hosts_[server]->pid(), SIGCONT);
        break;
      case 2: {
        int leader = zk.leader();
        if (leader < 0) break;
        std::printf("seed %u: kill the ZooKeeper leader\n", seed_);
        zk.kill(leader);
        std::this_thread::sleep_for(1s);
        zk.start(leader);
        break;
      }
      case 3:
        if (!s_.ensemble_stops) break;
        std::printf("seed %u: stop the whole ensemble\n", seed_);
        zk.kill_all();
        std::this_thread::sleep_for(1500ms);
        zk.start_all();
        break;
      case 4:
        std::printf("seed %u: drain and restart %s\n", seed_, server.c_str());
        hosts_[server]->ask("drain", "ok drain", 30s);
        hosts_[server]->wait_line([](const std::string& l) { return l == "held 0"; }, 0, 20s);
        stop_host(server);
        start_host(server);
        break;
      case 5:
        if (hosts_.size() >= static_cast<size_t>(s_.hosts) + 1) break;
        std::printf("seed %u: a server joins\n", seed_);
        start_host("s" + std::to_string(next_server_++));
        break;
      case 6:
        if (hosts_.size() <= 3) break;
        std::printf("seed %u: %s leaves\n", seed_, server.c_str());
        hosts_[server]->ask("drain", "ok drain", 30s);
        hosts_[server]->wait_line([](const std::string& l) { return l == "held 0"; }, 0, 20s);
        stop_host(server);
        break;
    }
    std::fflush(stdout);
  }

  bool wait_all_held(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      uint64_t held = 0;
      for (auto& [server, p] : hosts_) held += last_held(*p);
      if (held == s_.streams) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  berth::testing::HistoryVerdict judge() {
    std::vector<HistoryEvent> events = runner_;
    for (const std::string& path : histories_) {
      std::ifstream in(path);
      auto e = berth::testing::parse_history(in, path);
      events.insert(events.end(), e.begin(), e.end());
    }
    measure_reacquire(events);
    return berth::testing::check_history(std::move(events), 0, now_ns());
  }

 public:
  // Per SIGKILL: how long until every stream the killed host held was acquired again (by any
  // other process, its own successor included). The bound: session timeout + 1 s.
  uint64_t max_reacquire_ns = 0;

 private:
  void measure_reacquire(std::vector<HistoryEvent> events) {
    std::stable_sort(events.begin(), events.end(), [](const HistoryEvent& a, const HistoryEvent& b) { return a.t_ns < b.t_ns; });
    for (const HistoryEvent& kill : kills_) {
      std::map<std::string, bool> held;  // streams the host held at the kill
      for (const HistoryEvent& e : events) {
        if (e.t_ns > kill.t_ns) break;
        if (e.host != kill.host || e.kind == 'K') continue;
        held[e.stream] = e.kind == 'A';
      }
      std::map<std::string, uint64_t> waiting;
      for (const auto& [stream, is_held] : held)
        if (is_held) waiting[stream] = 0;
      for (const HistoryEvent& e : events) {
        if (e.t_ns <= kill.t_ns || e.kind != 'A') continue;
        auto it = waiting.find(e.stream);
        if (it != waiting.end() && it->second == 0) it->second = e.t_ns - kill.t_ns;
      }
      for (const auto& [stream, delay] : waiting) max_reacquire_ns = std::max(max_reacquire_ns, delay);
    }
  }

  const Settings& s_;
  uint32_t seed_;
  std::mt19937 rng_;
  std::filesystem::path dir_;
  std::string connect_;
  std::map<std::string, std::unique_ptr<NodeProcess>> hosts_;
  std::vector<std::string> histories_;
  std::vector<HistoryEvent> runner_;  // ends of hosts, as the runner saw them
  std::vector<HistoryEvent> kills_;   // the SIGKILLs among them
  int next_server_ = 0;
  int starts_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a host that died while spoken to is an error to report, not our end
  Settings s;
  s.work = std::filesystem::temp_directory_path() / ("berth-ownership-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ownership_check: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seeds") s.seeds = std::stoi(next());
    else if (a == "--first-seed") s.first_seed = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--hosts") s.hosts = std::stoi(next());
    else if (a == "--streams") s.streams = std::stoull(next());
    else if (a == "--faults") s.faults_seconds = std::stoi(next());
    else if (a == "--soft") s.soft = true;
    else if (a == "--no-ensemble-stops") s.ensemble_stops = false;
    else if (a == "--expect-violations") s.expect_violations = true;
    else if (a == "--work") s.work = next();
    else {
      std::fprintf(stderr, "ownership_check: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  uint64_t violations = 0, max_unowned_ns = 0, max_reacquire_ns = 0;
  bool all_settled = true;
  for (int k = 0; k < s.seeds; ++k) {
    uint32_t seed = s.first_seed + static_cast<uint32_t>(k);
    berth::testing::HistoryVerdict v;
    bool settled = false;
    uint64_t reacquire_ns = 0;
    try {
      Run run(s, seed);
      settled = run.go(v);
      reacquire_ns = run.max_reacquire_ns;
    } catch (const std::exception& e) {
      std::printf("seed %u: FAILED: %s\n", seed, e.what());
    }
    all_settled = all_settled && settled;
    violations += v.violations;
    max_unowned_ns = std::max(max_unowned_ns, v.max_unowned_ns);
    std::printf("seed %u: %llu intervals, %llu overlaps, %llu token regressions, max unowned window %.1f ms\n", seed,
                static_cast<unsigned long long>(v.intervals), static_cast<unsigned long long>(v.overlaps),
                static_cast<unsigned long long>(v.token_regressions), static_cast<double>(v.max_unowned_ns) / 1e6);
    for (const std::string& example : v.examples) std::printf("  %s\n", example.c_str());
    std::printf("seed %u: streams of a SIGKILLed host acquired again within %.0f ms (session timeout + 1 s: %lld ms)\n", seed,
                static_cast<double>(reacquire_ns) / 1e6,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(kSessionTimeout + 1s).count()));
    max_reacquire_ns = std::max(max_reacquire_ns, reacquire_ns);
  }
  std::error_code ignored;
  if (violations == 0 && all_settled) std::filesystem::remove_all(s.work, ignored);
  std::printf("every SIGKILLed host's streams were acquired again within %.0f ms\n", static_cast<double>(max_reacquire_ns) / 1e6);
  std::printf("ownership checker: %d seeds, %llu violations, max unowned window %.0f ms\n", s.seeds,
              static_cast<unsigned long long>(violations), static_cast<double>(max_unowned_ns) / 1e6);
  if (s.expect_violations) return violations > 0 ? 0 : 1;
  return violations == 0 && all_settled ? 0 : 1;
}
