// berth_metrics_text_all and berth_metrics_health_all: the process's metrics and health as texts
// (the HTTP endpoint serving them is libberth_metrics_http.so, core/metrics_http/).
#include <nlohmann/json.hpp>

#include "capi/capi_support.h"
#include "engine/metrics_registry.h"

extern "C" {

BERTH_API int32_t berth_metrics_text_all(char** out_text, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out_text != nullptr, "berth_metrics_text_all: out_text is NULL");
    *out_text = berth::capi::copy_string(berth::metrics::process_text());
  });
}

BERTH_API int32_t berth_metrics_health_all(char** out_json, int32_t* out_status, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out_json != nullptr && out_status != nullptr,
                      "berth_metrics_health_all: out_json or out_status is NULL");
    *out_json = nullptr;
    std::vector<berth::metrics::EngineHealth> engines = berth::metrics::process_health();
    nlohmann::json list = nlohmann::json::array();
    bool degraded = false;
    for (const auto& e : engines) {
      degraded = degraded || e.degraded;
      list.push_back({{"node", e.node},
                      {"leader", e.is_leader},
                      {"degraded", e.degraded},
                      {"version", e.version},
                      {"epoch", e.epoch}});
    }
    const char* status = engines.empty() ? "no engine" : degraded ? "degraded" : "ok";
    nlohmann::json body{{"status", status}, {"engines", list}};
    // A node id that is not UTF-8 would make dump() throw: such bytes become U+FFFD instead.
    *out_json = berth::capi::copy_string(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    *out_status = engines.empty() || degraded ? 503 : 200;
  });
}

}  // extern "C"
