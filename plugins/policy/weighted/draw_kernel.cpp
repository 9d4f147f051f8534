#include "draw_kernel.h"

#include "rendezvous.h"

// mix64 needs 64-bit multiplies: x86-64's baseline (SSE2) and AVX2 have none in vector form, so
// the loop runs one server at a time; AVX-512DQ has them (vpmullq; x86-64-v4 includes it) and does eight at once. GCC
// compiles both and picks one when the plugin loads (the results are the same integers).
// Not under ThreadSanitizer: the ifunc resolver that picks runs during relocation, before the
// TSan runtime is up, and crashes the process.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define BERTH_DRAW_KERNEL_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define BERTH_DRAW_KERNEL_CLONES
#endif

namespace berth::weighted {

BERTH_DRAW_KERNEL_CLONES uint64_t compute_draws(const uint64_t* key, size_t n, uint64_t stream_hash, uint64_t* out) {
  uint64_t top = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t draw = mix64(stream_hash ^ key[k]);
    out[k] = draw;
    top = draw > top ? draw : top;
  }
  return top;
}

BERTH_DRAW_KERNEL_CLONES AtLeast count_at_least(const uint64_t* draws, size_t n, uint64_t floor) {
  size_t count = 0, position_sum = 0;
  for (size_t k = 0; k < n; ++k) {
    const bool at_least = draws[k] >= floor;
    count += at_least ? 1 : 0;
    position_sum += at_least ? k : 0;
  }
  return AtLeast{count, position_sum};
}

}  // namespace berth::weighted
