// libFuzzer entry for the snapshot decoders: any bytes at all either decode into a snapshot whose
// columns agree, or fail with Error(BERTH_E_CORRUPT); read as a delta, they either apply to the
// seeds' checkpoint (fuzz_inputs.h) giving such a snapshot, or fail the same way. Anything else (a
// crash, a sanitizer report, another exception, another code) is a defect the fuzzer reports with
// the input that caused it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "fuzz_inputs.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/lookup_table.h"

namespace {

// What the decoders promise their callers (finish_snapshot and lookups rely on it).
void check_columns(const berth::Snapshot& s) {
  const uint64_t n = s.streams->size();
  if (s.load.size() != n || s.owner.size() != n || s.streams->tenant.size() != n ||
      s.streams->ids.offsets.size() != n + 1 || s.streams->ids.offsets.back() != s.streams->ids.arena.size())
    std::abort();
  // Holders and tokens: none, or one each per stream (their values are finish_snapshot's to check).
  if ((!s.holder.empty() && s.holder.size() != n) || s.token.size() != s.holder.size()) std::abort();
  for (uint64_t i = 0; i < n; ++i)
    if (s.streams->tenant[i] >= s.streams->tenants.size() || s.streams->ids.offsets[i] > s.streams->ids.offsets[i + 1])
      std::abort();
}

// The lookup table built over the decoded ids finds each id at its own stream (ids that repeat
// throw Error(BERTH_E_CORRUPT), which the caller accepts).
void check_table(const berth::Snapshot& s) {
  const uint64_t n = s.streams->size();
  const char* arena = s.streams->ids.arena.data();
  const uint64_t* offsets = s.streams->ids.offsets.data();
  std::vector<uint64_t> hash(n);
  std::vector<uint32_t> index(n);
  for (uint64_t i = 0; i < n; ++i) {
    hash[i] = berth::stream_hash(std::string_view(arena + offsets[i], offsets[i + 1] - offsets[i]));
    index[i] = static_cast<uint32_t>(i);
  }
  berth::LookupTable table(n, hash.data(), index.data(), arena, offsets);
  for (uint64_t i = 0; i < n; ++i) {
    const auto* slot = table.find(hash[i], std::string_view(arena + offsets[i], offsets[i + 1] - offsets[i]), arena);
    if (slot == nullptr || slot->owner != i) std::abort();
  }
}

template <class Body>
void expect_corrupt_or_ok(const char* what, Body&& body) {
  try {
    body();
  } catch (const berth::Error& e) {
    if (e.code() != BERTH_E_CORRUPT) {
      std::fprintf(stderr, "%s failed with code %d, not BERTH_E_CORRUPT: %s\n", what, e.code(), e.what());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // With default owners for any policy, so implicit owners and their exception lists are read too.
  expect_corrupt_or_ok("decode_snapshot", [&] {
    const berth::Snapshot s = berth::decode_snapshot(bytes, berth::fuzz::modulo_finder());
    check_columns(s);
    check_table(s);
  });
  expect_corrupt_or_ok("decode_delta/apply_delta", [&] {
    const berth::Delta delta = berth::decode_delta(bytes);
    check_columns(berth::apply_delta(berth::fuzz::delta_base(), delta));
  });
  return 0;
}
