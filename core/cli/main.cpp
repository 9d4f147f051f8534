// The `berth` command-line tool.
#include <iostream>

#include <CLI/CLI.hpp>

#include "berth/berth.h"
#include "cli/bench.h"
#include "cli/bench_handoffs.h"
#include "cli/bench_migrations.h"
#include "cli/show.h"
#include "cli/bench_policies.h"
#include "cli/bench_rules.h"
#include "cli/catalogue_cmd.h"
#include "cli/exit_codes.h"
#include "cli/rules_cmd.h"
#include "cli/servers_cmd.h"
#include "cli/serve_metrics_cmd.h"
#include "cli/simulate.h"
#include "cli/usage.h"
#include "common/error.h"
#include "common/log.h"
#include "plugin/loader.h"

int main(int argc, char** argv) {
  CLI::App app{"Berth: which server owns which stream, balanced, agreed on by every node.", "berth"};
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("berth: ") + e.what() + "\nRun 'berth --help' for more.\n";
  });
  app.require_subcommand(0, 1);
  app.fallthrough();  // --log-level (and --help) are taken after a command too
  app.set_version_flag("--version", std::string("berth ") + berth_version());
  app.footer(
      "Exit status:\n"
      "  0  done\n"
      "  1  problems found: a rules check or a plan reports them, rules push refuses a script, or\n"
      "     simulate's nodes disagree on an owner (or miss a hand-off)\n"
      "  2  usage: an unknown command or flag, a value out of range, a bad configuration or --set\n"
      "  3  failure: the work failed or the cluster refused it (a plugin not found, named by a flag\n"
      "     or by a configuration file alike, an unknown server or stream, a backend unreachable,\n"
      "     a timeout)\n\n"
      "'berth help COMMAND' or 'berth COMMAND --help' describes a command.");
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
  simulate->add_option("--zk", sim.zk, "Run on a real ZooKeeper ensemble (host:port,...): the zookeeper backend there");
  simulate->add_option("--config", sim.config, "TOML file with [policy], [appraiser], [backend] settings");
  simulate->add_option("--set", sim.settings, "Override one setting: section.key=value (repeatable)");
  simulate->add_option("--nodes", sim.nodes, "Engine nodes (one leads)")->capture_default_str();
  simulate->add_option("--seed", sim.seed, "Random seed of the workload")->capture_default_str();
  simulate->add_option("--drift", sim.drift, "Load drift of the drift step (0.1 = +/-10%)")->capture_default_str();
  simulate->add_option("--new-streams", sim.new_streams, "Unknown streams looked up in the new-streams step")
      ->capture_default_str();
  simulate->add_flag("--json", sim.json, "One JSON object per step");
  CLI::Option* metrics_listen = simulate->add_option(
      "--metrics-listen", sim.metrics_listen,
      "Serve the nodes' metrics on ADDRESS:PORT (/metrics, /healthz) while it runs (port 0: a free one, printed)");
  simulate->add_option("--metrics-linger", sim.metrics_linger,
                       "With --metrics-listen: keep serving this many seconds after the last step (until SIGINT or SIGTERM)")
      ->needs(metrics_listen)
      ->capture_default_str();

  berth::cli::BenchOptions bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "Measure lookups, refresh time and memory at scale");
  bench_cmd->add_option("--streams", bench.streams, "Streams")->capture_default_str();
  bench_cmd->add_option("--servers", bench.servers, "Servers")->capture_default_str();
  bench_cmd->add_option("--dist", bench.dist, "Load distribution: equal, lognormal or zipf")->capture_default_str();
  bench_cmd->add_option("--policy", bench.policy, "Placement policy plugin")->capture_default_str();
  bench_cmd->add_option("--repetitions", bench.repetitions, "Runs per figure (the median is reported)")->capture_default_str();
  bench_cmd->add_flag("--json", bench.json, "One JSON object (with --policies: one per policy and workload)");
  bench_cmd->add_option("--delta-installs", bench.delta_installs,
                        "Versions (1% of the streams moved, one created) a follower installs, to measure its memory growth")
      ->capture_default_str();
  bench_cmd->add_flag("--keep-freed-memory", bench.keep_freed_memory,
                     "Run the engines with engine.return_freed_memory = false (what returning it saves and costs)");
  bench_cmd->add_option("--zk", bench.zk,
                        "Also publish the snapshot through a real ZooKeeper ensemble (host:port,...) and time it");
  bool compare_policies = false;
  berth::cli::PolicyBenchOptions policy_bench;
  bench_cmd->add_flag("--policies", compare_policies,
                      "Compare placement policies side by side (balance, movement on join/leave/drift, time, state)");
  bench_cmd->add_option("--policy-list", policy_bench.policies, "Policies to compare")->delimiter(',')->capture_default_str();
  bench_cmd->add_option("--workloads", policy_bench.workloads, "Load distributions to compare on")
      ->delimiter(',')
      ->capture_default_str();

  berth::cli::RulesCommandOptions rules_opts;
  auto add_cluster_options = [&](CLI::App* cmd) {
    cmd->add_option("--config", rules_opts.cluster.config, "TOML file naming the backend (and policy) to read the cluster from");
    cmd->add_option("--set", rules_opts.cluster.settings, "Override one setting: section.key=value (repeatable)");
    cmd->add_option("--servers", rules_opts.cluster.servers, "Simulated cluster: servers")->capture_default_str();
    cmd->add_option("--streams", rules_opts.cluster.streams, "Simulated cluster: streams")->capture_default_str();
    cmd->add_option("--tenants", rules_opts.cluster.tenants, "Simulated cluster: tenants besides the named ones")
        ->capture_default_str();
    cmd->add_option("--seed", rules_opts.cluster.seed, "Simulated cluster: random seed")->capture_default_str();
    cmd->add_option("--timeout", rules_opts.cluster.timeout_s, "Seconds to wait for a backend's snapshot")->capture_default_str();
    cmd->add_option("--policy", rules_opts.policy, "Placement policy (default: policy.name, else sticky)");
    cmd->add_option("--instruction-limit", rules_opts.instruction_limit, "Per rule call (default: rules.instruction_limit)");
    cmd->add_flag("--json", rules_opts.json, "One JSON object");
  };
  CLI::App* rules_cmd = app.add_subcommand("rules", "Tenant rules (Lua): check a script before putting it in force");
  rules_cmd->require_subcommand(1);
  CLI::App* rules_check = rules_cmd->add_subcommand("check", "Compile FILE and evaluate it against a cluster; report problems");
  rules_check->add_option("FILE", rules_opts.file, "The rules script")->required();
  add_cluster_options(rules_check);
  auto rules_share = berth::cli::add_rules_share_commands(*rules_cmd);
  CLI::App* plan = app.add_subcommand("plan", "Show which streams would move under a change (rules, servers), measured "
                                                "against the live assignment, without applying it");
  plan->add_option("--rules", rules_opts.file, "A rules script to put in force (default: the rules in force)");
  plan->add_option("--add-server", rules_opts.add_servers, "A server to add: ID or ID=CAPACITY (repeatable)");
  plan->add_option("--remove-server", rules_opts.remove_servers, "A server to remove (repeatable)");
  plan->add_option("--limit", rules_opts.limit, "Moves listed in the text report (--json lists all)")->capture_default_str();
  add_cluster_options(plan);

  bool bench_handoffs = false;
  berth::cli::HandoffBenchOptions handoff_bench;
  bench_cmd->add_flag("--handoffs", bench_handoffs,
                      "Time planned moves between two hosts (release acknowledged -> new owner acquires) and drains; "
                      "--streams defaults to 10000 here, --zk for a real ensemble");
  bench_cmd->add_option("--drains", handoff_bench.rounds, "Drains, with --handoffs (each moves every stream)")
      ->capture_default_str();
  bench_cmd->add_option("--background", handoff_bench.background,
                        "With --handoffs: streams on a third host that is never drained")
      ->capture_default_str();
  bool bench_migrations = false;
  berth::cli::MigrationBenchOptions migration_bench;
  bench_cmd->add_flag("--migrations", bench_migrations,
                      "Time the catalogue under concurrent migrations: publication per version and follower lag "
                      "(--streams defaults to 1000000 here, --repetitions rounds, --zk for a real ensemble)");
  bench_cmd->add_option("--concurrent", migration_bench.migrations, "Migrations asked at once, with --migrations")
      ->capture_default_str();
  bool bench_rules = false;
  berth::cli::RulesBenchOptions rules_bench;
  bench_cmd->add_flag("--rules", bench_rules, "Time the evaluation of tenant rules (1M streams across 10k tenants)");
  bench_cmd->add_option("--tenants", rules_bench.tenants, "Tenants, with --rules")->capture_default_str();

  berth::cli::ShowOptions show_opts;
  CLI::App* show = app.add_subcommand("show", "Print the snapshot a file or zookeeper backend serves now");
  show->add_option("--config", show_opts.source.config, "TOML file naming the backend");
  show->add_option("--set", show_opts.source.settings, "Override one setting: section.key=value (repeatable)");
  show->add_option("--timeout", show_opts.source.timeout_s, "Seconds to wait for a snapshot")->capture_default_str();
  show->add_flag("--json", show_opts.json, "One JSON object");

  berth::cli::add_servers_commands(app);
  berth::cli::add_serve_metrics_command(app);
  const std::function<int()> run_catalogue = berth::cli::add_catalogue_commands(app);

  CLI::App* plugins = app.add_subcommand("plugins", "List the built-in plugins");
  CLI::App* version = app.add_subcommand("version", "Print the version");
  std::vector<std::string> help_words;
  CLI::App* help = app.add_subcommand("help", "Describe berth or one of its commands");
  help->add_option("COMMAND", help_words, "A command, e.g. simulate or rules check");
  std::vector<std::string> complete_words;
  bool complete_describe = false;
  CLI::App* complete = app.add_subcommand("__complete", "The words the shell completion offers")->group("");
  complete->add_option("WORD", complete_words, "The words typed so far, the last one partial");
  complete->add_flag("--describe", complete_describe, "Each with its description after a tab");
  berth::cli::check_flags(app);

  if (auto refused = berth::cli::refuse_unknown_command(app, argc, argv)) return *refused;
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command run while parsing, ended with its own status
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == berth::cli::kExitOk ? code : berth::cli::kExitUsage;
  }
  berth::logger().set_level(spdlog::level::from_str(log_level));
  try {
    if (*version) {
      std::cout << "berth " << berth_version() << "\n";
      return 0;
    }
    if (*help) return berth::cli::run_help(app, help_words);
    if (*complete) return berth::cli::run_complete(app, complete_words, complete_describe);
    if (*plugins) {
      berth::PluginRegistry registry;
      for (const auto& p : registry.available())
        std::cout << berth::kind_name(p.kind) << "\t" << p.name << "\t" << p.path.string() << "\n";
      return 0;
    }
    if (*rules_check) return berth::cli::run_rules_check(rules_opts);
    if (auto rc = rules_share()) return *rc;
    if (*plan) return berth::cli::run_plan(rules_opts);
    if (*show) return berth::cli::run_show(show_opts);
    if (int code = run_catalogue(); code >= 0) return code;
    if (*bench_cmd && bench_handoffs) {
      if (bench_cmd->get_option("--streams")->count() > 0) handoff_bench.streams = bench.streams;
      handoff_bench.zk = bench.zk;
      handoff_bench.json = bench.json;
      return berth::cli::run_handoff_bench(handoff_bench);
    }
    if (*bench_cmd && bench_migrations) {
      if (bench_cmd->get_option("--streams")->count() > 0) migration_bench.streams = bench.streams;
      if (bench_cmd->get_option("--repetitions")->count() > 0) migration_bench.rounds = bench.repetitions;
      migration_bench.zk = bench.zk;
      migration_bench.json = bench.json;
      return berth::cli::run_migration_bench(migration_bench);
    }
    if (*bench_cmd && bench_rules) {
      rules_bench.streams = bench.streams;
      rules_bench.servers = bench.servers;
      rules_bench.repetitions = bench.repetitions;
      rules_bench.json = bench.json;
      return berth::cli::run_rules_bench(rules_bench);
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
  } catch (const std::exception& e) {
    return berth::cli::report_error(e);
  }
}
