#include "common/error.h"

namespace berth {

const char* code_name(int32_t code) noexcept {
  switch (code) {
    case BERTH_OK: return "ok";
    case BERTH_E_INVALID_ARGUMENT: return "invalid argument";
    case BERTH_E_NOT_FOUND: return "not found";
    case BERTH_E_NO_SERVERS: return "no servers";
    case BERTH_E_FENCED: return "fenced";
    case BERTH_E_CONFIG: return "configuration error";
    case BERTH_E_PLUGIN: return "plugin error";
    case BERTH_E_UNAVAILABLE: return "unavailable";
    case BERTH_E_CORRUPT: return "corrupt data";
    case BERTH_E_PERMISSION: return "permission denied";
    case BERTH_E_STATE: return "wrong state";
    case BERTH_E_INTERNAL: return "internal error";
    case BERTH_E_TIMEOUT: return "timeout";
    default: return "unknown error";
  }
}

}  // namespace berth
