// Policy "weighted", behaviour version 2: Marconi's storage weights. A server's capacity is its
// weight; a new stream lands on a server with probability weight / sum of the weights of the up
// servers, chosen by weighted rendezvous hashing of the stream hash (rendezvous.h), so every node
// agrees without a directory. A weight change steers where new streams land; it moves no stream
// already placed unless `rebalance = true`, and then only streams to or from that server.
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
// Placement constraints (ABI 1.1, behaviour version 2): a stream of a class takes its rendezvous
// choice among the up servers its class prefers, or when none of those is up, among those it
// allows (the weights alone decide, so "room" is the weight share: preferred first). A stream
// whose previous owner its class does not allow moves to that choice whatever `rebalance` says;
// a stream whose class allows no up server keeps its previous owner, or without one takes its
// unconstrained choice. place() knows no class and stays the unconstrained choice. Without
// constraints, version 2 gives version 1's assignment.
//
// Loads are not used: weights, not measured load, decide. Bump the behaviour version whenever the
// same input would give a different assignment or placement (the hash, the score, the tie rule).
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "placement_constraints.h"
#include "rendezvous.h"
#include "server_roster.h"

namespace {

using berth::least_load::describe_no_up_server;
using berth::least_load::read_roster;
using berth::least_load::check_rebalance_request;
using berth::least_load::PlacementConstraints;
using berth::least_load::ServerRoster;
using berth::plugin::Error;
using berth::weighted::Rendezvous;

bool read_bool(berth::plugin::Config& config, std::string_view key, bool fallback) {
  const berth_kv* kv = config.find(key, berth::plugin::kBoolean, "a boolean");
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
    const PlacementConstraints constraints(request);
    const Rendezvous rendezvous(servers, roster.up);
    const uint32_t m = servers.count;
    const uint32_t* previous = request.previous_owner;

    // Which streams need a rendezvous choice; with no up server, only those without an owner
    // cannot be served, and they are an error before anything is written.
    // (Everything the loop reads is a local copy: with references, the compiler reloaded them
    // after every store to out_owner, and a steady state that keeps every stream ran 35% slower.)
    const bool constrained = constraints.active();
    const bool rebalance_all = rebalance_all_;
    const bool none_up = rendezvous.empty();
    const int32_t* const state = servers.state;
    const uint64_t n = streams.count;
    const auto needs_choice = [m, rebalance_all, state](uint32_t p) {
      if (p >= m) return true;  // no owner, or an owner that is gone
      return rebalance_all || state[p] == BERTH_SERVER_DRAINING;
    };
    // The choice for stream i (previous owner p), given that it needs one and a server is up.
    const auto choice_for = [&constraints, &rendezvous, &streams, m](uint64_t i, uint32_t p) {
      const uint32_t c = constraints.class_of(i);
      if (c == BERTH_NO_CLASS) return rendezvous.choose(streams.hash[i]);
      if (!constraints.up_preferred(c).empty()) return rendezvous.choose_among(streams.hash[i], constraints.up_preferred(c));
      if (!constraints.up_allowed(c).empty()) return rendezvous.choose_among(streams.hash[i], constraints.up_allowed(c));
      return p < m ? p : rendezvous.choose(streams.hash[i]);  // nothing allowed is up: stay, or anywhere
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

    uint64_t placed = 0, moved = 0;  // (kept is the rest: no counter in the loop that keeps)
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
      // Kept: no choice needed (or none possible), and its class, if any, allows it there.
      if ((!needs_choice(p) || none_up) && (!constrained || !constraints.must_leave(i, p))) {
        out_owner[i] = p;
        continue;
      }
      const uint32_t choice = constrained ? choice_for(i, p) : rendezvous.choose(streams.hash[i]);
      out_owner[i] = choice;
      placed += p >= m ? 1 : 0;
      moved += p < m && choice != p ? 1 : 0;
    }
    report(n - placed - moved, placed, moved);
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

BERTH_DEFINE_POLICY_PLUGIN(WeightedPolicy, "weighted", "1.1.0", 2)
