#include "oversized_servers.h"

#include "server_tournament.h"

namespace berth::sticky {

using least_load::descending_load_key;
using least_load::ServerTournament;
using least_load::StreamKey;

void shed_beside_oversized(const berth_rebalance_request& request, const least_load::PlacementConstraints& constraints,
                           std::span<const uint32_t> up, std::span<const uint32_t> members, std::vector<double>& held,
                           const std::vector<double>& largest, double band, uint32_t* out_owner, MoveBudget& budget,
                           StickyOutcome& outcome, std::vector<StreamKey>& scratch) {
  if (members.empty() || members.size() == up.size()) return;
  const berth_server_set& servers = *request.servers;
  const uint32_t m = servers.count;
  constexpr uint32_t kNotMember = UINT32_MAX;
  std::vector<uint32_t> member_of(m, kNotMember);
  double total = 0.0, capacity = 0.0;
  for (uint32_t k = 0; k < members.size(); ++k) {
    member_of[members[k]] = k;
    total += held[members[k]];
    capacity += servers.capacity[members[k]];
  }
  const double level = total / capacity;

  // The oversized servers carrying more than a band's worth beside their largest stream.
  std::vector<uint8_t> shedding(m, 0);
  bool any = false;
  for (uint32_t s : up) {
    if (member_of[s] != kNotMember || !(held[s] - largest[s] > band * level * servers.capacity[s])) continue;
    shedding[s] = 1;
    any = true;
  }
  if (!any) return;

  // Their streams with load, largest first (ties by hash, then index): the first of each server
  // is the one it keeps.
  std::vector<StreamKey> streams;
  for (uint64_t i = 0; i < request.streams->count; ++i)
    if (out_owner[i] < m && shedding[out_owner[i]] && request.load[i] > 0.0) streams.push_back(StreamKey{descending_load_key(request.load[i]), i});
  least_load::sort_for_lpt(streams, scratch, request.streams->hash);

  std::vector<double> inverse_capacity(members.size()), relative(members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    inverse_capacity[k] = 1.0 / servers.capacity[members[k]];
    relative[k] = held[members[k]] * inverse_capacity[k];
  }
  ServerTournament least_loaded(relative);
  std::vector<uint8_t> kept_largest(m, 0);
  for (const StreamKey& s : streams) {
    const uint64_t i = s.index;
    const uint32_t from = out_owner[i];
    if (!kept_largest[from]) {
      kept_largest[from] = 1;
      continue;
    }
    if (!(held[from] - largest[from] > band / 2 * level * servers.capacity[from])) continue;  // shed enough
    // The least-loaded balanced server the stream's class allows (ties to the lower index).
    uint32_t to = kNotMember;
    const uint32_t c = constraints.class_of(i);
    if (c == BERTH_NO_CLASS) {
      to = least_loaded.winner();
    } else {
      for (uint32_t server : constraints.up_allowed(c)) {
        const uint32_t k = member_of[server];
        if (k != kNotMember && (to == kNotMember || relative[k] < relative[to])) to = k;
      }
      if (to == kNotMember) continue;  // its class allows no balanced server: it stays
    }
    const double load = request.load[i];
    const bool is_move = request.previous_owner[i] == from;
    if (is_move) {
      if (!budget.allows(load)) {
        outcome.budget_spent = true;
        break;
      }
      budget.spend(load);
      outcome.moved_load += load;
      ++outcome.shed;
    }
    out_owner[i] = members[to];
    held[from] -= load;
    held[members[to]] += load;
    relative[to] = held[members[to]] * inverse_capacity[to];
    least_loaded.update(to, relative[to]);
  }
}

}  // namespace berth::sticky
