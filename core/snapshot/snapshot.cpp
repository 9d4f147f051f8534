#include "snapshot/snapshot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "snapshot/shared_rules.h"

namespace berth {

Balance measure_balance(const ServerColumns& servers, const std::vector<double>& server_load,
                        const std::vector<float>& stream_load) {
  Balance b;
  double capacity = 0, largest_capacity = 0;
  for (uint32_t s = 0; s < servers.size(); ++s) {
    b.total_load += server_load[s];
    if (servers.state[s] == BERTH_SERVER_DRAINING) continue;  // holds streams only until moved
    capacity += servers.capacity[s];
    largest_capacity = std::max(largest_capacity, servers.capacity[s]);
  }
  if (servers.size() == 0 || capacity <= 0) return b;

  b.max_load = 0;
  b.min_load = std::numeric_limits<double>::infinity();
  for (uint32_t s = 0; s < servers.size(); ++s) {
    double relative = server_load[s] / servers.capacity[s];
    b.max_load = std::max(b.max_load, relative);
    if (servers.state[s] != BERTH_SERVER_DRAINING) b.min_load = std::min(b.min_load, relative);
  }
  if (!std::isfinite(b.min_load)) b.min_load = 0;

  double largest_stream = 0;
  double fair_share_of_largest = b.total_load / capacity * largest_capacity;
  for (float load : stream_load) {
    largest_stream = std::max(largest_stream, static_cast<double>(load));
    if (load > fair_share_of_largest) ++b.oversized_streams;
  }
  b.lower_bound = std::max(b.total_load / capacity, largest_stream / largest_capacity);
  b.max_over_lb = b.lower_bound > 0 ? b.max_load / b.lower_bound : 1.0;
  return b;
}

namespace {

bool same_servers(const ServerColumns& a, const ServerColumns& b) {
  return &a == &b || (a.ids.arena == b.ids.arena && a.ids.offsets == b.ids.offsets);
}

// For each server of `from`, its index in `to` by id (both sorted), or BERTH_NO_SERVER.
std::vector<uint32_t> server_map(const ServerColumns& from, const ServerColumns& to) {
  std::vector<uint32_t> map(from.size(), BERTH_NO_SERVER);
  for (uint32_t a = 0, b = 0; a < from.size(); ++a) {
    while (b < to.size() && to.ids.at(b) < from.ids.at(a)) ++b;
    if (b < to.size() && to.ids.at(b) == from.ids.at(a)) map[a] = b;
  }
  return map;
}

// The lookup table for `s`: the previous one when nothing it holds changed, a patched copy when
// few owners did (a sticky refresh moves a handful of a million streams; a server joining or
// leaving renumbers owners, which the copy follows by id), else a new one.
std::shared_ptr<const LookupTable> table_for(const Snapshot& s, const Snapshot* previous) {
  const StreamColumns& streams = *s.streams;
  uint64_t n = streams.size();
  if (previous != nullptr && previous->table && previous->streams == s.streams && previous->owner.size() == n) {
    const bool same = same_servers(*previous->servers, *s.servers);
    const std::vector<uint32_t> map = same ? std::vector<uint32_t>() : server_map(*previous->servers, *s.servers);
    auto carried = [&](uint32_t owner) { return same ? owner : owner < map.size() ? map[owner] : BERTH_NO_SERVER; };
    std::vector<uint64_t> changed;
    for (uint64_t i = 0; i < n && changed.size() <= n / 8; ++i)
      if (carried(previous->owner[i]) != s.owner[i]) changed.push_back(i);
    if (changed.empty() && same) return previous->table;
    if (changed.size() <= n / 8) {
      auto copy = std::make_shared<LookupTable>(previous->table->clone());
      if (!same) copy->remap_owners(map);
      for (uint64_t i : changed) copy->set_owner(streams.hash[i], streams.ids.at(i), streams.ids.arena.data(), s.owner[i]);
      return copy;
    }
  }
  return std::make_shared<const LookupTable>(n, streams.hash.data(), s.owner.data(), streams.ids.arena.data(),
                                             streams.ids.offsets.data());
}

// Holders and tokens: none at all, or per stream a server (or nobody) and a token that is 0
// exactly when nobody holds the stream (docs/ownership.md).
void check_holders(const Snapshot& s) {
  const StreamColumns& streams = *s.streams;
  const uint64_t n = streams.size();
  const uint32_t m = s.servers->size();
  if (s.holder.empty() && s.token.empty()) return;
  if (s.holder.size() != n || s.token.size() != n)
    throw Error(BERTH_E_CORRUPT, "snapshot version " + std::to_string(s.meta.version) + " has " +
                                     std::to_string(s.holder.size()) + " holders and " + std::to_string(s.token.size()) +
                                     " tokens for " + std::to_string(n) + " streams");
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t h = s.holder[i];
    const uint64_t t = s.token[i];
    if (h == BERTH_NO_SERVER) {
      if (t != 0)
        throw Error(BERTH_E_CORRUPT, "stream '" + std::string(streams.ids.at(i)) + "' is held by nobody but has token " +
                                         std::to_string(t));
      continue;
    }
    if (h >= m)
      throw Error(BERTH_E_CORRUPT, "stream '" + std::string(streams.ids.at(i)) + "' is held by server #" +
                                       std::to_string(h) + " of " + std::to_string(m));
    if (t == 0)
      throw Error(BERTH_E_CORRUPT, "stream '" + std::string(streams.ids.at(i)) + "' is held by server '" +
                                       std::string(s.servers->ids.at(h)) + "' with token 0");
  }
}

}  // namespace

void finish_snapshot(Snapshot& s, const Policy* policy, std::shared_ptr<ServerNames> names, const Snapshot* previous) {
  if (!s.servers || !s.streams) throw Error(BERTH_E_CORRUPT, "snapshot has no server or stream columns");
  if (s.shared_rules && s.shared_rules->in_base)
    throw Error(BERTH_E_CORRUPT, "snapshot's shared rules name a base's script, and it is no delta applied to its base");
  const ServerColumns& servers = *s.servers;
  const StreamColumns& streams = *s.streams;
  uint64_t n = streams.size();
  uint32_t m = servers.size();
  if (s.owner.size() != n || s.load.size() != n || streams.tenant.size() != n || streams.ids.size() != n)
    throw Error(BERTH_E_CORRUPT, "snapshot columns disagree on the number of streams");
  if (servers.state.size() != m || servers.ids.size() != m)
    throw Error(BERTH_E_CORRUPT, "snapshot columns disagree on the number of servers");

  s.server_load.assign(m, 0.0);
  s.server_streams.assign(m, 0);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t o = s.owner[i];
    if (o >= m)
      throw Error(BERTH_E_CORRUPT, "stream '" + std::string(streams.ids.at(i)) + "' is owned by server #" +
                                       std::to_string(o) + " of " + std::to_string(m));
    s.server_load[o] += s.load[i];
    ++s.server_streams[o];
  }
  check_holders(s);
  s.balance = measure_balance(servers, s.server_load, s.load);

  s.server_name.resize(m);
  for (uint32_t j = 0; j < m; ++j) s.server_name[j] = names->intern(servers.ids.at(j));
  s.names = std::move(names);

  s.table = table_for(s, previous);

  s.placer.reset();
  s.placer_error_code = BERTH_OK;
  s.placer_error.clear();
  if (policy == nullptr) {
    s.placer_error_code = BERTH_E_STATE;
    s.placer_error = "no policy is loaded to place new streams";
    return;
  }
  try {
    s.placer = policy->make_placer(servers.view(), s.server_load.data());
  } catch (const Error& e) {
    // Known streams are still answered; only new streams get this error.
    s.placer_error_code = e.code();
    s.placer_error = e.what();
  }
}

}  // namespace berth
