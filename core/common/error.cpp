#include "common/error.h"

namespace berth {

const char* code_name(int32_t code) noexcept {
  // One case per line of berth/result_codes.h, made by the build (abi/CMakeLists.txt).
  switch (code) {
#define BERTH_RESULT_CODE(symbol, name) \
  case symbol:                          \
    return name;
#include "berth/result_codes.inc"
#undef BERTH_RESULT_CODE
    default:
      return "unknown error";
  }
}

}  // namespace berth
