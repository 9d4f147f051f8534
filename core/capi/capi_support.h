// Shared by the C API translation units: the error object, and `guard`, which turns every
// exception into a code + berth_error so nothing unwinds into a C caller.
#pragma once

#include <new>
#include <string>
#include <string_view>

#include "berth/berth.h"
#include "common/error.h"
#include "engine/intake.h"

#define BERTH_API __attribute__((visibility("default")))

#include "capi/error_object.h"

namespace berth::capi {

int32_t store_error(berth_error** err, int32_t code, std::string message) noexcept;

// A malloc'ed copy for the caller, freed with berth_string_free.
char* copy_string(std::string_view text);

template <class Body>
int32_t guard(berth_error** err, Body&& body) noexcept {
  if (err != nullptr) *err = nullptr;
  try {
    body();
    return BERTH_OK;
  } catch (const Error& e) {
    return store_error(err, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return store_error(err, BERTH_E_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return store_error(err, BERTH_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return store_error(err, BERTH_E_INTERNAL, "internal error: unknown exception");
  }
}

// A stream id as the C API takes it (bytes + length), checked before any of its bytes is read:
// nothing longer than the longest id a host may give is held or hashed, and a length that is
// garbage is never followed.
inline bool id_acceptable(const char* data, size_t len) noexcept {
  return data != nullptr && len != 0 && len <= kMaxIdBytes;
}

// The id as a view, or Error(BERTH_E_INVALID_ARGUMENT) naming `function` and what was wrong.
std::string_view stream_arg(const char* data, size_t len, std::string_view function);

// The longest server id any backend takes (berth.h): one limit, whichever backend is configured.
inline constexpr size_t kMaxServerIdBytes = 4096;

// A NUL-terminated server id, read no further than one byte past the limit: a view of it, or
// Error(BERTH_E_INVALID_ARGUMENT) naming `function` when it is NULL, empty or too long.
std::string_view server_arg(const char* id, std::string_view function);

#define BERTH_REQUIRE_ARG(cond, what)                                             \
  do {                                                                            \
    if (!(cond)) throw ::berth::Error(BERTH_E_INVALID_ARGUMENT, what);            \
  } while (0)

}  // namespace berth::capi
