#include "plugin/host_api.h"

#include "common/log.h"

#include "common/error.h"

namespace berth {
namespace {

void status_set(berth_status* status, int32_t code, const char* message, size_t len) {
  if (status == nullptr) return;
  status->code = code;
  status->message.assign(message != nullptr ? message : "", message != nullptr ? len : 0);
}

int32_t sink_write(berth_sink* sink, const void* data, size_t len) {
  if (sink == nullptr || (data == nullptr && len > 0)) return BERTH_E_INVALID_ARGUMENT;
  try {
    sink->bytes.append(static_cast<const char*>(data), len);
    return BERTH_OK;
  } catch (...) {
    return BERTH_E_INTERNAL;
  }
}

int32_t sink_item(berth_sink* sink, const char* key, size_t key_len, const void* value, size_t value_len) {
  if (sink == nullptr || (key == nullptr && key_len > 0) || (value == nullptr && value_len > 0))
    return BERTH_E_INVALID_ARGUMENT;
  try {
    sink->items.emplace_back(std::string(key, key_len),
                             std::string(static_cast<const char*>(value), value_len));
    return BERTH_OK;
  } catch (...) {
    return BERTH_E_INTERNAL;
  }
}

// A plugin's line, under the plugin's name as its source ("zookeeper" for the ZooKeeper backend
// and the client library it routes here).
void log(const berth_host_api* host, int32_t level, const char* message, size_t len) {
  const auto* name = static_cast<const std::string*>(host != nullptr ? host->host_data : nullptr);
  std::string_view text(message != nullptr ? message : "", message != nullptr ? len : 0);
  std::string_view who = name != nullptr ? std::string_view(*name) : std::string_view("plugin");
  spdlog::level::level_enum as = level == BERTH_LOG_DEBUG  ? spdlog::level::debug
                                 : level == BERTH_LOG_INFO ? spdlog::level::info
                                 : level == BERTH_LOG_WARN ? spdlog::level::warn
                                                           : spdlog::level::err;
  log_from(who, as, text);  // never throws: logging must never fail a plugin call
}

// Whether berth/result_codes.h defines `code`.
bool defined_code(int32_t code) {
  switch (code) {
#define BERTH_RESULT_CODE(symbol, name) case symbol:
#include "berth/result_codes.inc"
#undef BERTH_RESULT_CODE
    return true;
    default:
      return false;
  }
}

}  // namespace

berth_host_api make_host_api(const std::string* plugin_name) {
  berth_host_api api{};
  api.struct_size = BERTH_SIZE_THROUGH(berth_host_api, host_data);
  api.abi_major = BERTH_ABI_MAJOR;
  api.abi_minor = BERTH_ABI_MINOR;
  api.status_set = &status_set;
  api.sink_write = &sink_write;
  api.sink_item = &sink_item;
  api.log = &log;
  api.host_data = const_cast<std::string*>(plugin_name);
  return api;
}

void check_plugin_call(int32_t code, const berth_status& status, std::string_view context) {
  if (code == BERTH_OK) return;
  if (!defined_code(code)) {
    // Hosts switch on the codes berth.h lists: one a plugin made up is the plugin misbehaving.
    throw Error(BERTH_E_PLUGIN, std::string(context) + ": returned code " + std::to_string(code) +
                                    ", which berth/result_codes.h does not define" +
                                    (status.message.empty() ? std::string(" (no message)") : ": " + status.message));
  }
  std::string message = status.message.empty() ? std::string("failed with code ") + std::to_string(code) +
                                                     " (" + code_name(code) + ") and no message"
                                               : status.message;
  throw Error(code, std::string(context) + ": " + message);
}

}  // namespace berth
