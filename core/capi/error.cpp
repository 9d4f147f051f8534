// berth_error and the small functions every C API call leans on.
#include "capi/capi_support.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

extern "C" {

BERTH_API int32_t berth_error_code(const berth_error* error) { return error != nullptr ? error->code : BERTH_OK; }

BERTH_API const char* berth_error_message(const berth_error* error) {
  return error != nullptr ? error->message.c_str() : "";
}

BERTH_API void berth_error_free(berth_error* error) { delete error; }

BERTH_API void berth_string_free(char* text) { std::free(text); }

BERTH_API const char* berth_version(void) { return BERTH_VERSION; }

BERTH_API uint32_t berth_api_version(void) {
  return static_cast<uint32_t>(BERTH_API_VERSION_MAJOR) << 16 | static_cast<uint32_t>(BERTH_API_VERSION_MINOR);
}

}  // extern "C"

namespace berth::capi {

int32_t store_error(berth_error** err, int32_t code, std::string message) noexcept {
  if (err != nullptr) {
    try {
      *err = new berth_error{code, std::move(message)};
    } catch (...) {
      *err = nullptr;  // out of memory while reporting: the code still says what happened
    }
  }
  return code;
}

std::string_view stream_arg(const char* data, size_t len, std::string_view function) {
  if (id_acceptable(data, len)) return {data, len};
  if (data == nullptr)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: stream is NULL (stream_len {})", function, len));
  if (len == 0) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: stream is empty", function));
  throw Error(BERTH_E_INVALID_ARGUMENT,
              fmt::format("{}: stream_len {} exceeds the longest stream id ({} bytes)", function, len, kMaxIdBytes));
}

std::string_view server_arg(const char* id, std::string_view function) {
  if (id == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: server_id is NULL", function));
  const size_t len = ::strnlen(id, kMaxServerIdBytes + 1);
  if (len == 0) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: server_id is empty", function));
  if (len > kMaxServerIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: server_id is longer than a server id may be ({} bytes)",
                                                      function, kMaxServerIdBytes));
  return {id, len};
}

char* copy_string(std::string_view text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

}  // namespace berth::capi
