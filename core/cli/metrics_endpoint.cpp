#include "cli/metrics_endpoint.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "berth/berth.h"
#include "common/error.h"

namespace berth::cli {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

}  // namespace

std::pair<std::string, uint16_t> split_listen(const std::string& listen, const std::string& flag) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{} {}: expected ADDRESS:PORT, e.g. 127.0.0.1:9464", flag, listen));
  std::string address = listen.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  unsigned long port = 0;
  size_t used = 0;
  try {
    port = std::stoul(listen.substr(colon + 1), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != listen.size() - colon - 1 || port > 65535)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{} {}: the port is not a number from 0 to 65535", flag, listen));
  return {address, static_cast<uint16_t>(port)};
}

MetricsEndpoint::MetricsEndpoint(const std::string& listen, const std::string& flag) : server_(nullptr, berth_metrics_server_stop) {
  auto [address, port] = split_listen(listen, flag);
  address_ = address.empty() ? "127.0.0.1" : address;
  const berth_metrics_sources sources{berth_metrics_text_all, berth_metrics_health_all, berth_string_free};
  berth_metrics_server* raw = nullptr;
  berth_error* err = nullptr;
  if (berth_metrics_server_start_from(address.c_str(), port, &sources, &raw, &err) != BERTH_OK) {
    Error e(berth_error_code(err), berth_error_message(err));
    berth_error_free(err);
    throw e;
  }
  server_.reset(raw);
}

std::string MetricsEndpoint::describe() const {
  return fmt::format("http://{}:{}/metrics (health: /healthz)", address_, berth_metrics_server_port(server_.get()));
}

void catch_stop_signals() {
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
}

void wait_for_stop_signal(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!stop_requested.load() && (seconds <= 0 || std::chrono::steady_clock::now() < deadline))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace berth::cli
