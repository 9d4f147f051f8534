// A winner tree over the servers being balanced that answers "which one has the highest key"
// (kMax) or "the lowest key" (!kMax), ties going to the lower position (positions follow server
// ids, so ties are broken by name on every node alike). Changing a key replays its path to the
// root: log2(M) comparisons. A position can be excluded, after which it never wins; winner()
// is kNone when every position is excluded.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace berth::sticky {

template <bool kMax>
class ExtremeTree {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit ExtremeTree(std::span<const double> keys) {
    while (leaves_ < keys.size()) leaves_ *= 2;
    nodes_.assign(2 * leaves_, Node{0.0, kNone});
    for (uint32_t i = 0; i < keys.size(); ++i) nodes_[leaves_ + i] = Node{keys[i], i};
    for (size_t node = leaves_ - 1; node >= 1; --node) nodes_[node] = better(nodes_[2 * node], nodes_[2 * node + 1]);
  }

  uint32_t winner() const { return nodes_[1].position; }

  void update(uint32_t position, double key) { replay(position, Node{key, position}); }
  void exclude(uint32_t position) { replay(position, Node{0.0, kNone}); }

 private:
  struct Node {
    double key;
    uint32_t position;  // kNone: excluded or padding
  };

  // `left` holds the lower positions, so it wins ties.
  static Node better(const Node& left, const Node& right) {
    if (right.position == kNone) return left;
    if (left.position == kNone) return right;
    const bool right_wins = kMax ? right.key > left.key : right.key < left.key;
    return right_wins ? right : left;
  }

  void replay(uint32_t position, Node leaf) {
    size_t node = leaves_ + position;
    nodes_[node] = leaf;
    for (node >>= 1; node >= 1; node >>= 1) nodes_[node] = better(nodes_[2 * node], nodes_[2 * node + 1]);
  }

  size_t leaves_ = 1;
  std::vector<Node> nodes_;  // nodes_[1] is the root; node k's children are 2k and 2k + 1
};

}  // namespace berth::sticky
