// An HTTP endpoint for the process's metrics (off unless a host or the CLI starts one):
//   GET /metrics  every open engine as one Prometheus text exposition (core/engine/metrics_registry.h)
//   GET /healthz  JSON with each engine's leader and degraded state; 200 when every engine is
//                 connected, 503 when one is degraded or none is open.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace berth::capi {

// The /healthz answer: {"status": "ok"|"degraded"|"no engine", "engines": [...]}, and its code.
struct Health {
  int code = 503;
  std::string json;
};
Health process_health_json();

class MetricsServer {
 public:
  // Listens on `bind_address` (an IP address; "" means 127.0.0.1) and `port` (0: a free one).
  // Throws Error(BERTH_E_INVALID_ARGUMENT) naming the address when it cannot bind.
  MetricsServer(const std::string& bind_address, uint16_t port);
  ~MetricsServer();  // stops listening and waits for requests in progress
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string address_;
  uint16_t port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace berth::capi
