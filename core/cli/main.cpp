// The `berth` command-line tool.
#include <iostream>

#include <CLI/CLI.hpp>

#include "berth/berth.h"
#include "cli/bench.h"
#include "cli/bench_policies.h"
#include "cli/simulate.h"
#include "common/error.h"
#include "common/log.h"
#include "plugin/loader.h"

int main(int argc, char** argv) {
  CLI::App app{"Berth: which server owns which stream, balanced, agreed on by every node."};
  app.require_subcommand(0, 1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  berth::cli::SimulateOptions sim;
  CLI::App* simulate = app.add_subcommand("simulate", "Run a scenario on a simulated cluster (the default command)");
  simulate->add_option("--servers", sim.servers, "Servers at the start")->capture_default_str();
  simulate->add_option("--streams", sim.streams, "Streams")->capture_default_str();
  simulate->add_option("--dist", sim.dist, "Load distribution: equal, lognormal or zipf")->capture_default_str();
  simulate->add_option("--policy", sim.policy, "Placement policy plugin")->capture_default_str();
  simulate->add_option("--appraiser", sim.appraiser, "Load appraiser plugin")->capture_default_str();
  simulate->add_option("--backend", sim.backend, "State backend plugin")->capture_default_str();
  simulate->add_option("--config", sim.config, "TOML file with [policy], [appraiser], [backend] settings");
  simulate->add_option("--set", sim.settings, "Override one setting: section.key=value (repeatable)");
  simulate->add_option("--nodes", sim.nodes, "Engine nodes (one leads)")->capture_default_str();
  simulate->add_option("--seed", sim.seed, "Random seed of the workload")->capture_default_str();
  simulate->add_option("--drift", sim.drift, "Load drift of the drift step (0.1 = +/-10%)")->capture_default_str();
  simulate->add_option("--new-streams", sim.new_streams, "Unknown streams looked up in the new-streams step")
      ->capture_default_str();
  simulate->add_flag("--json", sim.json, "One JSON object per step");

  berth::cli::BenchOptions bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "Measure lookups, refresh time and memory at scale");
  bench_cmd->add_option("--streams", bench.streams, "Streams")->capture_default_str();
  bench_cmd->add_option("--servers", bench.servers, "Servers")->capture_default_str();
  bench_cmd->add_option("--dist", bench.dist, "Load distribution: equal, lognormal or zipf")->capture_default_str();
  bench_cmd->add_option("--policy", bench.policy, "Placement policy plugin")->capture_default_str();
  bench_cmd->add_option("--repetitions", bench.repetitions, "Runs per figure (the median is reported)")->capture_default_str();
  bench_cmd->add_flag("--json", bench.json, "One JSON object (with --policies: one per policy and workload)");
  bool compare_policies = false;
  berth::cli::PolicyBenchOptions policy_bench;
  bench_cmd->add_flag("--policies", compare_policies,
                      "Compare placement policies side by side (balance, movement on join/leave/drift, time, state)");
  bench_cmd->add_option("--policy-list", policy_bench.policies, "Policies to compare")->delimiter(',')->capture_default_str();
  bench_cmd->add_option("--workloads", policy_bench.workloads, "Load distributions to compare on")
      ->delimiter(',')
      ->capture_default_str();

  CLI::App* plugins = app.add_subcommand("plugins", "List the built-in plugins");
  CLI::App* version = app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  berth::logger().set_level(spdlog::level::from_str(log_level));
  try {
    if (*version) {
      std::cout << "berth " << berth_version() << "\n";
      return 0;
    }
    if (*plugins) {
      berth::PluginRegistry registry;
      for (const auto& p : registry.available())
        std::cout << berth::kind_name(p.kind) << "\t" << p.name << "\t" << p.path.string() << "\n";
      return 0;
    }
    if (*bench_cmd && compare_policies) {
      policy_bench.streams = bench.streams;
      policy_bench.servers = bench.servers;
      policy_bench.json = bench.json;
      policy_bench.repetitions = bench.repetitions;
      return berth::cli::run_policy_bench(policy_bench);
    }
    if (*bench_cmd) return berth::cli::run_bench(bench);
    return berth::cli::run_simulate(sim);  // `berth` alone runs the default scenario
  } catch (const berth::Error& e) {
    std::cerr << "berth: " << e.what() << " [" << berth::code_name(e.code()) << "]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "berth: " << e.what() << "\n";
    return 2;
  }
}
