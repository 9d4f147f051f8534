#include "server_roster.h"

#include <cmath>
#include <sstream>
#include <string_view>

#include "berth/plugin.hpp"

namespace berth::least_load {

using plugin::Error;

void require_struct(const void* set, uint32_t declared_size, uint32_t required, const char* what) {
  if (set == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, std::string(what) + " is NULL");
  if (declared_size < required)
    throw Error(BERTH_E_INVALID_ARGUMENT, std::string(what) + " declares " + std::to_string(declared_size) +
                                              " bytes, at least " + std::to_string(required) + " required");
}

void check_rebalance_request(const berth_rebalance_request& request, const uint32_t* out_owner) {
  require_struct(&request, request.struct_size, BERTH_SIZE_THROUGH(berth_rebalance_request, previous_owner),
                 "rebalance request");
  require_struct(request.servers, request.servers == nullptr ? 0 : request.servers->struct_size,
                 BERTH_SIZE_THROUGH(berth_server_set, state), "server set");
  require_struct(request.streams, request.streams == nullptr ? 0 : request.streams->struct_size,
                 BERTH_SIZE_THROUGH(berth_stream_set, reported_load), "stream set");
  const berth_stream_set& streams = *request.streams;
  if (streams.count > 0 && (streams.hash == nullptr || streams.id_arena == nullptr || streams.id_offsets == nullptr ||
                            request.load == nullptr || out_owner == nullptr))
    throw Error(BERTH_E_INVALID_ARGUMENT, "rebalance of " + std::to_string(streams.count) +
                                              " streams without their ids, hashes, loads or an output array");
}

void reject_load(const berth_stream_set& streams, uint64_t i, double load) {
  std::ostringstream message;
  message << "stream '" << plugin::stream_id(streams, i) << "' has load " << load
          << "; loads must be finite and >= 0";
  throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
}

ServerRoster read_roster(const berth_server_set& servers) {
  require_struct(&servers, servers.struct_size, BERTH_SIZE_THROUGH(berth_server_set, state), "server set");
  ServerRoster roster;
  roster.total = servers.count;
  if (servers.count == 0) return roster;
  if (servers.state == nullptr || servers.capacity == nullptr || servers.id_offsets == nullptr)
    throw Error(BERTH_E_INVALID_ARGUMENT, "server set of " + std::to_string(servers.count) +
                                              " servers has no state, capacity or id array");
  roster.up.reserve(servers.count);
  for (uint32_t i = 0; i < servers.count; ++i) {
    switch (servers.state[i]) {
      case BERTH_SERVER_UP: {
        const double capacity = servers.capacity[i];
        if (!(capacity > 0.0) || !std::isfinite(capacity)) {
          std::ostringstream message;
          message << "server '" << plugin::server_id(servers, i) << "' has capacity " << capacity
                  << "; an up server needs a positive finite capacity";
          throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
        }
        roster.up.push_back(i);
        break;
      }
      case BERTH_SERVER_DRAINING: ++roster.draining; break;
      case BERTH_SERVER_READ_ONLY: ++roster.read_only; break;
      default:
        throw Error(BERTH_E_INVALID_ARGUMENT, "server '" + std::string(plugin::server_id(servers, i)) +
                                                  "' has unknown state " + std::to_string(servers.state[i]));
    }
  }
  return roster;
}

std::string describe_no_up_server(const ServerRoster& roster) {
  if (roster.total == 0) return "there are no servers at all";
  return std::to_string(roster.total) + (roster.total == 1 ? " server" : " servers") + ", none up (" +
         std::to_string(roster.draining) + " draining, " + std::to_string(roster.read_only) + " read-only)";
}

}  // namespace berth::least_load
