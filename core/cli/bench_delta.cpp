#include "cli/bench_delta.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "tools/median.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;
using tools::median;

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

}  // namespace

Snapshot moved_1pct(const Snapshot& base) {
  const uint64_t n = base.stream_count();
  const uint32_t m = base.server_count();
  Snapshot next = bare_copy(base);
  next.meta.version = base.meta.version + 1;
  std::mt19937_64 random(19);
  for (uint64_t k = 0; m >= 2 && k < std::max<uint64_t>(1, n / 100); ++k) {
    uint64_t i = random() % n;  // a few repeats: about 1% of distinct streams
    next.owner[i] = static_cast<uint32_t>((next.owner[i] + 1 + random() % (m - 1)) % m);
  }
  auto names = base.names ? base.names : std::make_shared<ServerNames>();
  finish_snapshot(next, nullptr, names, &base);
  return next;
}

DeltaFigures measure_delta_1pct(const Snapshot& base, uint32_t repetitions) {
  DeltaFigures out;
  if (base.stream_count() == 0 || base.server_count() < 2) return out;
  auto names = base.names ? base.names : std::make_shared<ServerNames>();
  Snapshot next = moved_1pct(base);
  out.full_bytes = encode_snapshot(next).size();

  std::vector<double> encode_ms, apply_ms;
  for (uint32_t r = 0; r < std::max<uint32_t>(1, repetitions); ++r) {
    auto start = Clock::now();
    std::optional<std::string> delta = encode_delta(base, next, out.full_bytes);
    encode_ms.push_back(ms_since(start));
    if (!delta) throw Error(BERTH_E_INTERNAL, "bench: a 1% move did not fit in a delta smaller than the full snapshot");
    out.delta_bytes = delta->size();
    start = Clock::now();
    Snapshot applied = apply_delta(base, decode_delta(*delta));
    finish_snapshot(applied, nullptr, names, &base);
    apply_ms.push_back(ms_since(start));
  }
  out.bytes_fraction = static_cast<double>(out.delta_bytes) / static_cast<double>(out.full_bytes);
  out.encode_ms = median(encode_ms);
  out.apply_ms = median(apply_ms);
  return out;
}

}  // namespace berth::cli
