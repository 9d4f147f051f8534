// The HTTP endpoint for the process's metrics (berth/metrics_http.h): GET /metrics and
// GET /healthz, answered from the sources it was given, on a pool of two threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "berth/metrics_http.h"

namespace httplib {
class Server;
}

namespace berth::metrics_http {

// A failure of the endpoint with its berth result code (BERTH_E_*).
class HttpError : public std::runtime_error {
 public:
  HttpError(int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int32_t code() const { return code_; }

 private:
  int32_t code_;
};

class MetricsServer {
 public:
  // Listens on `bind_address` (an IP address; "" means 127.0.0.1) and `port` (0: a free one).
  // Throws HttpError(BERTH_E_INVALID_ARGUMENT) naming the address when it cannot bind.
  MetricsServer(const std::string& bind_address, uint16_t port, const berth_metrics_sources& sources);
  ~MetricsServer();  // stops listening and waits for requests in progress
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  berth_metrics_sources sources_;
  std::unique_ptr<httplib::Server> server_;
  std::string address_;
  uint16_t port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace berth::metrics_http
