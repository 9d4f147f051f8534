// Policy "hash", behaviour version 2: consistent hashing with bounded loads (bounded_loads.h) on a
// ring of virtual nodes (hash_ring.h). No directory: the assignment is a function of the servers,
// the streams and their loads, and most streams sit on their first hash choice; only the
// exceptions would need storing.
//
// place() for a stream not in a snapshot yet: the first server on its clockwise walk whose load
// (server_load) is below its bound, c x the up servers' load x capacity / up capacity; when
// nothing is loaded yet, simply its first choice.
//
// default_owners() (ABI 1.2) gives each stream's first choice, so a snapshot stores only the
// streams off it (0.1-5% of them, by capacity factor and skew) and every node rebuilds the rest.
//
// Version 2 honours placement constraints in rebalance() (bounded_loads.h); without constraints
// it gives version 1's assignment. place() knows no class and is unchanged.
//
// Configuration (optional; unknown keys are rejected):
//   capacity_factor = c in [1.01, 100] (default 1.25): no up server ends above c x its fair
//                     share by capacity (but for a stream too large to fit anywhere, which is
//                     reported). Smaller c balances better, and leaves more streams off their first
//                     choice, with longer walks.
//
// Bump the behaviour version whenever the same input would give a different assignment or
// placement: the ring (points, virtual node counts), the order, the bound rule, the default c.
#include <cmath>
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "bounded_loads.h"
#include "hash_ring.h"
#include "ring_cache.h"
#include "server_roster.h"

namespace {

using berth::hash_policy::BoundedLoadsRebalancer;
using berth::hash_policy::BoundedOutcome;
using berth::hash_policy::HashRing;
using berth::hash_policy::RingCache;
using berth::least_load::describe_no_up_server;
using berth::least_load::read_roster;
using berth::least_load::ServerRoster;
using berth::plugin::Error;

constexpr double kDefaultCapacityFactor = 1.25;

class HashPlacer {
 public:
  HashPlacer(const berth_server_set& servers, const double* server_load, double capacity_factor, RingCache& rings)
      : HashPlacer(servers, read_roster(servers), server_load, capacity_factor, rings) {}

  uint32_t place(uint64_t stream_hash, double /*load*/) const {
    const HashRing& ring = *ring_;
    if (ring.empty()) throw Error(BERTH_E_NO_SERVERS, "cannot place a new stream: " + no_server_reason_);
    size_t k = ring.first_point(stream_hash);
    if (!any_room_) return ring.server_at(k);  // nothing loaded yet: the first choice
    while (room_[ring.server_at(k)] == 0) k = ring.next(k);  // ends: some up server has room
    return ring.server_at(k);
  }

 private:
  HashPlacer(const berth_server_set& servers, const ServerRoster& roster, const double* server_load,
             double capacity_factor, RingCache& rings)
      : ring_(rings.ring(servers, roster.up)) {
    if (roster.up.empty()) {
      no_server_reason_ = describe_no_up_server(roster);
      return;
    }
    if (server_load == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, "placer: server loads are NULL");
    double total = 0.0, capacity = 0.0;
    for (uint32_t j : roster.up) {
      if (!(server_load[j] >= 0.0 && std::isfinite(server_load[j]))) {
        std::ostringstream message;
        message << "placer: server '" << berth::plugin::server_id(servers, j) << "' has load " << server_load[j]
                << "; loads must be finite and >= 0";
        throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
      }
      total += server_load[j];
      capacity += servers.capacity[j];
    }
    room_.assign(servers.count, 0);
    for (uint32_t j : roster.up) {
      const double bound = capacity_factor * total * (servers.capacity[j] / capacity);
      room_[j] = server_load[j] < bound ? 1 : 0;
      any_room_ = any_room_ || room_[j] != 0;
    }
  }

  std::shared_ptr<const HashRing> ring_;  // shared with other placers of the same servers
  std::vector<uint8_t> room_;  // per server: load below its bound
  bool any_room_ = false;
  std::string no_server_reason_;
};

class HashPolicy {
 public:
  using Placer = HashPlacer;

  HashPolicy(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host),
        capacity_factor_(config.number("capacity_factor", kDefaultCapacityFactor, 1.01, 100.0)),
        rebalancer_(capacity_factor_) {}

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
    report(rebalancer_.rebalance(request, out_owner));
  }

  Placer make_placer(const berth_server_set& servers, const double* server_load) const {
    return Placer(servers, server_load, capacity_factor_, rings_);
  }

  // Every stream's first choice: the server of its first point on the ring of up servers. What
  // most streams get from rebalance(), so snapshots store only the others. Depends on the
  // servers alone (not on c or any load), as the ABI requires.
  void default_owners(const berth_server_set& servers, uint64_t count, const uint64_t* stream_hash,
                      uint32_t* out_owner) const {
    const ServerRoster roster = read_roster(servers);
    const std::shared_ptr<const HashRing> ring = rings_.ring(servers, roster.up);
    for (uint64_t i = 0; i < count; ++i)
      out_owner[i] = ring->empty() ? BERTH_NO_SERVER : ring->first_choice(stream_hash[i]);
  }

 private:
  void report(const BoundedOutcome& o) const {
    if (host_ == nullptr || host_->log == nullptr) return;
    std::ostringstream line;
    line << "hash: placed " << o.placed << " streams, " << o.exceptions << " off their first choice";
    if (o.placed > 0)
      line << " (" << 100.0 * static_cast<double>(o.exceptions) / static_cast<double>(o.placed) << "%, "
           << static_cast<double>(o.walked) / static_cast<double>(o.placed) << " extra ring steps per stream)";
    if (o.kept_read_only > 0) line << "; " << o.kept_read_only << " kept on read-only or draining servers";
    if (o.over_bound > 0) line << "; " << o.over_bound << " streams fit under no server's bound";
    berth::plugin::log(host_, o.over_bound > 0 ? BERTH_LOG_WARN : BERTH_LOG_DEBUG, line.str());
  }

  const berth_host_api* host_;
  double capacity_factor_;
  BoundedLoadsRebalancer rebalancer_;
  mutable RingCache rings_;  // for placers and default owners: most versions keep their servers
};

}  // namespace

BERTH_DEFINE_POLICY_PLUGIN(HashPolicy, "hash", "1.2.0", 2)
