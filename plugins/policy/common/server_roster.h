// The servers of one call, checked once: which ones may take new streams, and how many are in
// each state (for messages that say why nothing could be placed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/plugin.h"

namespace berth::least_load {

struct ServerRoster {
  std::vector<uint32_t> up;  // indices of BERTH_SERVER_UP servers, ascending (so in id order)
  uint32_t total = 0;
  uint32_t draining = 0;
  uint32_t read_only = 0;
};

// Throws Error(BERTH_E_INVALID_ARGUMENT) naming the server when a state is unknown or an up
// server's capacity is not a positive finite number.
ServerRoster read_roster(const berth_server_set& servers);

// "3 servers, none up (2 draining, 1 read-only)" / "no servers at all".
std::string describe_no_up_server(const ServerRoster& roster);

// Fails with BERTH_E_INVALID_ARGUMENT unless `set` is non-null and declares at least `required`
// bytes (a host built against an older ABI minor would declare fewer).
void require_struct(const void* set, uint32_t declared_size, uint32_t required, const char* what);

// Checks a rebalance request has every struct and array a policy reads (ids, hashes, loads and an
// output array whenever there are streams). Throws Error(BERTH_E_INVALID_ARGUMENT).
void check_rebalance_request(const berth_rebalance_request& request, const uint32_t* out_owner);

// True for a load a policy can place: finite and >= 0.
inline bool usable_load(double load) { return load >= 0.0 && load <= 1.7976931348623157e308; }

// Throws Error(BERTH_E_INVALID_ARGUMENT) naming stream `i` and its unusable load.
[[noreturn]] void reject_load(const berth_stream_set& streams, uint64_t i, double load);

}  // namespace berth::least_load
