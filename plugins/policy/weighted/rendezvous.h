// Weighted rendezvous hashing (highest random weight, as in CRUSH's straw2): every candidate
// server j draws u_j in (0, 1) from a hash of (stream hash, server id) and scores
// ln(u_j) / w_j; the highest score wins. The winner is server j with probability w_j / sum w,
// every node computes the same winner, and changing one server's weight (or adding or removing
// one server) only changes the streams whose winner is, or becomes, that server: the other
// servers' scores do not change, so their order does not either.
//
// The score is computed with integer hashing and +, -, *, / only (IEEE-754 rounds those exactly
// alike everywhere; the build turns off fused multiply-adds), never with the C library's log(),
// whose last bit may differ between libm versions: a near tie must break the same way on every node.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "berth/plugin.h"
#include "mix64.h"

namespace berth::weighted {

using least_load::mix64;

// ln(x) for x in (0, 1], by +, -, *, / only (see above). Relative error below 1e-15.
double portable_ln(double x);

// The 64-bit key a server is known by in every score: XXH3-64 of its id, so a server keeps its
// scores when other servers join or leave and its index shifts.
uint64_t server_key(std::string_view id);

class Rendezvous {
 public:
  // Candidates are server indices whose capacity (the weight) is positive and finite.
  Rendezvous(const berth_server_set& servers, std::span<const uint32_t> candidates);

  bool empty() const { return server_.empty(); }

  // The winning server index for a stream. Requires !empty(). O(candidates), but the logarithm is
  // only computed for the few candidates that can still win (see rendezvous.cpp).
  uint32_t choose(uint64_t stream_hash) const;

  // The winner among `servers` (server indices, each one of the candidates; not empty): the same
  // server the full choice would give if only these were candidates, since a server's score
  // depends on nothing but the stream and that server.
  uint32_t choose_among(uint64_t stream_hash, std::span<const uint32_t> servers) const;

 private:
  std::vector<uint32_t> position_of_;  // server index -> candidate position
  std::vector<uint64_t> key_;
  std::vector<double> inverse_weight_;
  std::vector<uint32_t> server_;

  // choose()'s fast path: the candidates grouped by weight (equal bit for bit), in which only the
  // largest draws can win.
  struct WeightGroup {
    size_t begin, end;  // into grouped_key_ / grouped_position_
  };
  std::vector<WeightGroup> groups_;
  std::vector<uint64_t> grouped_key_;
  std::vector<uint32_t> grouped_position_;  // the candidate position of each grouped key
};

}  // namespace berth::weighted
