// libFuzzer entry for the snapshot decoders: any bytes at all either decode into a snapshot whose
// columns agree, or fail with Error(BERTH_E_CORRUPT); read as a delta, they either apply to the
// seeds' checkpoint (fuzz_inputs.h) giving such a snapshot, or fail the same way. Anything else (a
// crash, a sanitizer report, another exception, another code) is a defect the fuzzer reports with
// the input that caused it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "fuzz_inputs.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"

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
  expect_corrupt_or_ok("decode_snapshot", [&] { check_columns(berth::decode_snapshot(bytes, berth::fuzz::modulo_finder())); });
  expect_corrupt_or_ok("decode_delta/apply_delta", [&] {
    const berth::Delta delta = berth::decode_delta(bytes);
    check_columns(berth::apply_delta(berth::fuzz::delta_base(), delta));
  });
  return 0;
}
