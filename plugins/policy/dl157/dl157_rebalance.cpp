#include "dl157_rebalance.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "berth/plugin.hpp"
#include "java_order.h"
#include "server_heap.h"
#include "server_roster.h"

namespace berth::dl157 {

using least_load::check_rebalance_request;
using least_load::describe_no_up_server;
using least_load::read_roster;
using least_load::usable_load;
using plugin::Error;

void Dl157Rebalancer::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
  check_rebalance_request(request, out_owner);
  const berth_server_set& servers = *request.servers;
  const berth_stream_set& streams = *request.streams;
  const least_load::ServerRoster roster = read_roster(servers);
  const double* load = request.load;

  for (uint64_t i = 0; i < streams.count; ++i) {
    if (!usable_load(load[i])) {
      std::ostringstream message;
      message << "stream '" << plugin::stream_id(streams, i) << "' has load " << load[i]
              << "; loads must be finite and >= 0";
      throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
    }
  }
  if (streams.count == 0) return;
  if (roster.up.empty())
    throw Error(BERTH_E_NO_SERVERS,
                "cannot place " + std::to_string(streams.count) + " streams: " + describe_no_up_server(roster));

  // The TreeSet<StreamLoad>, smallest first. (Loads sit beside the indices so the sort reads
  // memory in order.)
  struct StreamLoad {
    double load;
    uint64_t index;
  };
  std::vector<StreamLoad> order(streams.count);  // the streams, in the order they are dealt
  for (uint64_t i = 0; i < streams.count; ++i) order[i] = StreamLoad{load[i], i};
  std::sort(order.begin(), order.end(), [&](const StreamLoad& a, const StreamLoad& b) {
    if (a.load != b.load) return a.load < b.load;
    return java_compare(plugin::stream_id(streams, a.index), plugin::stream_id(streams, b.index)) < 0;
  });

  // First round: one stream per server in set order, loads not consulted.
  const std::vector<uint32_t> rank = name_ranks(servers, roster.up);
  std::vector<ServerLoad> heap;
  heap.reserve(roster.up.size());
  uint64_t next = 0;
  for (uint32_t server : roster.up) {
    ServerLoad entry{0.0, rank[server], server};
    if (next < order.size()) {
      out_owner[order[next].index] = server;
      entry.load += order[next].load;
      ++next;
    }
    heap.push_back(entry);
  }
  // The rest: each to the server first in (load, name) order, which then holds its load too.
  make_server_heap(heap);
  for (; next < order.size(); ++next) out_owner[order[next].index] = add_to_lightest(heap, order[next].load);
}

}  // namespace berth::dl157
