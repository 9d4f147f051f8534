// The order in which LPT places streams: load descending, ties by stream hash, then by index.
// Sorted as 64-bit integer keys with a radix sort: the comparison sort it replaces spent most of
// a million-stream rebalance chasing indices into the load and hash arrays.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace berth::least_load {

// One stream to place: `key` orders it, `index` is its position in the stream set.
struct StreamKey {
  uint64_t key;
  uint64_t index;
};

// For finite loads >= 0 the IEEE-754 bits order like the values; inverting them makes an
// ascending sort put the largest load first. `+ 0.0` turns -0.0 into +0.0 so both sort alike.
inline uint64_t descending_load_key(double load) { return ~std::bit_cast<uint64_t>(load + 0.0); }
inline double load_of_key(uint64_t key) { return std::bit_cast<double>(~key); }

// Sorts `streams` (keys from descending_load_key, indices ascending on entry) into LPT order,
// using `hash[index]` for ties. `scratch` is working memory (any contents). Callers keep both
// for one rebalance only: the engine returns a refresh's freed memory to the system
// (engine.return_freed_memory), and kept between refreshes they held 32 bytes per stream.
void sort_for_lpt(std::vector<StreamKey>& streams, std::vector<StreamKey>& scratch, const uint64_t* hash);

}  // namespace berth::least_load
