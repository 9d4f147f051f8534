// berth_metrics_server_*: libberth_metrics_http.so's C API (berth/metrics_http.h).
#include <memory>
#include <new>

#include "berth/metrics_http.h"
#include "capi/error_object.h"
#include "metrics_http/metrics_server.h"

#define BERTH_HTTP_API __attribute__((visibility("default")))

struct berth_metrics_server {
  std::unique_ptr<berth::metrics_http::MetricsServer> server;
};

namespace {

int32_t fail(berth_error** err, int32_t code, std::string message) noexcept {
  if (err != nullptr) *err = new (std::nothrow) berth_error{code, std::move(message)};
  return code;
}

}  // namespace

extern "C" {

BERTH_HTTP_API int32_t berth_metrics_server_start_from(const char* bind_address, uint16_t port,
                                                       const berth_metrics_sources* sources, berth_metrics_server** out,
                                                       berth_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return fail(err, BERTH_E_INVALID_ARGUMENT, "berth_metrics_server_start: out is NULL");
  *out = nullptr;
  if (sources == nullptr || sources->text_all == nullptr || sources->health_all == nullptr ||
      sources->string_free == nullptr)
    return fail(err, BERTH_E_INVALID_ARGUMENT, "berth_metrics_server_start_from: sources or one of its functions is NULL");
  try {
    auto handle = std::make_unique<berth_metrics_server>();
    handle->server = std::make_unique<berth::metrics_http::MetricsServer>(bind_address != nullptr ? bind_address : "",
                                                                           port, *sources);
    *out = handle.release();
    return BERTH_OK;
  } catch (const berth::metrics_http::HttpError& e) {
    return fail(err, e.code(), e.what());
  } catch (const std::exception& e) {
    return fail(err, BERTH_E_INTERNAL, std::string("metrics endpoint: ") + e.what());
  }
}

BERTH_HTTP_API int32_t berth_metrics_server_start(const char* bind_address, uint16_t port, berth_metrics_server** out,
                                                  berth_error** err) {
  static const berth_metrics_sources libberth{berth_metrics_text_all, berth_metrics_health_all, berth_string_free};
  return berth_metrics_server_start_from(bind_address, port, &libberth, out, err);
}

BERTH_HTTP_API uint16_t berth_metrics_server_port(const berth_metrics_server* server) {
  return server != nullptr ? server->server->port() : 0;
}

BERTH_HTTP_API void berth_metrics_server_stop(berth_metrics_server* server) { delete server; }

}  // extern "C"
