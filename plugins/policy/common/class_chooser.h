// Where a constrained stream goes while least_load or sticky deals streams out: the up server its
// class allows with the least load per unit of capacity, or a preferred one while it has room.
//
// The unconstrained deal keeps one tournament over every up server, whose winner is the least
// loaded of all: when the class allows (or prefers) that server, it is also the class's least
// loaded, at no cost. Otherwise the class's own servers are scanned. A tournament or heap per
// class was tried first and was slower by far: between two streams of one class (100 of them at
// 1M streams x 10k classes) every server the class allows has received streams, so nearly every
// entry was stale; a scan of the class's positions reads each once.
// Ties go to the lower position, as in ServerTournament, so every node agrees.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "placement_constraints.h"
#include "server_tournament.h"

namespace berth::least_load {

class ClassChooser {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `up[position]` is the server at each position and `position_of[server]` its inverse (anything
  // >= up.size() for a server that is not up); `relative[position]` is its current key, kept equal
  // to the key `tournament` holds; `inverse_capacity[position]` converts a weight into key units.
  ClassChooser(const PlacementConstraints& constraints, std::span<const uint32_t> up,
               std::span<const uint32_t> position_of, std::span<const double> relative,
               std::span<const double> inverse_capacity, const ServerTournament& tournament)
      : constraints_(constraints), up_(up), position_of_(position_of), relative_(relative),
        inverse_capacity_(inverse_capacity), tournament_(tournament), allowed_(constraints.class_count()),
        preferred_(constraints.class_count()) {}

  // The position for a stream of class c and weight w: the least-loaded preferred up server,
  // unless after taking w it would be above both `level` and the least-loaded allowed one (which
  // is then taken). kNone when the class allows no up server.
  uint32_t choose(uint32_t c, double w, double level) {
    // A preferred server that stays at or below the level wins whatever the allowed ones hold:
    // the (usually much longer) allowed list is then not read at all.
    const uint32_t p = least(c, preferred_[c], constraints_.up_preferred(c), true);
    const double after_p = p == kNone ? 0.0 : relative_[p] + w * inverse_capacity_[p];
    if (p != kNone && after_p <= level) return p;
    const uint32_t a = least(c, allowed_[c], constraints_.up_allowed(c), false);
    if (a == kNone || p == kNone || p == a) return a;  // (a preferred server is also allowed)
    const double after_a = relative_[a] + w * inverse_capacity_[a];
    return after_p <= std::max(level, after_a) ? p : a;
  }

 private:
  struct Positions {
    bool built = false;
    std::vector<uint32_t> list;  // ascending
  };

  uint32_t least(uint32_t c, Positions& positions, std::span<const uint32_t> servers, bool preferred) {
    if (servers.empty()) return kNone;
    const uint32_t winner = tournament_.winner();
    const uint32_t overall = up_[winner];
    if (preferred ? constraints_.prefers(c, overall) : constraints_.allows(c, overall)) return winner;
    if (!positions.built) {
      positions.built = true;
      positions.list.reserve(servers.size());
      for (uint32_t s : servers) positions.list.push_back(position_of_[s]);  // up servers only
    }
    uint32_t best = positions.list.front();
    double best_key = relative_[best];
    for (uint32_t j : positions.list) {
      const double key = relative_[j];
      if (key < best_key) {  // strict: the lower position keeps a tie
        best_key = key;
        best = j;
      }
    }
    return best;
  }

  const PlacementConstraints& constraints_;
  std::span<const uint32_t> up_;
  std::span<const uint32_t> position_of_;
  std::span<const double> relative_;
  std::span<const double> inverse_capacity_;
  const ServerTournament& tournament_;
  std::vector<Positions> allowed_, preferred_;
};

}  // namespace berth::least_load
