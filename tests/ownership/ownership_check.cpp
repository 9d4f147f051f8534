// The ownership checker on real processes (docs/ownership.md): hosts (ownership_host, one
// process each, over the host C API) on a real 3-server ZooKeeper ensemble serve what Berth
// grants and log it; a seeded schedule of faults runs against them; then the history checker
// (history.h) judges every host's log together.
//
//   ownership_check [--seeds N] [--first-seed S] [--hosts H] [--streams N] [--faults SECONDS]
//                   [--soft] [--expect-violations] [--no-ensemble-stops] [--work DIR] [--keep]
//                   [--reacquire-bound MS] [--settle-bound MS] [--plan KIND,...] [--vanish-wait DURATION]
//
// The work directory (histories, each host's stderr with its status lines) is removed after a
// clean run unless --keep is given.
//
// Faults, one every 0.5-2.5 s: SIGKILL a host (it comes back; half the time the host whose engine
// leads), SIGSTOP a host for longer than its
// session and resume it, kill the ZooKeeper quorum leader (it comes back), stop the whole
// ensemble and restart it, drain a host and restart it gracefully, a server joining (a new host)
// or leaving (a host drained and stopped). Then everything heals. Every process is a host of its
// own in the history (server id and a start count: s3-7), so a server joined again by a new
// process cannot hide an overlap with its predecessor. Violations, each judged by the history
// checker: two hosts holding one stream at once, a token that does not grow, a SIGKILLed host's
// stream not acquired by another host within 2 x session timeout + 1 s (a SIGKILL waits for every
// stream to be held first, up to 10 s, and the next fault for that bound; --reacquire-bound
// judges against another bound, for runs on a machine too loaded for the floor), a stream not held
// again within kSettle of the faults healing. --plan replaces the random schedule by the faults
// named, in order (kill, kill-leader, stop, zk-leader, restart-ensemble, drain, join, leave,
// delete-member), e.g. `--plan restart-ensemble,kill-leader` for a leader's crash soon after the
// ensemble restarted. --vanish-wait sets every host's ownership.vanish_wait (0: the broken
// variant of lapsing holds, docs/ownership.md).
// Every SIGKILL's re-acquire time is printed, and before the verdict their distribution, the
// kills of the leading host apart. The last line printed is
//   ownership checker: N seeds, V violations, max unowned window X ms
// Exit status 0 when V is 0 and every seed settled (with --expect-violations: when two hosts held
// one stream at once, the proof that the checker catches the broken variant --soft).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/child_io.h"
#include "history.h"
#include "zookeeper/node_process.h"
#include "zookeeper/zk_ensemble.h"

namespace {

using namespace std::chrono_literals;
using berth::test::NodeProcess;
using berth::test::ZkEnsemble;
using berth::testing::HistoryEvent;
using berth::test::monotonic_ns;

constexpr const char* kSession = "2s";
constexpr auto kSessionTimeout = 2s;
// The floor for a crashed host: its streams acquired elsewhere within this (its session expires,
// then its streams lapse for the vanish wait, the session timeout: docs/ownership.md).
constexpr auto kReacquire = 2 * kSessionTimeout + 1s;
// Once the last fault healed (the ensemble serving again, every host running and undrained),
// every stream is held again within this: a session expired during the last fault, the lapse of
// its streams, a new registration, a refresh and its publication.
constexpr auto kSettle = 2 * kSessionTimeout + 3s;

uint64_t ns(std::chrono::nanoseconds d) { return static_cast<uint64_t>(d.count()); }

struct Settings {
  int seeds = 1;
  uint32_t first_seed = 1;
  int hosts = 5;
  uint64_t streams = 10000;
  int faults_seconds = 40;
  bool soft = false;
  bool expect_violations = false;
  bool ensemble_stops = true;  // the whole ensemble stopped and restarted among the faults
  bool keep = false;           // the work directory, even after a clean run
  std::chrono::milliseconds reacquire = std::chrono::duration_cast<std::chrono::milliseconds>(kReacquire);
  std::chrono::milliseconds settle = std::chrono::duration_cast<std::chrono::milliseconds>(kSettle);
  std::vector<int> plan;  // fault kinds in order instead of a random schedule
  std::filesystem::path work;
};

// Fault kinds (Run::fault); kKillLeader is a SIGKILL of the leading host, never of another;
// kDeleteMember (only by --plan) deletes a host's member znode from outside while its session lives.
constexpr int kKillLeader = 7;
constexpr int kDeleteMember = 8;
const char* const kFaultNames[] = {"kill",  "stop",        "zk-leader",    "restart-ensemble", "drain",
                                   "join",  "leave",       "kill-leader",  "delete-member"};

std::vector<int> parse_plan(const std::string& text) {
  std::vector<int> plan;
  std::istringstream in(text);
  for (std::string name; std::getline(in, name, ',');) {
    auto it = std::find(std::begin(kFaultNames), std::end(kFaultNames), name);
    if (it == std::end(kFaultNames)) throw std::invalid_argument("--plan: unknown fault '" + name + "'");
    plan.push_back(static_cast<int>(it - std::begin(kFaultNames)));
  }
  return plan;
}

// A SIGKILL as judged: whether it hit the leading host, and its streams' longest wait.
struct KillFigure {
  bool leading = false;
  double ms = 0;
};

// The complete lines of a host's history file so far (a line is written with one write(2), but a
// reader may come between two).
std::vector<HistoryEvent> read_history(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  std::istringstream lines(text);
  return berth::testing::parse_history(lines, path);
}

// Whether the host's engine leads, by the last "leader" line it printed.
bool leads(const NodeProcess& p) {
  auto lines = p.lines();
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (it->rfind("leader ", 0) == 0) return *it == "leader 1";
  return false;
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
    verdict = judge(settled);  // whatever happened, the history so far must hold
    return settled;
  }

 private:
  bool faults_then_heal(ZkEnsemble& zk) {
    for (int i = 0; i < s_.hosts; ++i) start_host("s" + std::to_string(next_server_++));
    hosts_.begin()->second.process->ask("add " + std::to_string(s_.streams), "ok add", 60s);
    bool settled = wait_all_held(90s);
    if (!settled) std::printf("seed %u: the first grants did not complete\n", seed_);

    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(s_.faults_seconds);
    // A drain first: it moves every stream of a host, so each run has hand-offs to judge (and the
    // broken variant has grants before releases to be caught at).
    if (settled) fault(zk, 4);
    for (size_t i = 0; settled && i < s_.plan.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng_() % 2000));
      fault(zk, s_.plan[i]);
    }
    while (settled && s_.plan.empty() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng_() % 2000));
      fault(zk);
    }
    // Heal: every server back, every host running and up.
    for (int i = 0; i < ZkEnsemble::kServers; ++i)
      if (!zk.running(i)) zk.start(i);
    zk.wait_serving(ZkEnsemble::kServers, 60s);
    for (auto& [server, h] : hosts_) h.process->ask("undrain", "ok undrain", 30s);
    auto healed = std::chrono::steady_clock::now();
    healed_ns_ = monotonic_ns();
    if (settled) settled = wait_all_held(s_.settle + 30s);
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
      std::vector<std::string> args{connect_, "/ownership-" + std::to_string(seed_), server, name, kSession, log};
      if (s_.soft) args.push_back("soft");
      auto p = std::make_unique<NodeProcess>(BERTH_OWNERSHIP_HOST, args, (dir_ / (name + ".stderr")).string());
      auto first = p->wait_line([](const std::string& l) { return l == "ready" || l.rfind("error", 0) == 0; }, 0, 60s);
      histories_.push_back(log);
      if (first && *first == "ready") {
        hosts_[server] = Host{name, std::move(p)};
        return;
      }
      std::string why = first ? *first : "no answer in 60 s";
      if (attempt == 3) throw std::runtime_error("host " + name + " did not start: " + why + "; " + p->log_tail(1500));
      std::printf("seed %u: host %s did not start (%s); again\n", seed_, name.c_str(), why.substr(0, 200).c_str());
      p.reset();
      runner_.push_back(HistoryEvent{'K', name, "", 0, monotonic_ns()});
    }
  }
  void stop_host(const std::string& server) {
    std::string name = hosts_.at(server).name;
    hosts_.erase(server);  // EOF: it logs its end and closes; killed if it lingers
    runner_.push_back(HistoryEvent{'K', name, "", 0, monotonic_ns()});
  }
  // Returns when it was killed.
  uint64_t kill_host(const std::string& server) {
    hosts_.at(server).process->kill_hard();
    runner_.push_back(HistoryEvent{'X', hosts_.at(server).name, "", 0, monotonic_ns()});
    hosts_.erase(server);
    return runner_.back().t_ns;
  }
  // The fault's line, with the time on the history's clock.
  void announce(const std::string& what) {
    std::printf("seed %u: %s (t=%.3f s)\n", seed_, what.c_str(), static_cast<double>(monotonic_ns()) / 1e9);
    std::fflush(stdout);
  }
  std::string pick_host() {
    auto it = hosts_.begin();
    std::advance(it, static_cast<long>(rng_() % hosts_.size()));
    return it->first;
  }

  void fault(ZkEnsemble& zk, int kind = -1) {
    std::string server = pick_host();
    const std::string host = hosts_.at(server).name;
    NodeProcess& process = *hosts_.at(server).process;
    switch (kind >= 0 ? kind : static_cast<int>(rng_() % 7)) {
      case 0:
      case kKillLeader: {
        // A crash of a host in a cluster at rest: the bound is not about faults still healing.
        // Half of them hit the leader's host: its streams then wait for an election as well.
        wait_all_held(10s);
        if (kind == kKillLeader || rng_() % 2 == 0)
          for (const auto& [id, h] : hosts_)
            if (leads(*h.process)) server = id;
        const bool leading = leads(*hosts_.at(server).process);
        announce("SIGKILL " + hosts_.at(server).name + (leading ? " (leading)" : ""));
        killed_leading_[hosts_.at(server).name] = leading;
        uint64_t killed = kill_host(server);
        start_host(server);
        // Nothing else happens until the bound on re-acquiring its streams has passed: each
        // kill is judged on its own.
        uint64_t judged = killed + ns(s_.reacquire);
        if (monotonic_ns() < judged) std::this_thread::sleep_for(std::chrono::nanoseconds(judged - monotonic_ns()));
        if (leading) phases_after(killed, server);
        break;
      }
      case 1:
        announce("SIGSTOP " + host + " past its session");
        ::kill(process.pid(), SIGSTOP);
        std::this_thread::sleep_for(kSessionTimeout + 1500ms);
        ::kill(process.pid(), SIGCONT);
        break;
      case 2: {
        int leader = zk.leader();
        if (leader < 0) break;
        announce("kill the ZooKeeper leader");
        zk.kill(leader);
        std::this_thread::sleep_for(1s);
        zk.start(leader);
        break;
      }
      case 3:
        if (!s_.ensemble_stops) break;
        // Not while a restarted server still takes in what it missed (zk_ensemble.h: ZooKeeper
        // 3.8.0 may then lose committed transactions).
        if (!zk.wait_agreed(std::chrono::seconds(60))) announce("the servers did not agree on a zxid within 60 s; stopping it anyway");
        announce("stop the whole ensemble");
        zk.kill_all();
        std::this_thread::sleep_for(1500ms);
        zk.start_all();
        announce("the ensemble serves again");
        break;
      case 4: {
        // Under soft hand-offs (the broken variant) a drained host's claims end when its own node
        // installs the version that grants them elsewhere, so two hosts hold a stream only while
        // the new holder's node is ahead of the drained one's. The leader's node installs first:
        // the broken variant drains another host, or it would show nothing.
        if (s_.soft && leads(*hosts_.at(server).process))
          for (const auto& [id, h] : hosts_)
            if (!leads(*h.process)) server = id;
        NodeProcess& drained = *hosts_.at(server).process;
        announce("drain and restart " + hosts_.at(server).name);
        drained.ask("drain", "ok drain", 30s);
        wait_drained(server, 20s);
        stop_host(server);
        start_host(server);
        break;
      }
      case 5:
        if (hosts_.size() >= static_cast<size_t>(s_.hosts) + 1) break;
        announce("a server joins");
        start_host("s" + std::to_string(next_server_++));
        break;
      case kDeleteMember:
        announce("delete " + host + "'s member from outside");
        delete_member("/ownership-" + std::to_string(seed_) + "/members/" + server);
        break;
      case 6:
        if (hosts_.size() <= 3) break;
        announce(host + " leaves");
        process.ask("drain", "ok drain", 30s);
        wait_drained(server, 20s);
        stop_host(server);
        break;
    }
    std::fflush(stdout);
  }

  // As an operator's client would, while the member's session lives.
  void delete_member(const std::string& path) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t* zh = zookeeper_init(connect_.c_str(), nullptr, 10000, nullptr, nullptr, 0);
    if (zh == nullptr) throw std::runtime_error("zookeeper_init failed");
    for (int i = 0; i < 500 && zoo_state(zh) != ZOO_CONNECTED_STATE; ++i) std::this_thread::sleep_for(10ms);
    const int rc = zoo_delete(zh, path.c_str(), -1);
    zookeeper_close(zh);
    // A fault not injected would let the run pass without testing what it claims.
    if (rc != ZOK) throw std::runtime_error("delete " + path + ": " + zerror(rc));
  }

  // A host's "status" lines on stderr (ownership_host.cpp), in order.
  struct Status {
    uint64_t version = 0, epoch = 0;
    bool leader = false;
    double refresh_ms = 0;
    uint64_t t_ns = 0;
  };
  std::vector<Status> statuses(const std::string& name) const {
    std::ifstream in(dir_ / (name + ".stderr"));
    std::vector<Status> out;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("status ", 0) != 0) continue;
      std::istringstream f(line.substr(7));
      Status st;
      int leader = 0, degraded = 0;
      uint64_t ok = 0, failed = 0;
      if (f >> st.version >> st.epoch >> leader >> degraded >> ok >> failed >> st.refresh_ms >> st.t_ns) {
        st.leader = leader != 0;
        out.push_back(st);
      }
    }
    return out;
  }

  // Where the time went after the leading host was killed at `killed`, by the other hosts'
  // status lines: a new leader elected, its first publication (and how long that refresh took),
  // every other host that was running serving it (`restarted`, the killed host's server started
  // again, apart).
  void phases_after(uint64_t killed, const std::string& restarted) {
    auto ms = [&](uint64_t t) { return static_cast<double>(t - killed) / 1e6; };
    std::string leader;
    Status elected, published;
    for (const auto& [server, h] : hosts_)
      for (const Status& st : statuses(h.name))
        if (st.t_ns > killed && st.leader) {
          if (leader.empty() || st.t_ns < elected.t_ns) leader = h.name, elected = st;
          break;
        }
    if (leader.empty()) {
      std::printf("seed %u: no host led within %lld ms of the kill\n", seed_, static_cast<long long>(s_.reacquire.count()));
      return;
    }
    for (const Status& st : statuses(leader))
      if (st.t_ns >= elected.t_ns && st.version > elected.version) {
        published = st;
        break;
      }
    if (published.t_ns == 0) {
      std::printf("seed %u: %s led %.0f ms after the kill and published nothing before the bound\n", seed_,
                  leader.c_str(), ms(elected.t_ns));
      return;
    }
    uint64_t installed = published.t_ns;
    for (const auto& [server, h] : hosts_)
      if (server != restarted)
        for (const Status& st : statuses(h.name))
          if (st.t_ns > killed && st.version >= published.version) {
            installed = std::max(installed, st.t_ns);
            break;
          }
    std::printf("seed %u: after the kill: %s leads at %.0f ms, publishes version %llu at %.0f ms (its refresh %.0f ms), "
                "every host serves it at %.0f ms\n",
                seed_, leader.c_str(), ms(elected.t_ns), static_cast<unsigned long long>(published.version),
                ms(published.t_ns), published.refresh_ms, ms(installed));
  }

  // Until the host of `server` holds nothing, by its history.
  void wait_drained(const std::string& server, std::chrono::milliseconds timeout) {
    const std::string& name = hosts_.at(server).name;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::vector<HistoryEvent> events = read_history((dir_ / (name + ".history")).string());
      if (berth::testing::check_history(std::move(events), 0, monotonic_ns()).held_at_end == 0) return;
      std::this_thread::sleep_for(100ms);
    }
    std::printf("seed %u: %s still holds streams %lld ms after its drain began\n", seed_, name.c_str(),
                static_cast<long long>(timeout.count()));
  }

  // Every stream held by some host, by the histories (what the checker judges).
  bool wait_all_held(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (berth::testing::check_history(history(), 0, monotonic_ns()).held_at_end == s_.streams) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  std::vector<HistoryEvent> history() const {
    std::vector<HistoryEvent> events = runner_;
    for (const std::string& path : histories_) {
      auto e = read_history(path);
      events.insert(events.end(), e.begin(), e.end());
    }
    return events;
  }


 public:
  // Each SIGKILL judged in `v`, in the order they happened.
  std::vector<KillFigure> kill_figures(const berth::testing::HistoryVerdict& v) const {
    std::vector<KillFigure> out;
    for (const auto& k : v.kill_delays) {
      auto it = killed_leading_.find(k.host);
      out.push_back(KillFigure{it != killed_leading_.end() && it->second, static_cast<double>(k.reacquire_ns) / 1e6});
      std::printf("seed %u: SIGKILL %s%s: its streams acquired elsewhere within %.0f ms\n", seed_, k.host.c_str(),
                  out.back().leading ? " (leading)" : "", out.back().ms);
    }
    return out;
  }

 private:
  // With `settled`: every stream must be held again within kSettle of the healing.
  berth::testing::HistoryVerdict judge(bool settled) {
    std::vector<HistoryEvent> events = history();
    berth::testing::HistoryBounds bounds;
    bounds.end_ns = monotonic_ns();
    bounds.reacquire_ns = ns(s_.reacquire);
    if (settled) {
      bounds.healed_ns = healed_ns_;
      bounds.settle_ns = ns(s_.settle);
      for (uint64_t i = 0; i < s_.streams; ++i) bounds.streams.push_back("stream-" + std::to_string(i));
    }
    return berth::testing::check_history(std::move(events), bounds);
  }

  struct Host {
    std::string name;  // in the history: the server and this process's start count
    std::unique_ptr<NodeProcess> process;
  };
  const Settings& s_;
  uint32_t seed_;
  std::mt19937 rng_;
  std::filesystem::path dir_;
  std::string connect_;
  std::map<std::string, Host> hosts_;  // by server id
  std::vector<std::string> histories_;
  std::vector<HistoryEvent> runner_;  // ends of hosts (closed or killed), as the runner saw them
  std::map<std::string, bool> killed_leading_;  // SIGKILLed hosts: whether each led when killed
  uint64_t healed_ns_ = 0;
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
    else if (a == "--keep") s.keep = true;
    else if (a == "--reacquire-bound") s.reacquire = std::chrono::milliseconds(std::stoll(next()));
    else if (a == "--settle-bound") s.settle = std::chrono::milliseconds(std::stoll(next()));
    else if (a == "--vanish-wait") ::setenv("BERTH_HOST_VANISH_WAIT", next().c_str(), 1);  // the hosts inherit it
    else if (a == "--plan") {
      try {
        s.plan = parse_plan(next());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ownership_check: %s\n", e.what());
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "ownership_check: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  uint64_t violations = 0, overlaps = 0, max_unowned_ns = 0, max_reacquire_ns = 0, max_settled_ns = 0;
  bool all_settled = true;
  std::vector<KillFigure> kills;
  for (int k = 0; k < s.seeds; ++k) {
    uint32_t seed = s.first_seed + static_cast<uint32_t>(k);
    berth::testing::HistoryVerdict v;
    bool settled = false;
    auto started = std::chrono::steady_clock::now();
    try {
      Run run(s, seed);
      settled = run.go(v);
      auto figures = run.kill_figures(v);
      kills.insert(kills.end(), figures.begin(), figures.end());
    } catch (const std::exception& e) {
      std::printf("seed %u: FAILED: %s\n", seed, e.what());
    }
    all_settled = all_settled && settled;
    violations += v.violations;
    overlaps += v.overlaps;
    max_unowned_ns = std::max(max_unowned_ns, v.max_unowned_ns);
    max_reacquire_ns = std::max(max_reacquire_ns, v.max_reacquire_ns);
    max_settled_ns = std::max(max_settled_ns, v.settled_ns);
    std::printf("seed %u: %llu intervals, %llu overlaps, %llu token regressions, max unowned window %.1f ms\n", seed,
                static_cast<unsigned long long>(v.intervals), static_cast<unsigned long long>(v.overlaps),
                static_cast<unsigned long long>(v.token_regressions), static_cast<double>(v.max_unowned_ns) / 1e6);
    std::printf("seed %u: %llu SIGKILLs, their streams acquired elsewhere within %.0f ms (bound %lld ms; %llu late, "
                "%llu streams); every stream held %.0f ms after healing (bound %lld ms, %llu late); %.0f s\n",
                seed, static_cast<unsigned long long>(v.kills), static_cast<double>(v.max_reacquire_ns) / 1e6,
                static_cast<long long>(s.reacquire.count()),
                static_cast<unsigned long long>(v.late_kills), static_cast<unsigned long long>(v.late_reacquires),
                static_cast<double>(v.settled_ns) / 1e6,
                static_cast<long long>(s.settle.count()),
                static_cast<unsigned long long>(v.unsettled),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    for (const std::string& example : v.examples) std::printf("  %s\n", example.c_str());
    std::fflush(stdout);
  }
  std::error_code ignored;
  if (violations == 0 && all_settled && !s.keep) std::filesystem::remove_all(s.work, ignored);
  else std::printf("histories and host logs: %s\n", s.work.c_str());
  std::printf("SIGKILLed hosts' streams acquired elsewhere within %.0f ms at most; every stream held again %.0f ms "
              "after healing at most\n",
              static_cast<double>(max_reacquire_ns) / 1e6, static_cast<double>(max_settled_ns) / 1e6);
  for (bool leading : {false, true}) {
    std::vector<double> ms;
    for (const KillFigure& k : kills)
      if (k.leading == leading) ms.push_back(k.ms);
    std::sort(ms.begin(), ms.end());
    std::string list;
    for (double m : ms) list += (list.empty() ? "" : " ") + std::to_string(static_cast<long long>(m));
    std::printf("SIGKILLs of %s hosts: %zu, re-acquired within (ms, sorted): %s\n", leading ? "leading" : "other",
                ms.size(), ms.empty() ? "-" : list.c_str());
  }
  std::printf("ownership checker: %d seeds, %llu violations, max unowned window %.0f ms\n", s.seeds,
              static_cast<unsigned long long>(violations), static_cast<double>(max_unowned_ns) / 1e6);
  if (s.expect_violations) return overlaps > 0 ? 0 : 1;
  return violations == 0 && all_settled ? 0 : 1;
}
