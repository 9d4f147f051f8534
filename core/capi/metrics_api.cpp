// berth_metrics_*: the process's metrics as one text, and the optional HTTP endpoint serving
// them (core/capi/metrics_server.h).
#include <memory>

#include "capi/capi_support.h"
#include "capi/metrics_server.h"
#include "engine/metrics_registry.h"

struct berth_metrics_server {
  std::unique_ptr<berth::capi::MetricsServer> server;
};

extern "C" {

BERTH_API int32_t berth_metrics_text_all(char** out_text, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out_text != nullptr, "berth_metrics_text_all: out_text is NULL");
    *out_text = berth::capi::copy_string(berth::metrics::process_text());
  });
}

BERTH_API int32_t berth_metrics_server_start(const char* bind_address, uint16_t port, berth_metrics_server** out,
                                             berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_metrics_server_start: out is NULL");
    *out = nullptr;
    auto handle = std::make_unique<berth_metrics_server>();
    handle->server = std::make_unique<berth::capi::MetricsServer>(bind_address != nullptr ? bind_address : "", port);
    *out = handle.release();
  });
}

BERTH_API uint16_t berth_metrics_server_port(const berth_metrics_server* server) {
  return server != nullptr ? server->server->port() : 0;
}

BERTH_API void berth_metrics_server_stop(berth_metrics_server* server) { delete server; }

}  // extern "C"
