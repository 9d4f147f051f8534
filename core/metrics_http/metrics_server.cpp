#include "metrics_http/metrics_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <httplib.h>

namespace berth::metrics_http {
namespace {

// Calls `fill` (a berth_metrics_* source), returning its text or the error it reported.
template <class Fill>
bool source_text(const berth_metrics_sources& sources, Fill&& fill, std::string& out) {
  char* text = nullptr;
  berth_error* err = nullptr;
  const int32_t rc = fill(&text, &err);
  if (rc == BERTH_OK) {
    out = text != nullptr ? text : "";
  } else {
    out = err != nullptr ? berth_error_message(err) : "unknown error";
    berth_error_free(err);
  }
  if (text != nullptr) sources.string_free(text);
  return rc == BERTH_OK;
}

}  // namespace

MetricsServer::MetricsServer(const std::string& bind_address, uint16_t port, const berth_metrics_sources& sources)
    : sources_(sources),
      server_(std::make_unique<httplib::Server>()),
      address_(bind_address.empty() ? "127.0.0.1" : bind_address) {
  // Two threads answer requests: a scrape is cheap and the endpoint must not take a host's cores.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT lets a second endpoint share the port and
  // take half the scrapes silently.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text;
    if (source_text(sources_, sources_.text_all, text)) {
      res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
    } else {
      res.status = 500;
      res.set_content("metrics failed: " + text + "\n", "text/plain");
    }
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    int32_t status = 500;
    std::string json;
    auto fill = [&](char** out, berth_error** err) { return sources_.health_all(out, &status, err); };
    if (source_text(sources_, fill, json)) {
      res.status = status;
      res.set_content(json + "\n", "application/json");
    } else {
      res.status = 500;
      res.set_content("health failed: " + json + "\n", "text/plain");
    }
  });
  errno = 0;
  int bound = port == 0 ? server_->bind_to_any_port(address_) : (server_->bind_to_port(address_, port) ? port : -1);
  if (bound <= 0) {
    const int why = errno;
    const std::string where = address_ + ":" + std::to_string(port);
    // A port another process holds is a failure of the moment, not a malformed address.
    if (why == EADDRINUSE)
      throw HttpError(BERTH_E_UNAVAILABLE, "metrics endpoint: cannot listen on " + where + ": " + std::strerror(why) +
                                               " (another process holds the port)");
    throw HttpError(BERTH_E_INVALID_ARGUMENT, "metrics endpoint: cannot listen on " + where);
  }
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

}  // namespace berth::metrics_http
