// The error a plugin (or the core behind the host C API) means to report: a Berth result code
// (berth/result_codes.h), which crosses the C ABI, and a message, which goes into the status or
// error object. Header-only, C++17; plugin.hpp includes it, and the core uses the same type so a
// message reads the same wherever it started.
#ifndef BERTH_ERROR_HPP
#define BERTH_ERROR_HPP

#include <cstdint>
#include <stdexcept>
#include <string>

namespace berth::plugin {

class Error : public std::runtime_error {
 public:
  Error(int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int32_t code() const noexcept { return code_; }

 private:
  int32_t code_;
};

}  // namespace berth::plugin

#endif  // BERTH_ERROR_HPP
