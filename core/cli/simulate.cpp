#include "cli/simulate.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/metrics_endpoint.h"
#include "common/error.h"
#include "config/options.h"
#include "engine/engine.h"
#include "tools/settings.h"
#include "tools/workload.h"

namespace berth::cli {
namespace {

using namespace std::chrono_literals;

struct Row {
  uint32_t step;
  std::string event;
  uint64_t version;
  uint64_t epoch;
  std::string leader;
  uint32_t servers;
  uint64_t streams;
  double max_over_lb;
  uint64_t moved_streams;
  double moved_load_fraction;
  double refresh_ms;
  bool agree;
  // Ownership (docs/ownership.md): hand-offs of this step, as the leader counted them, and the
  // stream-seconds no server held a stream while the step ran.
  uint64_t handoffs_started = 0;
  uint64_t handoffs_completed = 0;
  uint64_t handoffs_stalled = 0;
  double unowned_stream_seconds = 0;
};

class Cluster {
 public:
  explicit Cluster(const SimulateOptions& o) : o_(o), cluster_(fmt::format("simulate-{}", getpid())) {
    base_.set("backend.name", o.backend, "--backend");
    base_.set("policy.name", o.policy, "--policy");
    base_.set("appraiser.name", o.appraiser, "--appraiser");
    if (!o.zk.empty()) {  // a real ensemble, under a root of this run's own (a file or --set may name another)
      base_.set("backend.name", "zookeeper", "--zk");
      base_.set("backend.connect", o.zk, "--zk");
      base_.set("backend.root", fmt::format("/berth-simulate-{}", getpid()), "--zk");
    }
    if (!o.config.empty()) base_.load_file(o.config);
    tools::apply_settings(base_, o.settings);
    if (base_.values().at("backend.name").text == "memory" && !base_.values().contains("backend.cluster"))
      base_.set("backend.cluster", cluster_, "simulate");
    // The scenario decides when the leader refreshes, so every step shows its own effect (the
    // refreshes that complete a step's hand-offs included).
    base_.set("engine.refresh_on_change", "false", "simulate");
    base_.set("engine.refresh_interval", "1h", "simulate");
    base_.set("engine.intake_refresh_delay", "0ms", "simulate");
    base_.set("engine.intake_flush", "5ms", "simulate");

    // The servers and the hosts that report streams: their own process in real life, one
    // non-campaigning engine here.
    Options fleet = base_;
    fleet.set("engine.node_id", "fleet", "simulate");
    fleet.set("engine.campaign", "false", "simulate");
    fleet_ = std::make_unique<Engine>(fleet.resolve_for_open());
  }

  // The nodes open once the fleet has reported, so the first leader's first refresh already sees
  // every server and stream. Opened earlier, a leader elected while the servers were still
  // joining would place every stream on the first few, and sticky would then (rightly) spread
  // them out only as fast as its move budget allows.
  void open_nodes() {
    for (uint32_t i = 0; i < o_.nodes; ++i) nodes_.push_back(open_node(i));
  }

  std::unique_ptr<Engine> open_node(uint32_t i) {
    Options node = base_;
    node.set("engine.node_id", fmt::format("node-{}", i), "simulate");
    return std::make_unique<Engine>(node.resolve_for_open());
  }

  Engine& fleet() { return *fleet_; }

  size_t leader_index(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i]->status().is_leader) return i;
      if (std::chrono::steady_clock::now() > deadline) throw Error(BERTH_E_TIMEOUT, "no node became leader");
      std::this_thread::sleep_for(1ms);
    }
  }

  void fail_leader() {
    size_t i = leader_index();
    nodes_[i].reset();  // the leader's process dies: it leaves membership and the election
    nodes_[i] = open_node(static_cast<uint32_t>(i));  // and comes back as a follower
  }

  // Waits until every node serves at least `version`; true when they all answer alike.
  bool converge(uint64_t version, const std::vector<std::string>& probes) {
    for (auto& n : nodes_) n->wait_version(version, 30s);
    for (const std::string& s : probes) {
      std::string_view first = nodes_[0]->lookup(s);
      for (auto& n : nodes_)
        if (first != n->lookup(s)) return false;
    }
    return true;
  }

  // `refreshed`: the leader's metrics right after the step's own refresh (what it moved).
  Row row(uint32_t step, std::string event, bool agree, const EngineMetrics& refreshed) {
    Engine& leader = *nodes_[leader_index()];
    EngineMetrics m = leader.metrics();
    Row r{step, std::move(event), m.version, m.epoch, leader.node_id(), m.servers, m.streams, m.max_over_lb,
          refreshed.moved_streams, refreshed.moved_load_fraction, refreshed.refresh_ms, agree};
    // Counted by whichever node led; a leader that died took its counts with it.
    HandoffFigures total;
    for (auto& n : nodes_) {
      HandoffFigures f = n->metrics().handoffs;
      total.started_total += f.started_total;
      total.completed_total += f.completed_total;
      total.stalled_total += f.stalled_total;
      total.unheld_stream_seconds += f.unheld_stream_seconds;
    }
    auto delta = [](uint64_t now, uint64_t before) { return now > before ? now - before : 0; };
    r.handoffs_started = delta(total.started_total, counted_.started_total);
    r.handoffs_completed = delta(total.completed_total, counted_.completed_total);
    r.handoffs_stalled = delta(total.stalled_total, counted_.stalled_total);
    r.unowned_stream_seconds = std::max(0.0, total.unheld_stream_seconds - counted_.unheld_stream_seconds);
    counted_ = total;
    return r;
  }

  // A server joins the fleet, and its host serves it (opens its claims), so the leader grants it
  // streams and its moves are hand-offs.
  void join_served(const std::string& server) {
    fleet_->join(server, 1.0);
    fleet_->claims(server);
  }

  // The hosts of the fleet's servers stop serving whatever they are asked to release, at once
  // (a proxy with nothing in flight); the leader refreshes until nothing waits for a release and
  // every stream is held again. Returns false when that takes more than `rounds` refreshes.
  // Rounds until nothing is releasing or unheld, for up to a minute: a server that left takes its
  // streams through a lapse of one session timeout on ZooKeeper (docs/ownership.md, "Lapsing
  // holds") before they are granted again.
  bool complete_handoffs(const std::vector<std::string>& servers) {
    for (auto give_up = std::chrono::steady_clock::now() + 60s;;) {
      fleet_->wait_version(leader().status().version, 30s);
      for (const std::string& server : servers) {
        std::shared_ptr<ownership::ServerClaims> claims;
        try {
          claims = fleet_->claims(server);
        } catch (const Error&) {
          continue;  // left
        }
        const std::atomic<bool> never{false};
        while (auto e = claims->poll(std::chrono::steady_clock::now(), never))
          if (e->kind == ownership::EventKind::release) fleet_->release(server, e->stream, e->token);
      }
      fleet_->flush();
      EngineMetrics m = leader().metrics();
      if (m.handoffs.releasing == 0 && m.handoffs.unheld == 0) return true;
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(20ms);
      leader().refresh();
      for (auto& n : nodes_) n->wait_version(leader().status().version, 30s);
    }
  }

  Engine& leader() { return *nodes_[leader_index()]; }
  std::vector<std::unique_ptr<Engine>>& nodes() { return nodes_; }

 private:
  const SimulateOptions& o_;
  std::string cluster_;
  Options base_;
  std::unique_ptr<Engine> fleet_;
  std::vector<std::unique_ptr<Engine>> nodes_;
  HandoffFigures counted_;  // the totals the previous row reported
};

void print(const Row& r, bool json) {
  if (json) {
    nlohmann::json j = {{"step", r.step},
                        {"event", r.event},
                        {"version", r.version},
                        {"epoch", r.epoch},
                        {"leader", r.leader},
                        {"servers", r.servers},
                        {"streams", r.streams},
                        {"max_over_lb", r.max_over_lb},
                        {"moved_streams", r.moved_streams},
                        {"moved_load_fraction", r.moved_load_fraction},
                        {"refresh_ms", r.refresh_ms},
                        {"agree", r.agree},
                        {"handoffs_started", r.handoffs_started},
                        {"handoffs_completed", r.handoffs_completed},
                        {"handoffs_stalled", r.handoffs_stalled},
                        {"unowned_stream_seconds", r.unowned_stream_seconds}};
    std::cout << j.dump() << std::endl;
    return;
  }
  if (r.step == 0)
    std::cout << fmt::format("{:>4}  {:<28} {:>7} {:>5} {:<8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>10} {:>17} {:>9}  {}\n", "step",
                             "event", "version", "epoch", "leader", "servers", "streams", "max/LB", "moved", "moved%",
                             "refresh_ms", "hand-offs (stall)", "unowned_s", "nodes agree");
  std::cout << fmt::format("{:>4}  {:<28} {:>7} {:>5} {:<8} {:>7} {:>8} {:>8.4f} {:>8} {:>7.2f}% {:>10.2f} {:>17} {:>9.3f}  {}\n",
                           r.step, r.event, r.version, r.epoch, r.leader, r.servers, r.streams, r.max_over_lb,
                           r.moved_streams, 100 * r.moved_load_fraction, r.refresh_ms,
                           fmt::format("{}/{} ({})", r.handoffs_completed, r.handoffs_started, r.handoffs_stalled),
                           r.unowned_stream_seconds, r.agree ? "yes" : "NO");
  std::cout.flush();
}

}  // namespace

int run_simulate(const SimulateOptions& o) {
  if (o.servers == 0 || o.nodes == 0) throw Error(BERTH_E_INVALID_ARGUMENT, "--servers and --nodes must be at least 1");
  LoadDistribution dist = parse_distribution(o.dist);
  // Before the nodes open, so a scraper sees them come; on stderr, as stdout may be JSON.
  std::unique_ptr<MetricsEndpoint> endpoint;
  if (!o.metrics_listen.empty()) {
    endpoint = std::make_unique<MetricsEndpoint>(o.metrics_listen, "--metrics-listen");
    std::cerr << "berth: metrics on " << endpoint->describe() << std::endl;
  }
  Workload workload = make_workload(o.streams, dist, o.seed);
  std::vector<std::string> server_ids = make_server_ids(o.servers + 8);
  std::mt19937_64 rng(o.seed);

  Cluster cluster(o);
  if (!o.json)
    std::cout << fmt::format("berth simulate: {} servers, {} {} streams, policy {}, appraiser {}, backend {}, {} nodes\n\n",
                             o.servers, o.streams, o.dist, o.policy, o.appraiser,
                             o.zk.empty() ? o.backend : "zookeeper at " + o.zk, o.nodes);
  for (uint32_t i = 0; i < o.servers; ++i) cluster.join_served(server_ids[i]);
  for (uint64_t i = 0; i < o.streams; ++i) cluster.fleet().add_stream(workload.stream_ids[i], "", workload.loads[i]);
  cluster.fleet().flush();
  cluster.open_nodes();

  std::vector<std::string> probes;
  for (int i = 0; i < 200 && o.streams > 0; ++i) probes.push_back(workload.stream_ids[rng() % o.streams]);
  uint32_t step = 0;
  bool all_agree = true;
  std::vector<std::string> joined(server_ids.begin(), server_ids.begin() + o.servers);
  bool all_handed_off = true;
  auto settle = [&](const std::string& event) {
    EngineMetrics refreshed = cluster.leader().metrics();
    uint64_t version = cluster.leader().status().version;
    bool agree = cluster.converge(version, probes);
    all_agree = all_agree && agree;
    bool handed_off = cluster.complete_handoffs(joined);
    all_handed_off = all_handed_off && handed_off;
    print(cluster.row(step++, event, agree, refreshed), o.json);
  };
  auto refresh = [&](const std::string& event) {
    cluster.leader().refresh();
    settle(event);
  };

  refresh("initial placement");

  uint32_t next_server = o.servers;
  cluster.join_served(server_ids[next_server]);
  joined.push_back(server_ids[next_server]);
  refresh("add " + server_ids[next_server++]);
  cluster.join_served(server_ids[next_server]);
  joined.push_back(server_ids[next_server]);
  refresh("add " + server_ids[next_server++]);

  std::string leaving = server_ids[rng() % o.servers];
  cluster.fleet().leave(leaving);
  joined.erase(std::find(joined.begin(), joined.end(), leaving));
  refresh("remove " + leaving);

  drift_loads(workload.loads, o.drift, o.seed + 1);
  for (uint64_t i = 0; i < o.streams; ++i) cluster.fleet().report_load(workload.stream_ids[i], workload.loads[i]);
  cluster.fleet().flush();
  refresh(fmt::format("load drift +/-{:.0f}%", 100 * o.drift));

  // New streams looked up before any refresh knows them: every node must answer alike.
  Workload fresh = make_workload(o.new_streams, dist, o.seed + 2, "new-stream-");
  bool fresh_agree = true;
  for (const std::string& s : fresh.stream_ids) {
    std::string_view owner = cluster.nodes()[0]->lookup(s);
    for (auto& n : cluster.nodes()) fresh_agree = fresh_agree && owner == n->lookup(s);
  }
  for (auto& n : cluster.nodes()) n->flush();
  cluster.leader().refresh();
  uint64_t version = cluster.leader().status().version;
  all_agree = all_agree && fresh_agree && cluster.converge(version, fresh.stream_ids);
  EngineMetrics fresh_refresh = cluster.leader().metrics();
  all_handed_off = cluster.complete_handoffs(joined) && all_handed_off;
  print(cluster.row(step++, fmt::format("{} new streams looked up", o.new_streams), fresh_agree, fresh_refresh), o.json);

  uint64_t before = cluster.leader().status().version;
  cluster.fail_leader();
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       cluster.leader().status().version <= before && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(1ms);
  if (endpoint && o.metrics_linger > 0) catch_stop_signals();  // before the last row a client waits for
  settle("leader failover");

  if (!o.json) {
    std::cout << (all_agree ? "\nevery node gave the same answer at every step\n" : "\nNODES DISAGREED\n");
    std::cout << (all_handed_off ? "every hand-off completed and every stream was held at the end of every step\n"
                                 : "SOME HAND-OFFS DID NOT COMPLETE\n");
  }
  std::cout.flush();
  if (endpoint && o.metrics_linger > 0) wait_for_stop_signal(o.metrics_linger);
  return all_agree && all_handed_off ? 0 : 1;
}

}  // namespace berth::cli
