// Policy "weighted", behaviour version 1: Marconi's storage weights. A server's capacity is its
// weight; a new stream lands on a server with probability weight / sum of the weights of the up
// servers, chosen by weighted rendezvous hashing of the stream hash (rendezvous.h), so every node
// agrees without a directory, and changing one server's weight moves only streams to or from that
// server.
//
// Server states:
//   UP        takes new streams with probability weight / sum.
//   READ_ONLY takes nothing new and keeps what it has. The ABI requires a positive capacity for
//             every server, so Marconi's "weight 0 takes no new streams" is written as READ_ONLY
//             (any capacity): the server drops out of every rendezvous choice, and only the
//             streams it owned keep it (unless `rebalance = true`, below).
//   DRAINING  takes nothing new; its streams go to their rendezvous choice among the up servers.
//
// rebalance(): a stream whose previous owner is UP or READ_ONLY stays there; a stream without an
// owner (new, or its server left) or on a DRAINING server goes to its rendezvous choice among the
// up servers. With no up server, streams on draining servers stay where they are (there is
// nowhere to move them), and a stream without an owner is BERTH_E_NO_SERVERS.
// place(): the same rendezvous choice among the up servers (the servers' loads do not matter).
//
// Configuration (optional; unknown keys are rejected):
//   rebalance = true | false (default false). When true, rebalance() sends every stream to its
//               rendezvous choice among the up servers, whatever its previous owner: the
//               assignment becomes a pure function of (up servers, weights, stream), which takes
//               streams off READ_ONLY servers too, and moves ~1/(M+1) of the streams on a join.
//
// Loads are not used: weights, not measured load, decide. Bump the behaviour version whenever the
// same input would give a different assignment or placement (the hash, the score, the tie rule).
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "rendezvous.h"
#include "server_roster.h"

namespace {

using berth::least_load::describe_no_up_server;
using berth::least_load::read_roster;
using berth::least_load::check_rebalance_request;
using berth::least_load::ServerRoster;
using berth::plugin::Error;
using berth::weighted::Rendezvous;

bool read_bool(berth::plugin::Config& config, std::string_view key, bool fallback) {
  const berth_kv* kv = config.find(key);
  if (kv == nullptr) return fallback;
  const std::string value = kv->value;
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + value + "' is not true or false");
}

class WeightedPlacer {
 public:
  WeightedPlacer(const berth_server_set& servers, const double* /*server_load*/)
      : WeightedPlacer(servers, read_roster(servers)) {}

  uint32_t place(uint64_t stream_hash, double /*load*/) const {
    if (rendezvous_.empty()) throw Error(BERTH_E_NO_SERVERS, "cannot place a new stream: " + no_server_reason_);
    return rendezvous_.choose(stream_hash);
  }

 private:
  WeightedPlacer(const berth_server_set& servers, const ServerRoster& roster)
      : rendezvous_(servers, roster.up), no_server_reason_(roster.up.empty() ? describe_no_up_server(roster) : "") {}

  Rendezvous rendezvous_;
  std::string no_server_reason_;
};

class WeightedPolicy {
 public:
  using Placer = WeightedPlacer;

  WeightedPolicy(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host), rebalance_all_(read_bool(config, "rebalance", false)) {}

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) const {
    check_rebalance_request(request, out_owner);
    const berth_server_set& servers = *request.servers;
    const berth_stream_set& streams = *request.streams;
    const ServerRoster roster = read_roster(servers);
    const Rendezvous rendezvous(servers, roster.up);
    const uint32_t m = servers.count;
    const uint32_t* previous = request.previous_owner;

    // Which streams need a rendezvous choice; with no up server, only those without an owner
    // cannot be served, and they are an error before anything is written.
    auto needs_choice = [&](uint32_t p) {
      if (p >= m) return true;  // no owner, or an owner that is gone
      return rebalance_all_ || servers.state[p] == BERTH_SERVER_DRAINING;
    };
    if (rendezvous.empty()) {
      uint64_t orphans = 0;
      for (uint64_t i = 0; i < streams.count; ++i)
        orphans += (previous == nullptr || previous[i] >= m) ? 1 : 0;
      if (orphans > 0)
        throw Error(BERTH_E_NO_SERVERS, "cannot place " + std::to_string(orphans) + " of " +
                                            std::to_string(streams.count) +
                                            " streams that have no owner: " + describe_no_up_server(roster));
    }

    uint64_t kept = 0, placed = 0, moved = 0;
    for (uint64_t i = 0; i < streams.count; ++i) {
      const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
      if (!needs_choice(p) || rendezvous.empty()) {  // (empty: p is a draining or read-only owner)
        out_owner[i] = p;
        ++kept;
        continue;
      }
      const uint32_t choice = rendezvous.choose(streams.hash[i]);
      out_owner[i] = choice;
      if (p >= m) {
        ++placed;
      } else if (choice != p) {
        ++moved;
      } else {
        ++kept;
      }
    }
    report(kept, placed, moved);
  }

  Placer make_placer(const berth_server_set& servers, const double* server_load) const {
    return Placer(servers, server_load);
  }

 private:
  void report(uint64_t kept, uint64_t placed, uint64_t moved) const {
    if (host_ == nullptr || host_->log == nullptr) return;
    std::ostringstream line;
    line << "weighted: kept " << kept << " streams, placed " << placed << " without an owner, moved " << moved
         << (rebalance_all_ ? " (rebalance = true)" : " off draining servers");
    berth::plugin::log(host_, BERTH_LOG_DEBUG, line.str());
  }

  const berth_host_api* host_;
  bool rebalance_all_;
};

}  // namespace

BERTH_DEFINE_POLICY_PLUGIN(WeightedPolicy, "weighted", "1.0.0", 1)
