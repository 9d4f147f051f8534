// SplitMix64's finaliser (Stafford's variant 13): a bijection of 64-bit words with full avalanche.
// The hash and weighted policies derive ring points and rendezvous draws from it: part of their
// behaviour versions, so it never changes.
#pragma once

#include <cstdint>

namespace berth::least_load {

constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace berth::least_load
