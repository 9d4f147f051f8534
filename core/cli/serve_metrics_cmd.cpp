#include "cli/serve_metrics_cmd.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"
#include "berth/berth.h"
#include "berth/metrics_http.h"
#include "tools/settings.h"

namespace berth::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::vector<std::string> settings;
  std::string listen = "127.0.0.1:9464";
  double for_s = 0;  // 0: until a signal
};

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

// "ADDR:PORT" (an IPv6 address in brackets), the port 0 to 65535.
std::pair<std::string, uint16_t> split_listen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("--listen {}: expected ADDRESS:PORT, e.g. 127.0.0.1:9464", listen));
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
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("--listen {}: the port is not a number from 0 to 65535", listen));
  return {address, static_cast<uint16_t>(port)};
}

int serve(const ServeOptions& o) {
  auto [address, port] = split_listen(o.listen);
  Options options;
  if (!o.config.empty()) options.load_file(o.config);
  // An observer unless the settings say otherwise: it must not take the lead of a real cluster.
  options.set("engine.campaign", "false", "serve-metrics");
  options.set("engine.node_id", fmt::format("berth-metrics-{}", ::getpid()), "serve-metrics");
  tools::apply_settings(options, o.settings);
  Engine engine(options.resolve());
  // The engine is linked into this program: the endpoint serves this program's copy of the texts.
  const berth_metrics_sources sources{berth_metrics_text_all, berth_metrics_health_all, berth_string_free};
  berth_metrics_server* raw = nullptr;
  berth_error* err = nullptr;
  if (berth_metrics_server_start_from(address.c_str(), port, &sources, &raw, &err) != BERTH_OK) {
    Error e(berth_error_code(err), berth_error_message(err));
    berth_error_free(err);
    throw e;
  }
  std::unique_ptr<berth_metrics_server, void (*)(berth_metrics_server*)> server(raw, berth_metrics_server_stop);
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::cout << fmt::format("berth: metrics on http://{}:{}/metrics (health: /healthz)", address.empty() ? "127.0.0.1" : address,
                         berth_metrics_server_port(server.get()))
            << std::endl;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.for_s);
  while (!stop_requested.load() && (o.for_s <= 0 || std::chrono::steady_clock::now() < deadline))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return 0;
}

}  // namespace

void add_serve_metrics_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve-metrics", "Serve a cluster's metrics over HTTP (/metrics, /healthz) from an observing node");
  cmd->add_option("--config", o->config, "TOML file naming the backend");
  cmd->add_option("--set", o->settings, "Override one setting: section.key=value (repeatable)");
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT to listen on (port 0: a free one, printed)")->capture_default_str();
  cmd->add_option("--for", o->for_s, "Stop after this many seconds (0: at SIGINT or SIGTERM)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([&app, o] {
    int code = kExitFailure;
    try {
      logger().set_level(spdlog::level::from_str(app.get_option("--log-level")->as<std::string>()));
      code = serve(*o);
    } catch (const std::exception& e) {
      code = report_error(e);
    }
    throw CLI::RuntimeError(code);
  });
}

}  // namespace berth::cli
