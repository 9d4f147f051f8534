#include "dl157_rebalance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string_view>

#include "berth/plugin.hpp"
#include "server_roster.h"

namespace berth::dl157 {
namespace {

using least_load::describe_no_up_server;
using least_load::read_roster;
using least_load::check_rebalance_request;
using least_load::usable_load;
using plugin::Error;

// One server in the min-heap: DL's ServerLoad, ordered by (load, name); index order is name order.
struct ServerLoad {
  double load;
  uint32_t server;
};

bool lighter(const ServerLoad& a, const ServerLoad& b) {
  return a.load < b.load || (a.load == b.load && a.server < b.server);
}

// Restores the heap after heap[0] grew (DL's poll() + offer() of the same server, in one pass).
void sift_down(std::vector<ServerLoad>& heap) {
  const size_t n = heap.size();
  const ServerLoad moving = heap[0];
  size_t at = 0;
  for (;;) {
    size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && lighter(heap[child + 1], heap[child])) ++child;
    if (!lighter(heap[child], moving)) break;
    heap[at] = heap[child];
    at = child;
  }
  heap[at] = moving;
}

}  // namespace

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

  // TreeSet<StreamLoad>: ascending load, ties by stream id (Java's String.compareTo, which for
  // these ids is byte order).
  // (The loads sit next to the indices so the sort reads memory in order.)
  order_.resize(streams.count);
  for (uint64_t i = 0; i < streams.count; ++i) order_[i] = StreamLoad{load[i], i};
  std::sort(order_.begin(), order_.end(), [&](const StreamLoad& a, const StreamLoad& b) {
    if (a.load != b.load) return a.load < b.load;
    return plugin::stream_id(streams, a.index) < plugin::stream_id(streams, b.index);
  });

  // PriorityQueue<ServerLoad>, every up server starting empty (its capacity ignored). Up indices
  // are ascending, so this array is already a valid heap.
  std::vector<ServerLoad> heap;
  heap.reserve(roster.up.size());
  for (uint32_t server : roster.up) heap.push_back(ServerLoad{0.0, server});
  for (const StreamLoad& stream : order_) {
    out_owner[stream.index] = heap[0].server;
    heap[0].load += stream.load;
    sift_down(heap);
  }
}

Dl157Placer::Dl157Placer(const berth_server_set& servers, const double* server_load) {
  const least_load::ServerRoster roster = read_roster(servers);
  if (servers.count > 0 && server_load == nullptr)
    throw Error(BERTH_E_INVALID_ARGUMENT, "placer: server loads are NULL");
  for (uint32_t i = 0; i < servers.count; ++i) {
    if (!usable_load(server_load[i])) {
      std::ostringstream message;
      message << "placer: server '" << plugin::server_id(servers, i) << "' has load " << server_load[i]
              << "; loads must be finite and >= 0";
      throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
    }
  }
  if (roster.up.empty()) {
    no_server_reason_ = describe_no_up_server(roster);
    return;
  }
  // The top of DL's heap: least total load, ties to the first (smallest) name. Capacity ignored.
  server_ = roster.up[0];
  for (uint32_t server : roster.up)
    if (server_load[server] < server_load[server_]) server_ = server;
}

uint32_t Dl157Placer::place(uint64_t /*stream_hash*/, double /*load*/) const {
  if (server_ == BERTH_NO_SERVER) throw Error(BERTH_E_NO_SERVERS, "cannot place a new stream: " + no_server_reason_);
  return server_;
}

}  // namespace berth::dl157
