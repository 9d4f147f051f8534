#include "rendezvous.h"

#include <cmath>
#include <limits>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace berth::weighted {

double portable_ln(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716.
  int e = 0;
  double m = std::frexp(x, &e);  // exact; m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;  // exact
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;  // <= 0.02944: the 11 terms below leave an error below 1e-18
  double series = 1.0 / 21.0;
  series = 1.0 / 19.0 + s2 * series;
  series = 1.0 / 17.0 + s2 * series;
  series = 1.0 / 15.0 + s2 * series;
  series = 1.0 / 13.0 + s2 * series;
  series = 1.0 / 11.0 + s2 * series;
  series = 1.0 / 9.0 + s2 * series;
  series = 1.0 / 7.0 + s2 * series;
  series = 1.0 / 5.0 + s2 * series;
  series = 1.0 / 3.0 + s2 * series;
  series = 1.0 + s2 * series;
  constexpr double kLn2 = 0.69314718055994530942;
  return static_cast<double>(e) * kLn2 + 2.0 * s * series;
}

uint64_t server_key(std::string_view id) {
  constexpr uint64_t kSeed = 0x7765696768746564ULL;  // "weighted"
  return XXH3_64bits_withSeed(id.data(), id.size(), kSeed);
}

Rendezvous::Rendezvous(const berth_server_set& servers, std::span<const uint32_t> candidates) {
  key_.reserve(candidates.size());
  inverse_weight_.reserve(candidates.size());
  server_.reserve(candidates.size());
  for (uint32_t j : candidates) {
    const uint64_t offset = servers.id_offsets[j];
    key_.push_back(server_key({servers.id_arena + offset, servers.id_offsets[j + 1] - offset}));
    inverse_weight_.push_back(1.0 / servers.capacity[j]);
    server_.push_back(j);
  }
}

uint32_t Rendezvous::choose(uint64_t stream_hash) const {
  // Scores are negative; the highest wins. Since ln(u) <= u - 1, (u - 1) / w bounds a score from
  // above; a candidate whose bound (widened by 1e-9, far more than any rounding of the score) is
  // below the best so far cannot win, and its logarithm is skipped. The skip never changes the
  // winner: it is a shortcut, not part of the definition.
  constexpr double kWiden = 1.0 - 1e-9;
  double best = -std::numeric_limits<double>::infinity();
  size_t winner = 0;
  const size_t count = server_.size();
  for (size_t k = 0; k < count; ++k) {
    const uint64_t draw = mix64(stream_hash ^ key_[k]);
    const double u = (static_cast<double>(draw >> 11) + 0.5) * 0x1p-53;  // in (0, 1), never 1
    if ((u - 1.0) * inverse_weight_[k] * kWiden < best) continue;
    const double score = portable_ln(u) * inverse_weight_[k];
    // An exact tie (two equal draws) goes to the smaller key: independent of server indices.
    if (score > best || (score == best && key_[k] < key_[winner])) {
      best = score;
      winner = k;
    }
  }
  return server_[winner];
}

}  // namespace berth::weighted
