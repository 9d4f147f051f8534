#include "capi/metrics_server.h"

#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/metrics_registry.h"

namespace berth::capi {

Health process_health_json() {
  std::vector<metrics::EngineHealth> engines = metrics::process_health();
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
  return {engines.empty() || degraded ? 503 : 200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

MetricsServer::MetricsServer(const std::string& bind_address, uint16_t port)
    : server_(std::make_unique<httplib::Server>()), address_(bind_address.empty() ? "127.0.0.1" : bind_address) {
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT lets a second endpoint share the port and
  // take half the scrapes silently.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(metrics::process_text(), "text/plain; version=0.0.4; charset=utf-8");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(fmt::format("metrics failed: {}\n", e.what()), "text/plain");
    }
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    Health h = process_health_json();
    res.status = h.code;
    res.set_content(h.json + "\n", "application/json");
  });
  int bound = port == 0 ? server_->bind_to_any_port(address_) : (server_->bind_to_port(address_, port) ? port : -1);
  if (bound <= 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("metrics endpoint: cannot listen on {}:{}", address_, port));
  port_ = static_cast<uint16_t>(bound);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_.store(true);
  });
  // httplib's stop() does nothing until listen has marked the server running: waiting for that
  // here means a stop right after start always ends the thread.
  while (!server_->is_running() && !listen_returned_.load()) std::this_thread::yield();
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace berth::capi
