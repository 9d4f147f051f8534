// Errors inside the core: an exception carrying a Berth result code (berth/result_codes.h),
// turned back into a code + message at the C API boundary. The same type plugin authors use
// (berth/error.hpp), so a message reads the same wherever it started.
#pragma once

#include <cstdint>
#include <string>

#include "berth/error.hpp"
#include "berth/result_codes.h"

namespace berth {

using Error = plugin::Error;

[[noreturn]] inline void fail(int32_t code, const std::string& message) { throw Error(code, message); }

// The name of a result code, for messages: "invalid argument", "timeout"; "unknown error" for a
// code berth/result_codes.h does not list.
const char* code_name(int32_t code) noexcept;

}  // namespace berth
