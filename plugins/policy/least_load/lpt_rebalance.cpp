#include "lpt_rebalance.h"

#include <algorithm>
#include <limits>
#include <span>
#include <sstream>

#include "berth/plugin.hpp"
#include "class_chooser.h"
#include "placement_constraints.h"
#include "rebalance_input.h"
#include "server_roster.h"
#include "server_tournament.h"

namespace berth::least_load {
namespace {

using plugin::Error;

// Deals `streams` (in LPT order) to the up servers: each to the server whose holding per unit of
// capacity is least, which then holds `weight(stream)` more. `up[j]` is the server at position j,
// `capacity[j]` its capacity, `held[j]` what it holds so far. The relative holding is computed as
// held * (1 / capacity): a multiply instead of a division on the loop's critical path, and just
// as deterministic.
template <class Weight>
void deal(std::span<const StreamKey> streams, std::span<const uint32_t> up, std::span<const double> capacity,
          std::span<double> held, uint32_t* out_owner, Weight weight) {
  std::vector<double> inverse_capacity(up.size()), relative(up.size());
  for (size_t j = 0; j < up.size(); ++j) {
    inverse_capacity[j] = 1.0 / capacity[j];
    relative[j] = held[j] * inverse_capacity[j];
  }
  ServerTournament tournament(relative);
  for (const StreamKey& s : streams) {
    const uint32_t j = tournament.winner();
    out_owner[s.index] = up[j];
    held[j] += weight(s);
    tournament.update(j, held[j] * inverse_capacity[j]);
  }
}

// deal() for a request with constraints: a stream of a class goes to the server ClassChooser
// picks (preferred while it would stay at or below `level`, the fair load per unit of capacity of
// everything being dealt); a stream of a class with no up server keeps its previous owner when
// that server is still in the set; streams without a class, and the rest, go to the least-loaded
// up server as in deal().
template <class Weight>
void deal_constrained(std::span<const StreamKey> streams, std::span<const uint32_t> up,
                      std::span<const double> capacity, std::span<double> held,
                      std::span<const uint32_t> position_of, const PlacementConstraints& constraints,
                      const uint32_t* previous, uint32_t server_count, uint32_t* out_owner, Weight weight) {
  std::vector<double> inverse_capacity(up.size()), relative(up.size());
  double total = 0.0, total_capacity = 0.0;
  for (size_t j = 0; j < up.size(); ++j) {
    inverse_capacity[j] = 1.0 / capacity[j];
    relative[j] = held[j] * inverse_capacity[j];
    total += held[j];
    total_capacity += capacity[j];
  }
  for (const StreamKey& s : streams) total += weight(s);
  const double level = total / total_capacity;
  ServerTournament tournament(relative);
  ClassChooser chooser(constraints, up, position_of, relative, inverse_capacity, tournament);
  for (const StreamKey& s : streams) {
    const double w = weight(s);
    const uint32_t c = constraints.class_of(s.index);
    uint32_t j = c == BERTH_NO_CLASS ? tournament.winner() : chooser.choose(c, w, level);
    if (j == ClassChooser::kNone) {
      const uint32_t p = previous != nullptr ? previous[s.index] : BERTH_NO_SERVER;
      if (p < server_count) {  // nowhere allowed is up: stay
        out_owner[s.index] = p;
        j = position_of[p];
        if (j >= up.size()) continue;  // not up: its load counts toward no up server
      } else {
        j = tournament.winner();  // nowhere allowed is up and no owner: as if unconstrained
      }
    }
    out_owner[s.index] = up[j];
    held[j] += w;
    relative[j] = held[j] * inverse_capacity[j];
    tournament.update(j, relative[j]);
  }
}

}  // namespace

void LptRebalancer::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
  const auto& [servers, streams, roster, constraints, load, previous] = RebalanceInput(request, out_owner);

  // Streams on a read-only server stay (unless their class does not allow it and allows an up
  // server); every other stream is dealt out again.
  std::vector<StreamKey> order;
  order.reserve(streams.count);
  for (uint64_t i = 0; i < streams.count; ++i) {
    const double l = load[i];
    if (!(l >= 0.0 && l <= std::numeric_limits<double>::max())) reject_load(streams, i, l);
    const uint32_t p = previous != nullptr ? previous[i] : BERTH_NO_SERVER;
    if (p < servers.count && servers.state[p] == BERTH_SERVER_READ_ONLY && !constraints.must_leave(i, p)) {
      out_owner[i] = p;
    } else {
      order.push_back(StreamKey{descending_load_key(l), i});
    }
  }
  if (order.empty()) return;
  if (roster.up.empty())
    throw Error(BERTH_E_NO_SERVERS, "cannot place " + std::to_string(order.size()) + " of " +
                                        std::to_string(streams.count) + " streams: " + describe_no_up_server(roster));

  {
    std::vector<StreamKey> scratch;
    sort_for_lpt(order, scratch, streams.hash);
  }

  // Streams with load go first, largest first; the zero-load tail follows, dealt by count.
  const std::span<const StreamKey> all(order);
  const size_t loaded = static_cast<size_t>(
      std::partition_point(all.begin(), all.end(), [](const StreamKey& s) { return load_of_key(s.key) > 0.0; }) -
      all.begin());
  std::vector<double> up_capacity(roster.up.size());
  for (size_t j = 0; j < roster.up.size(); ++j) up_capacity[j] = servers.capacity[roster.up[j]];
  std::vector<double> held_load(roster.up.size(), 0.0);
  const auto by_load = [](const StreamKey& s) { return load_of_key(s.key); };
  const auto by_count = [](const StreamKey&) { return 1.0; };
  std::vector<uint32_t> position_of(servers.count, BERTH_NO_SERVER);
  for (uint32_t j = 0; j < roster.up.size(); ++j) position_of[roster.up[j]] = j;
  if (constraints.active()) {
    deal_constrained(all.first(loaded), roster.up, up_capacity, held_load, position_of, constraints,
                     previous, servers.count, out_owner, by_load);
  } else {
    deal(all.first(loaded), roster.up, up_capacity, held_load, out_owner, by_load);
  }
  if (loaded == order.size()) return;

  // Zero-load streams: balance stream counts per unit of capacity, starting from what the loaded
  // streams left on each server (a stream kept on a server that is not up counts on none).
  std::vector<double> held_count(roster.up.size(), 0.0);
  for (const StreamKey& s : all.first(loaded)) {
    const uint32_t j = position_of[out_owner[s.index]];
    if (j < roster.up.size()) held_count[j] += 1.0;
  }
  if (constraints.active()) {
    deal_constrained(all.subspan(loaded), roster.up, up_capacity, held_count, position_of, constraints,
                     previous, servers.count, out_owner, by_count);
  } else {
    deal(all.subspan(loaded), roster.up, up_capacity, held_count, out_owner, by_count);
  }
}

}  // namespace berth::least_load
