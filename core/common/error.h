// Errors inside the core: an exception carrying a Berth result code (berth/abi.h), turned back
// into a code + message at the C API boundary. The same type plugin authors use, so a message
// reads the same wherever it started.
#pragma once

#include <string>

#include "berth/plugin.hpp"

namespace berth {

using Error = plugin::Error;

[[noreturn]] inline void fail(int32_t code, const std::string& message) { throw Error(code, message); }

// The name of a result code, for messages and for the bindings' exception classes.
const char* code_name(int32_t code) noexcept;

}  // namespace berth
