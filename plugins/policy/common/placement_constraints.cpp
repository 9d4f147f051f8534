#include "placement_constraints.h"

#include <string>

#include "berth/plugin.hpp"
#include "server_roster.h"

namespace berth::least_load {
namespace {

using plugin::Error;

[[noreturn]] void reject(const std::string& what) {
  throw Error(BERTH_E_INVALID_ARGUMENT, "placement constraints: " + what);
}

// Checks class c's list `begin[c] .. begin[c + 1]` of `list` ("allowed" or "preferred"): offsets
// that do not go back, server indices below `servers`, strictly ascending.
std::span<const uint32_t> checked_list(const uint64_t* begin, const uint32_t* list, uint32_t c, uint32_t servers,
                                       const char* what) {
  const std::string name = "class " + std::to_string(c) + ": ";
  if (begin[c + 1] < begin[c])
    reject(name + what + "_begin goes back from " + std::to_string(begin[c]) + " to " + std::to_string(begin[c + 1]));
  const std::span<const uint32_t> servers_of(list + begin[c], begin[c + 1] - begin[c]);
  for (size_t k = 0; k < servers_of.size(); ++k) {
    if (servers_of[k] >= servers)
      reject(name + what + " server index " + std::to_string(servers_of[k]) + " is out of range (the request has " +
             std::to_string(servers) + " servers)");
    if (k > 0 && servers_of[k] <= servers_of[k - 1])
      reject(name + what + " servers are not strictly ascending (" + std::to_string(servers_of[k]) + " after " +
             std::to_string(servers_of[k - 1]) + ")");
  }
  return servers_of;
}

}  // namespace

PlacementConstraints::PlacementConstraints(const berth_rebalance_request& request) {
  if (request.struct_size < BERTH_SIZE_THROUGH(berth_rebalance_request, constraints) || request.constraints == nullptr)
    return;  // an ABI 1.0 host, or no rules: unconstrained
  const berth_placement_constraints& in = *request.constraints;
  require_struct(&in, in.struct_size, BERTH_SIZE_THROUGH(berth_placement_constraints, preferred),
                 "placement constraints");
  const uint64_t n = request.streams->count;
  const uint32_t m = request.servers->count;
  class_count_ = in.class_count;
  if (n > 0 && in.class_of == nullptr) reject("class_of is NULL for " + std::to_string(n) + " streams");
  if (class_count_ > 0 && (in.allowed_begin == nullptr || in.preferred_begin == nullptr))
    reject(std::to_string(class_count_) + " classes without allowed_begin or preferred_begin");
  if (class_count_ > 0 && ((in.allowed_begin[class_count_] > in.allowed_begin[0] && in.allowed == nullptr) ||
                           (in.preferred_begin[class_count_] > in.preferred_begin[0] && in.preferred == nullptr)))
    reject("the allowed or preferred array is NULL but its offsets are not empty");

  words_ = (size_t{m} + 63) / 64;
  allowed_bits_.assign(size_t{class_count_} * words_, 0);
  preferred_bits_.assign(size_t{class_count_} * words_, 0);
  up_allowed_begin_.assign(size_t{class_count_} + 1, 0);
  up_preferred_begin_.assign(size_t{class_count_} + 1, 0);
  const int32_t* state = request.servers->state;
  for (uint32_t c = 0; c < class_count_; ++c) {
    uint64_t* allowed = allowed_bits_.data() + size_t{c} * words_;
    uint64_t* preferred = preferred_bits_.data() + size_t{c} * words_;
    const auto allowed_list = checked_list(in.allowed_begin, in.allowed, c, m, "allowed");
    if (allowed_list.empty()) reject("class " + std::to_string(c) + " allows no server");
    for (uint32_t s : allowed_list) {
      allowed[s >> 6] |= uint64_t{1} << (s & 63);
      if (state[s] == BERTH_SERVER_UP) up_allowed_.push_back(s);
    }
    for (uint32_t s : checked_list(in.preferred_begin, in.preferred, c, m, "preferred")) {
      if (!((allowed[s >> 6] >> (s & 63)) & 1u))
        reject("class " + std::to_string(c) + " prefers server index " + std::to_string(s) +
               ", which it does not allow (every preferred server must also be allowed)");
      preferred[s >> 6] |= uint64_t{1} << (s & 63);
      if (state[s] == BERTH_SERVER_UP) up_preferred_.push_back(s);
    }
    up_allowed_begin_[c + 1] = up_allowed_.size();
    up_preferred_begin_[c + 1] = up_preferred_.size();
  }
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t c = in.class_of[i];
    if (c >= class_count_ && c != BERTH_NO_CLASS)
      reject("stream '" + std::string(plugin::stream_id(*request.streams, i)) + "' has class " + std::to_string(c) +
             ", but there are " + std::to_string(class_count_) + " classes (and BERTH_NO_CLASS)");
  }
  class_of_ = in.class_of;
}

}  // namespace berth::least_load
