#include "rebalance_input.h"

namespace berth::least_load {
namespace {

const berth_server_set& checked_servers(const berth_rebalance_request& request, const uint32_t* out_owner) {
  check_rebalance_request(request, out_owner);
  return *request.servers;
}

}  // namespace

RebalanceInput::RebalanceInput(const berth_rebalance_request& request, const uint32_t* out_owner)
    : servers(checked_servers(request, out_owner)),
      streams(*request.streams),
      roster(read_roster(servers)),
      constraints(request),
      load(request.load),
      previous(request.previous_owner) {}

}  // namespace berth::least_load
