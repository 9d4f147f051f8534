// A tournament (winner) tree over the servers that take streams: the root holds the server with
// the least key, ties going to the lower position (positions follow server ids). Raising the
// winner's key replays only its path to the root: log2(M) comparisons between adjacent nodes.
//
// Keys are non-negative doubles, compared as their IEEE-754 bit patterns (which order the same
// way): the integer compare folds the tie rule into `sibling < current + is_right` and compiles
// to conditional moves. With double compares the compiler emitted a branch per level, mispredicted
// about half the time, and the tree cost three times as much.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace berth::least_load {

class ServerTournament {
 public:
  // One leaf per key (each >= +0.0, not NaN), in position order.
  explicit ServerTournament(std::span<const double> keys) {
    while (leaves_ < keys.size()) leaves_ *= 2;
    // Padding leaves never win: +inf loses to every real key.
    nodes_.assign(2 * leaves_, Node{bits(std::numeric_limits<double>::infinity()), 0});
    for (uint32_t i = 0; i < keys.size(); ++i) nodes_[leaves_ + i] = Node{bits(keys[i]), i};
    for (size_t node = leaves_ - 1; node >= 1; --node) {
      const Node& left = nodes_[2 * node];
      const Node& right = nodes_[2 * node + 1];
      nodes_[node] = right.key < left.key ? right : left;
    }
  }

  // The position with the least key (the lowest such position on ties).
  uint32_t winner() const { return nodes_[1].position; }

  void update(uint32_t position, double key) {
    size_t node = leaves_ + position;
    uint64_t current_key = bits(key);
    uint32_t current_position = position;
    nodes_[node] = Node{current_key, current_position};
    while (node > 1) {
      const Node sibling = nodes_[node ^ 1];
      // A left sibling (we are the right child, node odd) holds lower positions and also wins a
      // tie: sibling <= current, i.e. sibling < current + 1. A right sibling must be strictly less.
      // current_key + 1 cannot overflow: the largest key is +inf's bit pattern.
      const bool sibling_wins = sibling.key < current_key + (node & 1);
      current_key = sibling_wins ? sibling.key : current_key;
      current_position = sibling_wins ? sibling.position : current_position;
      node >>= 1;
      nodes_[node] = Node{current_key, current_position};
    }
  }

 private:
  struct Node {
    uint64_t key;
    uint32_t position;
  };

  static uint64_t bits(double key) { return std::bit_cast<uint64_t>(key); }

  size_t leaves_ = 1;
  std::vector<Node> nodes_;  // nodes_[1] is the root; node k's children are 2k and 2k + 1
};

}  // namespace berth::least_load
