#include "bounded_loads.h"

#include <cmath>
#include <limits>
#include <span>
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "hash_ring.h"
#include "placement_constraints.h"
#include "rebalance_input.h"
#include "server_roster.h"

namespace berth::hash_policy {
namespace {

using least_load::describe_no_up_server;
using least_load::RebalanceInput;
using least_load::reject_load;
using least_load::PlacementConstraints;
using least_load::ServerRoster;
using least_load::StreamKey;
using plugin::Error;

// How many of each class's up preferred and allowed servers still have room (held < bound), so a
// class whose servers are all full skips the walk that could not succeed: without it, every stream
// of a class whose one preferred server is full would walk the whole ring. A server fills only
// once (loads only grow), and then each class listing it is told.
class ClassRoom {
 public:
  ClassRoom(const PlacementConstraints& constraints, uint32_t server_count)
      : preferred_room_(constraints.class_count()), allowed_room_(constraints.class_count()) {
    std::vector<uint64_t> preferred_count(server_count + 1, 0), allowed_count(server_count + 1, 0);
    for (uint32_t c = 0; c < constraints.class_count(); ++c) {
      preferred_room_[c] = static_cast<uint32_t>(constraints.up_preferred(c).size());
      allowed_room_[c] = static_cast<uint32_t>(constraints.up_allowed(c).size());
      for (uint32_t s : constraints.up_preferred(c)) ++preferred_count[s + 1];
      for (uint32_t s : constraints.up_allowed(c)) ++allowed_count[s + 1];
    }
    transpose(constraints, preferred_count, preferring_begin_, preferring_, true);
    transpose(constraints, allowed_count, allowing_begin_, allowing_, false);
  }

  bool preferred_has_room(uint32_t c) const { return preferred_room_[c] > 0; }
  bool allowed_has_room(uint32_t c) const { return allowed_room_[c] > 0; }

  // Server s has just become full.
  void filled(uint32_t s) {
    for (uint64_t k = preferring_begin_[s]; k < preferring_begin_[s + 1]; ++k) --preferred_room_[preferring_[k]];
    for (uint64_t k = allowing_begin_[s]; k < allowing_begin_[s + 1]; ++k) --allowed_room_[allowing_[k]];
  }

 private:
  // begin/classes: per server, the classes that prefer (allow) it.
  static void transpose(const PlacementConstraints& constraints, std::vector<uint64_t>& count,
                        std::vector<uint64_t>& begin, std::vector<uint32_t>& classes, bool preferred) {
    for (size_t s = 1; s < count.size(); ++s) count[s] += count[s - 1];
    begin = count;
    classes.resize(count.back());
    for (uint32_t c = 0; c < constraints.class_count(); ++c)
      for (uint32_t s : preferred ? constraints.up_preferred(c) : constraints.up_allowed(c)) classes[count[s]++] = c;
  }

  std::vector<uint32_t> preferred_room_, allowed_room_;
  std::vector<uint64_t> preferring_begin_, allowing_begin_;
  std::vector<uint32_t> preferring_, allowing_;
};

}  // namespace

BoundedOutcome BoundedLoadsRebalancer::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
  const auto& [servers, streams, roster, constraints, load, previous] = RebalanceInput(request, out_owner);
  const uint32_t m = servers.count;
  const uint64_t n = streams.count;
  const bool any_up = !roster.up.empty();

  // Step 1: who stays (READ_ONLY owners; DRAINING owners while nothing is up) and who goes
  // through the ring, in ascending hash order.
  BoundedOutcome outcome;
  std::vector<StreamKey> order;
  order.reserve(n);
  double total = 0.0;
  bool equal_loads = true;
  uint64_t orphans = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const double l = load[i];
    if (!(l >= 0.0 && l <= std::numeric_limits<double>::max())) reject_load(streams, i, l);
    const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
    if (p < m && (servers.state[p] == BERTH_SERVER_READ_ONLY || (!any_up && servers.state[p] != BERTH_SERVER_UP)) &&
        !constraints.must_leave(i, p)) {
      out_owner[i] = p;
      ++outcome.kept_read_only;
      continue;
    }
    if (p >= m) ++orphans;
    out_owner[i] = BERTH_NO_SERVER;
    if (!order.empty() && l != load[order.front().index]) equal_loads = false;
    total += l;
    order.push_back(StreamKey{streams.hash[i], i});
  }
  if (order.empty()) return outcome;
  if (!any_up)
    throw Error(BERTH_E_NO_SERVERS, "cannot place " + std::to_string(orphans) + " of " + std::to_string(n) +
                                        " streams that have no owner: " + describe_no_up_server(roster));
  {
    std::vector<StreamKey> scratch;
    least_load::sort_for_lpt(order, scratch, streams.hash);  // key = hash: ascending hash, then index
  }

  // Step 2: the bounds, in load units, or in streams when every load is the same (then each
  // stream weighs 1, and the bound is the paper's ceil(c x fair count)).
  double up_capacity = 0.0;
  for (uint32_t j : roster.up) up_capacity += servers.capacity[j];
  std::vector<double> bound(m, 0.0), held(m, 0.0);
  const double amount = equal_loads ? static_cast<double>(order.size()) : total;
  for (uint32_t j : roster.up) {
    const double fair = amount * (servers.capacity[j] / up_capacity);
    bound[j] = equal_loads ? std::ceil(capacity_factor_ * fair) : capacity_factor_ * fair;
  }

  // Step 3: each stream walks the ring from its hash to the first server with room. A stream of a
  // class walks to the first preferred server with room, then to the first allowed one; a stream
  // whose class allows no up server keeps its previous owner, or without one walks unconstrained.
  const HashRing ring(servers, roster.up, constraints.active());
  const size_t ring_size = ring.size();
  if (!constraints.active()) {  // kept apart from the constrained loop below, which costs ~15% more
    for (const StreamKey& s : order) {
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
    outcome.placed = order.size();
    return outcome;
  }

  ClassRoom room(constraints, m);
  // The first server from point k with room for l among those `eligible` accepts, or NO_SERVER.
  const auto walk = [&](size_t k, double l, auto eligible) {
    for (size_t step = 0; step < ring_size; ++step) {
      const uint32_t j = ring.server_at(k);
      if (eligible(j) && held[j] + l <= bound[j]) {
        outcome.walked += step;
        return j;
      }
      k = ring.next(k);
    }
    outcome.walked += ring_size;
    return BERTH_NO_SERVER;
  };
  // Room nowhere: the server whose load per bound is then lowest (ties to the lower index), as above.
  const auto least_over = [&](std::span<const uint32_t> candidates, double l) {
    double best = std::numeric_limits<double>::infinity();
    uint32_t owner = BERTH_NO_SERVER;
    for (uint32_t j : candidates) {
      const double relative = (held[j] + l) / bound[j];
      if (relative < best) {
        best = relative;
        owner = j;
      }
    }
    ++outcome.over_bound;
    return owner;
  };
  // Whether a walk among `servers` can find room for l. Few servers have few points on the ring,
  // so a futile walk would be long: they are checked exactly. Many servers have points close
  // together, and their room count (any server below its bound) is enough to skip a hopeless walk.
  const auto may_fit = [&](std::span<const uint32_t> candidates, bool any_room, double l) {
    constexpr size_t kChecked = 64;
    if (!any_room) return false;
    if (candidates.size() > kChecked) return true;
    for (uint32_t j : candidates)
      if (held[j] + l <= bound[j]) return true;
    return false;
  };
  // The walk among a few servers, without walking: the one with room whose next point is nearest
  // clockwise (what the walk would meet first; see HashRing::distance).
  constexpr size_t kFew = 8;
  const auto nearest_with_room = [&](std::span<const uint32_t> candidates, uint64_t hash, double l) {
    uint32_t best = BERTH_NO_SERVER;
    uint64_t best_distance = 0;
    for (uint32_t j : candidates) {
      if (!(held[j] + l <= bound[j])) continue;
      const uint64_t d = ring.distance(j, hash);
      if (best == BERTH_NO_SERVER || d < best_distance || (d == best_distance && ring.key_of(j) < ring.key_of(best))) {
        best = j;
        best_distance = d;
      }
    }
    return best;
  };
  // Server j takes l more (and its classes learn when it fills).
  const auto take = [&](uint32_t j, double l) {
    const bool had_room = held[j] < bound[j];
    held[j] += l;
    if (had_room && !(held[j] < bound[j])) room.filled(j);
  };
  for (const StreamKey& s : order) {
    const uint64_t i = s.index;
    const double l = equal_loads ? 1.0 : load[i];
    const size_t k = ring.first_point(s.key);
    const uint32_t first = ring.server_at(k);
    uint32_t c = constraints.class_of(i);
    if (c != BERTH_NO_CLASS && constraints.up_allowed(c).empty()) {
      const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
      if (p < m) {  // nothing its class allows is up: it stays
        out_owner[i] = p;
        if (servers.state[p] == BERTH_SERVER_UP) take(p, l);
        continue;
      }
      c = BERTH_NO_CLASS;  // and without an owner: as if unconstrained
    }
    uint32_t owner = BERTH_NO_SERVER;
    if (c == BERTH_NO_CLASS) {
      owner = walk(k, l, [](uint32_t) { return true; });
      if (owner == BERTH_NO_SERVER) owner = least_over(roster.up, l);
    } else {
      const auto preferred = constraints.up_preferred(c), allowed = constraints.up_allowed(c);
      if (preferred.size() <= kFew) {
        owner = nearest_with_room(preferred, s.key, l);
      } else if (may_fit(preferred, room.preferred_has_room(c), l)) {
        owner = walk(k, l, [&rules = constraints, c](uint32_t j) { return rules.prefers(c, j); });
      }
      if (owner == BERTH_NO_SERVER && allowed.size() <= kFew) {
        owner = nearest_with_room(allowed, s.key, l);
      } else if (owner == BERTH_NO_SERVER && may_fit(allowed, room.allowed_has_room(c), l)) {
        owner = walk(k, l, [&rules = constraints, c](uint32_t j) { return rules.allows(c, j); });
      }
      if (owner == BERTH_NO_SERVER) owner = least_over(constraints.up_allowed(c), l);
    }
    take(owner, l);
    out_owner[i] = owner;
    outcome.exceptions += owner != first ? 1 : 0;
  }
  outcome.placed = order.size();
  return outcome;
}

}  // namespace berth::hash_policy
