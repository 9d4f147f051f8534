// The process's metrics endpoint (libberth_metrics_http.so) as the CLI's commands start it:
// `berth serve-metrics --listen` and `berth simulate --metrics-listen`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "berth/metrics_http.h"

namespace berth::cli {

// "ADDRESS:PORT" (an IPv6 address in brackets), the port 0 to 65535; a bad value is
// BERTH_E_INVALID_ARGUMENT naming `flag`.
std::pair<std::string, uint16_t> split_listen(const std::string& listen, const std::string& flag);

// Serves /metrics and /healthz of this program's engines (the engine is linked into the tool, so
// the endpoint takes its texts from the tool's own copy) until destroyed. Throws berth::Error
// when it cannot listen (BERTH_E_UNAVAILABLE: another process holds the port).
class MetricsEndpoint {
 public:
  MetricsEndpoint(const std::string& listen, const std::string& flag);
  // "http://ADDRESS:PORT/metrics (health: /healthz)", with the port actually bound.
  std::string describe() const;

 private:
  std::string address_;
  std::unique_ptr<berth_metrics_server, void (*)(berth_metrics_server*)> server_;
};

// From here on SIGINT and SIGTERM no longer end the program but wait_for_stop_signal. Called
// before a program announces what a client waits for, so a client that stops it as soon as it
// reads that does not meet the default action.
void catch_stop_signals();
// Returns after `seconds` (0: never), or once SIGINT or SIGTERM has arrived since catch_stop_signals.
void wait_for_stop_signal(double seconds);

}  // namespace berth::cli
