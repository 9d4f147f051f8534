// libFuzzer entry for the snapshot decoder: any bytes at all either decode into a snapshot whose
// columns agree, or fail with Error(BERTH_E_CORRUPT). Anything else (a crash, a sanitizer report,
// another exception, another code) is a defect the fuzzer reports with the input that caused it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "fuzz_owner_defaults.h"
#include "snapshot/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    // With default owners for any policy, so implicit owners and their exception lists are read too.
    berth::Snapshot s = berth::decode_snapshot(bytes, berth::fuzz::modulo_finder());
    // What the decoder promises its callers (finish_snapshot and lookups rely on it).
    const uint64_t n = s.streams->size();
    if (s.load.size() != n || s.owner.size() != n || s.streams->tenant.size() != n ||
        s.streams->ids.offsets.size() != n + 1 || s.streams->ids.offsets.back() != s.streams->ids.arena.size())
      std::abort();
    for (uint64_t i = 0; i < n; ++i)
      if (s.streams->tenant[i] >= s.streams->tenants.size() || s.streams->ids.offsets[i] > s.streams->ids.offsets[i + 1])
        std::abort();
  } catch (const berth::Error& e) {
    if (e.code() != BERTH_E_CORRUPT) {
      std::fprintf(stderr, "decode_snapshot failed with code %d, not BERTH_E_CORRUPT: %s\n", e.code(), e.what());
      std::abort();
    }
  }
  return 0;
}
