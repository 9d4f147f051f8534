#include "cli/serve_metrics_cmd.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/metrics_endpoint.h"
#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"
#include "tools/settings.h"

namespace berth::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::vector<std::string> settings;
  std::string listen = "127.0.0.1:9464";
  double for_s = 0;  // 0: until a signal
};

int serve(const ServeOptions& o) {
  split_listen(o.listen, "--listen");  // a bad flag is refused before the engine opens
  Options options;
  if (!o.config.empty()) options.load_file(o.config);
  // An observer unless the settings say otherwise: it must not take the lead of a real cluster.
  options.set("engine.campaign", "false", "serve-metrics");
  options.set("engine.node_id", fmt::format("berth-metrics-{}", ::getpid()), "serve-metrics");
  tools::apply_settings(options, o.settings);
  Engine engine(options.resolve());
  MetricsEndpoint endpoint(o.listen, "--listen");
  catch_stop_signals();
  std::cout << "berth: metrics on " << endpoint.describe() << std::endl;
  wait_for_stop_signal(o.for_s);
  return 0;
}

}  // namespace

void add_serve_metrics_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve-metrics", "Serve a cluster's metrics over HTTP (/metrics, /healthz) from an observing node");
  cmd->add_option("--config", o->config, "TOML file naming the backend");
  cmd->add_option("--set", o->settings, "Override one setting: section.key=value (repeatable)");
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT to listen on (port 0: a free one, printed)")->capture_default_str();
  cmd->add_option("--for", o->for_s, "Stop after this many seconds (0: at SIGINT or SIGTERM)")->capture_default_str();
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
