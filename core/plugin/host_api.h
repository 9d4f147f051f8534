// The host side of the plugin ABI: the status and sink objects plugins write into, and the host
// function table handed to each loaded plugin.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/plugin.h"

struct berth_status {
  int32_t code = BERTH_OK;
  std::string message;
};

struct berth_sink {
  std::string bytes;
  std::vector<std::pair<std::string, std::string>> items;
};

namespace berth {

// A host table whose log lines are attributed to `plugin_name` (which must outlive the table).
berth_host_api make_host_api(const std::string* plugin_name);

// Throws Error(code, context + ": " + status message) when code is not BERTH_OK. A plugin that
// fails without saying why, or says why but returns OK, is reported as such; a code
// berth/result_codes.h does not define becomes BERTH_E_PLUGIN naming it.
void check_plugin_call(int32_t code, const berth_status& status, std::string_view context);

}  // namespace berth
