// The inner loop of weighted's rendezvous choice: every candidate's 64-bit draw for one stream,
// mix64(stream hash ^ server key), and the largest of them. Integer arithmetic only, so every
// build (and every instruction set the loop is compiled for) computes the same bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace berth::weighted {

// out[k] = mix64(stream_hash ^ key[k]) for k < n; returns the largest (0 when n == 0).
uint64_t compute_draws(const uint64_t* key, size_t n, uint64_t stream_hash, uint64_t* out);

// How many of draws[0 .. n) are >= floor, and the sum of their positions (so, when there is just
// one, its position): a reduction the vectoriser takes, where a search loop with an early exit
// it does not.
struct AtLeast {
  size_t count;
  size_t position_sum;
};
AtLeast count_at_least(const uint64_t* draws, size_t n, uint64_t floor);

}  // namespace berth::weighted
