#include "sticky_rebalance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "class_chooser.h"
#include "extreme_tree.h"
#include "move_budget.h"
#include "oversized_servers.h"
#include "placement_constraints.h"
#include "rebalance_input.h"
#include "server_roster.h"
#include "server_tournament.h"

namespace berth::sticky {
namespace {

using least_load::descending_load_key;
using least_load::describe_no_up_server;
using least_load::load_of_key;
using least_load::ClassChooser;
using least_load::PlacementConstraints;
using least_load::RebalanceInput;
using least_load::reject_load;
using least_load::ServerRoster;
using least_load::ServerTournament;
using least_load::sort_for_lpt;
using least_load::StreamKey;
using plugin::Error;

constexpr uint32_t kNotBalanced = UINT32_MAX;

using Budget = MoveBudget;

// Step 2: streams without an owner, and streams on draining servers while the budget lasts, in
// LPT order onto the up server with the least load (or, for zero-load streams, the fewest streams)
// per unit of capacity. A stream of a class goes among the up servers its class allows, to a
// preferred one while it stays at or below the top of the band (ClassChooser); a draining stream
// whose class allows no up server stays, and an ownerless one goes anywhere.
class Placement {
 public:
  Placement(const berth_server_set& servers, const ServerRoster& roster, const PlacementConstraints& constraints,
            const double* load, double band, std::vector<double>& held, std::vector<uint64_t>& held_count,
            std::vector<double>& largest, uint32_t* out_owner, Budget& budget, StickyOutcome& outcome)
      : servers_(servers), up_(roster.up), constraints_(constraints), load_(load), band_(band), held_(held),
        held_count_(held_count), largest_(largest), out_owner_(out_owner), budget_(budget), outcome_(outcome) {
    inverse_capacity_.resize(up_.size());
    for (size_t j = 0; j < up_.size(); ++j) inverse_capacity_[j] = 1.0 / servers_.capacity[up_[j]];
    if (constraints_.active()) {
      position_of_.assign(servers_.count, BERTH_NO_SERVER);
      for (uint32_t j = 0; j < up_.size(); ++j) position_of_[up_[j]] = j;
    }
  }

  void place(std::span<const StreamKey> ordered) {
    const size_t loaded = static_cast<size_t>(
        std::partition_point(ordered.begin(), ordered.end(), [](const StreamKey& s) { return load_of_key(s.key) > 0.0; }) -
        ordered.begin());
    deal(ordered.first(loaded), [this](uint32_t server) { return held_[server]; },
         [this](uint64_t i) { return load_[i]; });
    deal(ordered.subspan(loaded), [this](uint32_t server) { return static_cast<double>(held_count_[server]); },
         [](uint64_t) { return 1.0; });
  }

 private:
  template <class Measure, class Weight>
  void deal(std::span<const StreamKey> ordered, Measure measure, Weight weight) {
    if (ordered.empty()) return;
    std::vector<double> relative(up_.size());
    for (size_t j = 0; j < up_.size(); ++j) relative[j] = measure(up_[j]) * inverse_capacity_[j];
    ServerTournament tournament(relative);
    // Constrained streams only: the top of the band of everything this deal ends with.
    double top = 0.0;
    if (constraints_.active()) {
      double total = 0.0, capacity = 0.0;
      for (size_t j = 0; j < up_.size(); ++j) {
        total += measure(up_[j]);
        capacity += servers_.capacity[up_[j]];
      }
      for (const StreamKey& s : ordered) total += weight(s.index);
      top = total / capacity * (1.0 + band_);
    }
    ClassChooser chooser(constraints_, up_, position_of_, relative, inverse_capacity_, tournament);
    for (const StreamKey& s : ordered) {
      const uint64_t i = s.index;
      const double load = load_[i];
      const uint32_t from = out_owner_[i];
      const uint32_t c = constraints_.class_of(i);
      uint32_t j = c == BERTH_NO_CLASS ? tournament.winner() : chooser.choose(c, weight(i), top);
      if (j == ClassChooser::kNone) {
        if (from != BERTH_NO_SERVER) {  // draining, and its class allows no up server: it stays
          ++outcome_.left_draining;
          continue;
        }
        j = tournament.winner();  // no owner and nowhere allowed is up: as if unconstrained
      }
      if (from != BERTH_NO_SERVER) {  // on a draining server: a move, within the budget
        if (!budget_.allows(load)) {
          ++outcome_.left_draining;
          outcome_.budget_spent = true;
          continue;
        }
        budget_.spend(load);
        outcome_.moved_load += load;
        ++outcome_.drained;
        held_[from] -= load;
        --held_count_[from];
      } else {
        ++outcome_.placed;
      }
      const uint32_t to = up_[j];
      out_owner_[i] = to;
      held_[to] += load;
      ++held_count_[to];
      largest_[to] = std::max(largest_[to], load);
      relative[j] = measure(to) * inverse_capacity_[j];
      tournament.update(j, relative[j]);
    }
  }

  const berth_server_set& servers_;
  const std::vector<uint32_t>& up_;
  const PlacementConstraints& constraints_;
  const double* load_;
  double band_;
  std::vector<double>& held_;
  std::vector<uint64_t>& held_count_;
  std::vector<double>& largest_;
  uint32_t* out_owner_;
  Budget& budget_;
  StickyOutcome& outcome_;
  std::vector<double> inverse_capacity_;
  std::vector<uint32_t> position_of_;  // server -> position in up_ (constrained requests only)
};

// Step 3: the up servers being balanced, their band, and the streams each may give.
class Balancer {
 public:
  Balancer(const berth_rebalance_request& request, const PlacementConstraints& constraints,
           std::vector<uint32_t> members, const std::vector<double>& held, double band, uint32_t* out_owner,
           std::vector<uint64_t>& bucket, Budget& budget, StickyOutcome& outcome)
      : request_(request), constraints_(constraints), members_(std::move(members)), out_owner_(out_owner),
        bucket_(bucket), budget_(budget), outcome_(outcome) {
    const uint32_t m = request.servers->count;
    const size_t k_count = members_.size();
    capacity_.resize(k_count);
    held_.resize(k_count);
    relative_.resize(k_count);
    double total_held = 0.0, total_capacity = 0.0;
    for (size_t k = 0; k < k_count; ++k) {
      capacity_[k] = request.servers->capacity[members_[k]];
      held_[k] = held[members_[k]];
      total_held += held_[k];
      total_capacity += capacity_[k];
    }
    level_ = total_held / total_capacity;
    high_ = level_ * (1.0 + band);
    low_ = level_ * (1.0 - band);
    inner_high_ = level_ * (1.0 + band / 2);
    inner_low_ = level_ * (1.0 - band / 2);
    triggered_.assign(k_count, 0);
    for (size_t k = 0; k < k_count; ++k) {
      relative_[k] = held_[k] / capacity_[k];
      if (relative_[k] > high_ || relative_[k] < low_) {
        triggered_[k] = 1;
        ++outcome_.triggered;
      }
    }
    member_of_.assign(m, kNotBalanced);
    for (uint32_t k = 0; k < k_count; ++k) member_of_[members_[k]] = k;
    outcome_.level = level_;
  }

  void run() {
    if (outcome_.triggered > 0 && level_ > 0.0) {
      group_streams_by_owner();
      move_until_inside_the_band();
    }
    for (double r : relative_) outcome_.max_relative = std::max(outcome_.max_relative, r);
  }

 private:
  // bucket_[begin_[k] .. begin_[k + 1]) = the streams member k kept from the previous assignment and may
  // give away (load > 0; streams placed in this refresh are not moved twice).
  void group_streams_by_owner() {
    const uint64_t n = request_.streams->count;
    const uint32_t* previous = request_.previous_owner;
    const double* load = request_.load;
    const uint32_t m = request_.servers->count;
    begin_.assign(members_.size() + 1, 0);
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t owner = out_owner_[i];
      if (owner < m && owner == previous[i] && load[i] > 0.0 && member_of_[owner] != kNotBalanced)
        ++begin_[member_of_[owner] + 1];
    }
    for (size_t k = 0; k < members_.size(); ++k) begin_[k + 1] += begin_[k];
    std::vector<uint64_t> fill(begin_.begin(), begin_.end() - 1);
    bucket_.resize(begin_.back());
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t owner = out_owner_[i];
      if (owner < m && owner == previous[i] && load[i] > 0.0 && member_of_[owner] != kNotBalanced)
        bucket_[fill[member_of_[owner]]++] = i;
    }
    sorted_.assign(members_.size(), 0);
    left_.resize(bucket_.size() + 2);
    right_.resize(bucket_.size() + 2);
    std::iota(left_.begin(), left_.end(), size_t{0});
    std::iota(right_.begin(), right_.end(), size_t{0});
  }

  // A member's streams by load ascending (ties by hash, then index), sorted the first time it gives.
  void sort_bucket(uint32_t k) {
    if (sorted_[k]) return;
    sorted_[k] = 1;
    const double* load = request_.load;
    const uint64_t* hash = request_.streams->hash;
    std::sort(bucket_.begin() + static_cast<ptrdiff_t>(begin_[k]), bucket_.begin() + static_cast<ptrdiff_t>(begin_[k + 1]),
              [load, hash](uint64_t a, uint64_t b) {
                if (load[a] != load[b]) return load[a] < load[b];
                if (hash[a] != hash[b]) return hash[a] < hash[b];
                return a < b;
              });
  }

  // The position in member d's bucket of the stream whose load is closest to `want` among those
  // of at most `most` (ties to the smaller), or SIZE_MAX when every stream is larger than `most`.
  // A bucket stays sorted as streams leave it: a stream that moved is only unlinked (see live_left).
  // With constraints, only streams whose class allows server `to` count: up to kScan streams on
  // each side of `want` are stepped over; `blocked_by_class` tells that some stream fitted but
  // none of those looked at may go to `to`.
  size_t choose(uint32_t d, double want, double most, uint32_t to, bool& blocked_by_class) {
    sort_bucket(d);
    const double* load = request_.load;
    const auto first = bucket_.begin() + static_cast<ptrdiff_t>(begin_[d]);
    const auto last = bucket_.begin() + static_cast<ptrdiff_t>(begin_[d + 1]);
    const auto fits_end = std::upper_bound(first, last, most, [load](double x, uint64_t i) { return x < load[i]; });
    const auto at = std::lower_bound(first, fits_end, want, [load](uint64_t i, double x) { return load[i] < x; });
    const size_t lo = begin_[d];
    const size_t fits = static_cast<size_t>(fits_end - bucket_.begin());
    const size_t split = static_cast<size_t>(at - bucket_.begin());
    // The nearest streams still there on either side of `want`.
    size_t above = split < fits ? live_right(split) : SIZE_MAX;
    size_t below = split > lo ? live_left(split - 1) : SIZE_MAX;
    bool has_above = above != SIZE_MAX && above < fits;
    bool has_below = below != SIZE_MAX && below >= lo;
    if (constraints_.active() && (has_above || has_below)) {
      constexpr int kScan = 64;
      for (int k = 0; has_below && !constraints_.stream_may_use(bucket_[below], to); ++k) {
        below = k < kScan && below > lo ? live_left(below - 1) : SIZE_MAX;
        has_below = below != SIZE_MAX && below >= lo;
      }
      for (int k = 0; has_above && !constraints_.stream_may_use(bucket_[above], to); ++k) {
        above = k < kScan && above + 1 < fits ? live_right(above + 1) : SIZE_MAX;
        has_above = above != SIZE_MAX && above < fits;
      }
      blocked_by_class = !has_above && !has_below;
    }
    if (!has_above && !has_below) return SIZE_MAX;
    if (!has_above) return below;
    if (!has_below) return above;
    return want - load[bucket_[below]] <= load[bucket_[above]] - want ? below : above;
  }

  // Streams that moved stay in their sorted bucket but are unlinked: left_[p + 1] / right_[p + 1]
  // lead to the nearest position on that side that is still there (union-find with path halving,
  // so a long run of moved streams is crossed in near-constant time). Slot 0 and the last slot
  // are sentinels (SIZE_MAX: none).
  size_t live_left(size_t p) {
    size_t x = p + 1;
    while (left_[x] != x) {
      left_[x] = left_[left_[x]];
      x = left_[x];
    }
    return x == 0 ? SIZE_MAX : x - 1;
  }
  size_t live_right(size_t p) {
    size_t x = p + 1;
    while (right_[x] != x) {
      right_[x] = right_[right_[x]];
      x = right_[x];
    }
    return x == right_.size() - 1 ? SIZE_MAX : x - 1;
  }
  void unlink(size_t p) {
    left_[p + 1] = p;       // slot p is position p - 1
    right_[p + 1] = p + 2;  // slot p + 2 is position p + 1
  }

  void move_until_inside_the_band() {
    ExtremeTree<true> givers(relative_);
    ExtremeTree<false> takers(relative_);
    // With constraints a giver may hold nothing the least-loaded taker may receive: the next
    // takers are tried (set aside in `blocked`, at most kTakersTried), then the giver gives no
    // more. Without constraints nothing is ever blocked and this is the plain loop.
    constexpr size_t kTakersTried = 16;
    std::vector<uint32_t> blocked;
    const auto restore_blocked = [&] {
      for (uint32_t k : blocked) takers.update(k, relative_[k]);
      blocked.clear();
    };
    const auto give_up_on = [&](uint32_t d) {
      givers.exclude(d);
      restore_blocked();
    };
    for (;;) {
      const uint32_t d = givers.winner();
      const uint32_t r = takers.winner();
      if (d == ExtremeTree<true>::kNone) break;
      const bool paired = r != ExtremeTree<false>::kNone && d != r && relative_[d] > relative_[r];
      if (!paired) {
        if (blocked.empty()) break;
        give_up_on(d);  // no further taker for d: let the next giver serve the blocked ones
        continue;
      }
      const double rd = relative_[d], rr = relative_[r];
      // A server outside the band is triggered, and stays so until it is back inside the inner
      // band (the hysteresis): it is then not moved again for small changes.
      const bool d_needs = rd > high_ || (triggered_[d] && rd > inner_high_);
      const bool r_needs = rr < low_ || (triggered_[r] && rr < inner_low_);
      triggered_[d] = d_needs;
      triggered_[r] = r_needs;
      if (!d_needs && !r_needs) {
        if (blocked.empty()) break;
        give_up_on(d);
        continue;
      }
      if (budget_.moves == 0 || !(budget_.load > 0.0)) {
        outcome_.budget_spent = true;
        break;
      }
      // Drive by the side further from the level: bring it to the level, keeping the other side
      // inside the inner band.
      const bool drive_down = d_needs && (!r_needs || rd - level_ >= level_ - rr);
      const double want_full = drive_down ? (held_[d] - level_ * capacity_[d]) : (level_ * capacity_[r] - held_[r]);
      const double most =
          std::min({held_[d] - inner_low_ * capacity_[d], inner_high_ * capacity_[r] - held_[r], budget_.load});
      bool blocked_by_class = false;
      const size_t at = most > 0.0 ? choose(d, std::min(want_full, most), most, members_[r], blocked_by_class) : SIZE_MAX;
      if (at == SIZE_MAX) {
        if (blocked_by_class && blocked.size() < kTakersTried) {  // r may take none of them: try the next taker
          takers.exclude(r);
          blocked.push_back(r);
          continue;
        }
        give_up_on(d);  // every stream d has is too large to move to r (or may not go anywhere tried)
        continue;
      }
      const uint64_t i = bucket_[at];
      const double load = request_.load[i];
      out_owner_[i] = members_[r];
      held_[d] -= load;
      held_[r] += load;
      relative_[d] = held_[d] / capacity_[d];
      relative_[r] = held_[r] / capacity_[r];
      givers.update(d, relative_[d]);
      givers.update(r, relative_[r]);
      takers.update(d, relative_[d]);
      takers.update(r, relative_[r]);
      // Out of d's bucket; r does not get it, so no stream moves twice.
      unlink(at);
      restore_blocked();
      budget_.spend(load);
      outcome_.moved_load += load;
      ++outcome_.balanced;
    }
  }

  const berth_rebalance_request& request_;
  const PlacementConstraints& constraints_;
  std::vector<uint32_t> members_;  // server indices, ascending
  uint32_t* out_owner_;
  std::vector<uint64_t>& bucket_;
  Budget& budget_;
  StickyOutcome& outcome_;

  std::vector<uint32_t> member_of_;  // server index -> member position, or kNotBalanced
  std::vector<double> capacity_, held_, relative_;
  std::vector<uint8_t> triggered_;
  double level_ = 0, high_ = 0, low_ = 0, inner_high_ = 0, inner_low_ = 0;
  std::vector<uint64_t> begin_;         // members_.size() + 1 entries
  std::vector<uint8_t> sorted_;
  std::vector<size_t> left_, right_;    // see live_left()
};

// The up servers that can be balanced: those whose largest stream alone does not exceed the top
// of the band (a larger stream is placed anyway; the engine reports it). Removing such a server
// raises nothing: its load and capacity leave the level together, and the rest are measured
// against what they can actually share.
std::vector<uint32_t> balanceable(const berth_server_set& servers, const ServerRoster& roster,
                                  const std::vector<double>& held, const std::vector<double>& largest, double band) {
  std::vector<uint32_t> members = roster.up;
  for (;;) {
    double total_held = 0.0, total_capacity = 0.0;
    for (uint32_t s : members) {
      total_held += held[s];
      total_capacity += servers.capacity[s];
    }
    const double top = total_held / total_capacity * (1.0 + band);
    std::vector<uint32_t> kept;
    kept.reserve(members.size());
    for (uint32_t s : members)
      if (!(largest[s] > top * servers.capacity[s])) kept.push_back(s);
    if (kept.size() == members.size() || kept.empty()) return members;
    members = std::move(kept);
  }
}

}  // namespace

StickyOutcome StickyRebalancer::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
  const auto& [servers, streams, roster, constraints, load, previous] = RebalanceInput(request, out_owner);
  const uint32_t m = servers.count;
  const uint64_t n = streams.count;

  // Step 1: keep every stream whose owner is still there (draining ones tentatively), unless its
  // class does not allow that owner: such a stream must move, and is placed like one without an
  // owner (outside the budget: a hard constraint may not wait for budget left over).
  StickyOutcome outcome;
  std::vector<double> held(m, 0.0), largest(m, 0.0);
  std::vector<uint64_t> held_count(m, 0);
  std::vector<StreamKey> to_place, scratch;
  std::vector<uint64_t> bucket;  // kept streams grouped by owner (the balance step)
  double total_load = 0.0;
  uint64_t orphans = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const double l = load[i];
    if (!(l >= 0.0 && l <= std::numeric_limits<double>::max())) reject_load(streams, i, l);
    total_load += l;
    const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
    if (p < m && constraints.must_leave(i, p)) {
      out_owner[i] = BERTH_NO_SERVER;
      ++outcome.evicted;
      to_place.push_back(StreamKey{descending_load_key(l), i});
    } else if (p < m) {
      out_owner[i] = p;
      held[p] += l;
      ++held_count[p];
      largest[p] = std::max(largest[p], l);
      if (servers.state[p] == BERTH_SERVER_DRAINING) to_place.push_back(StreamKey{descending_load_key(l), i});
    } else {
      out_owner[i] = BERTH_NO_SERVER;
      ++orphans;
      to_place.push_back(StreamKey{descending_load_key(l), i});
    }
  }
  if (orphans > 0 && roster.up.empty())
    throw Error(BERTH_E_NO_SERVERS, "cannot place " + std::to_string(orphans) + " of " + std::to_string(n) +
                                        " streams that have no owner: " + describe_no_up_server(roster));

  Budget budget{settings_.max_moves, settings_.max_moved_load_fraction * total_load};

  // Step 2: place what has no owner, and drain within the budget.
  if (!to_place.empty()) {
    if (roster.up.empty()) {
      outcome.left_draining = to_place.size();  // draining streams stay: there is nowhere to go
    } else {
      sort_for_lpt(to_place, scratch, streams.hash);
      Placement(servers, roster, constraints, load, settings_.band, held, held_count, largest, out_owner, budget,
                outcome)
          .place(to_place);
    }
  }

  // Step 3: bring the up servers inside the band.
  if (roster.up.size() >= 2 && previous != nullptr) {
    std::vector<uint32_t> members = balanceable(servers, roster, held, largest, settings_.band);
    shed_beside_oversized(request, constraints, roster.up, members, held, largest, settings_.band, out_owner, budget,
                          outcome, scratch);
    if (members.size() >= 2)
      Balancer(request, constraints, std::move(members), held, settings_.band, out_owner, bucket, budget, outcome)
          .run();
  }
  return outcome;
}

}  // namespace berth::sticky
