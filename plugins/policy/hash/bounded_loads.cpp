#include "bounded_loads.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "hash_ring.h"
#include "server_roster.h"

namespace berth::hash_policy {
namespace {

using least_load::describe_no_up_server;
using least_load::read_roster;
using least_load::check_rebalance_request;
using least_load::reject_load;
using least_load::ServerRoster;
using least_load::StreamKey;
using plugin::Error;

}  // namespace

BoundedOutcome BoundedLoadsRebalancer::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
  check_rebalance_request(request, out_owner);
  const berth_server_set& servers = *request.servers;
  const berth_stream_set& streams = *request.streams;
  const ServerRoster roster = read_roster(servers);
  const uint32_t m = servers.count;
  const uint64_t n = streams.count;
  const double* load = request.load;
  const uint32_t* previous = request.previous_owner;
  const bool any_up = !roster.up.empty();

  // Step 1: who stays (READ_ONLY owners; DRAINING owners while nothing is up) and who goes
  // through the ring, in ascending hash order.
  BoundedOutcome outcome;
  order_.clear();
  double total = 0.0;
  bool equal_loads = true;
  uint64_t orphans = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const double l = load[i];
    if (!(l >= 0.0 && l <= std::numeric_limits<double>::max())) reject_load(streams, i, l);
    const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
    if (p < m && (servers.state[p] == BERTH_SERVER_READ_ONLY || (!any_up && servers.state[p] != BERTH_SERVER_UP))) {
      out_owner[i] = p;
      ++outcome.kept_read_only;
      continue;
    }
    if (p >= m) ++orphans;
    out_owner[i] = BERTH_NO_SERVER;
    if (!order_.empty() && l != load[order_.front().index]) equal_loads = false;
    total += l;
    order_.push_back(StreamKey{streams.hash[i], i});
  }
  if (order_.empty()) return outcome;
  if (!any_up)
    throw Error(BERTH_E_NO_SERVERS, "cannot place " + std::to_string(orphans) + " of " + std::to_string(n) +
                                        " streams that have no owner: " + describe_no_up_server(roster));
  least_load::sort_for_lpt(order_, scratch_, streams.hash);  // key = hash: ascending hash, then index

  // Step 2: the bounds, in load units, or in streams when every load is the same (then each
  // stream weighs 1, and the bound is the paper's ceil(c x fair count)).
  double up_capacity = 0.0;
  for (uint32_t j : roster.up) up_capacity += servers.capacity[j];
  std::vector<double> bound(m, 0.0), held(m, 0.0);
  const double amount = equal_loads ? static_cast<double>(order_.size()) : total;
  for (uint32_t j : roster.up) {
    const double fair = amount * (servers.capacity[j] / up_capacity);
    bound[j] = equal_loads ? std::ceil(capacity_factor_ * fair) : capacity_factor_ * fair;
  }

  // Step 3: each stream walks the ring from its hash to the first server with room.
  const HashRing ring(servers, roster.up);
  const size_t ring_size = ring.size();
  for (const StreamKey& s : order_) {
    const uint64_t i = s.index;
    const double l = equal_loads ? 1.0 : load[i];
    size_t k = ring.first_point(s.key);
    const uint32_t first = ring.server_at(k);
    uint32_t owner = BERTH_NO_SERVER;
    for (size_t step = 0; step < ring_size; ++step) {
      const uint32_t j = ring.server_at(k);
      if (held[j] + l <= bound[j]) {
        owner = j;
        outcome.walked += step;
        break;
      }
      k = ring.next(k);
    }
    if (owner == BERTH_NO_SERVER) {
      // Room nowhere: the server whose load per bound is then lowest (ties to the lower index).
      double best = std::numeric_limits<double>::infinity();
      for (uint32_t j : roster.up) {
        const double relative = (held[j] + l) / bound[j];
        if (relative < best) {
          best = relative;
          owner = j;
        }
      }
      outcome.walked += ring_size;
      ++outcome.over_bound;
    }
    held[owner] += l;
    out_owner[i] = owner;
    outcome.exceptions += owner != first ? 1 : 0;
  }
  outcome.placed = order_.size();
  return outcome;
}

}  // namespace berth::hash_policy
