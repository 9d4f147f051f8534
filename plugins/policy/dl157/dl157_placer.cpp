#include "dl157_placer.h"

#include <cmath>
#include <sstream>

#include "berth/plugin.hpp"
#include "server_roster.h"

namespace berth::dl157 {

using least_load::describe_no_up_server;
using least_load::read_roster;
using least_load::usable_load;
using plugin::Error;

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
  const std::vector<uint32_t> rank = name_ranks(servers, roster.up);
  heap_.reserve(roster.up.size());
  for (uint32_t server : roster.up) heap_.push_back(ServerLoad{server_load[server], rank[server], server});
  make_server_heap(heap_);
}

uint32_t Dl157Placer::place(uint64_t /*stream_hash*/, double load) const {
  if (heap_.empty()) throw Error(BERTH_E_NO_SERVERS, "cannot place a new stream: " + no_server_reason_);
  const double added = std::isnan(load) ? 1.0 : load;
  if (!usable_load(added)) {
    std::ostringstream message;
    message << "cannot place a new stream of load " << load << "; loads must be finite and >= 0 (or NaN: unknown)";
    throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
  }
  std::lock_guard lock(mutex_);
  return add_to_lightest(heap_, added);
}

}  // namespace berth::dl157
