#include "cli/servers_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"
#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"
#include "snapshot/operator_servers.h"
#include "tools/settings.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Source {
  std::string config;
  std::vector<std::string> settings;
  double timeout_s = 10;
};

struct ServerCommand {
  std::string verb;  // add, set, drain, seal, remove
  std::string id;
  std::optional<double> weight;
  std::optional<std::string> labels;
  std::optional<std::string> state;
  bool apply = false;
};

std::chrono::milliseconds timeout_of(const Source& source) {
  return std::chrono::milliseconds(static_cast<int64_t>(source.timeout_s * 1000));
}

// A node of the cluster that neither campaigns nor joins, on the backend --config/--set name,
// once it serves a version.
std::unique_ptr<Engine> open_engine(const Source& source) {
  Options options;
  if (!source.config.empty()) options.load_file(source.config);
  tools::apply_settings(options, source.settings);
  options.set("engine.campaign", "false", "servers");
  options.set("engine.node_id", fmt::format("berth-servers-{}", ::getpid()), "servers");
  EngineOptions resolved = options.resolve();
  if (resolved.backend.name == "memory")
    throw Error(BERTH_E_INVALID_ARGUMENT, "the memory backend lives inside one process, so no other process can reach "
                                          "its cluster: name a file or zookeeper backend (--config, or --set backend.name=...)");
  resolved.rules = {};
  auto engine = std::make_unique<Engine>(resolved);
  engine->wait_version(1, timeout_of(source));
  return engine;
}

const char* origin_name(const Snapshot& s, uint32_t i, const OperatorServer* o) {
  const bool registered = o != nullptr && o->registered;
  const bool member = has_member(*s.servers, i, o);
  return registered && member ? "both" : registered ? "registered" : "member";
}

int list_servers(const Source& source, bool json) {
  auto engine = open_engine(source);
  auto s = engine->snapshot();
  const OperatorServers* ops = s->operator_servers.get();
  if (json) {
    nlohmann::json servers = nlohmann::json::array();
    for (uint32_t i = 0; i < s->server_count(); ++i) {
      const OperatorServer* o = ops ? ops->find(s->servers->ids.at(i)) : nullptr;
      const char* state = server_state_name(s->servers->state[i]);
      servers.push_back({{"id", s->servers->ids.at(i)},
                         {"origin", origin_name(*s, i, o)},
                         {"weight", s->servers->capacity[i]},
                         {"state", state != nullptr ? state : "unknown"},
                         {"migrate", o != nullptr && o->migrate},
                         {"labels", format_labels(s->servers->labels_of(i))},
                         {"streams", s->server_streams[i]},
                         {"load", s->server_load[i]}});
    }
    nlohmann::json unplaced = nlohmann::json::array();  // entries for servers not in the version
    if (ops != nullptr)
      for (const OperatorServer& o : ops->servers) {
        bool present = false;
        for (uint32_t i = 0; i < s->server_count() && !present; ++i) present = s->servers->ids.at(i) == o.id;
        if (!present) unplaced.push_back(o.id);
      }
    std::cout << nlohmann::json{{"version", s->meta.version}, {"servers", std::move(servers)},
                                {"operator_entries_without_server", std::move(unplaced)}}
                     .dump()
              << std::endl;
    return 0;
  }
  std::cout << fmt::format("version {} by {}\n", s->meta.version, s->meta.leader)
            << fmt::format("{:<24} {:<10} {:>8} {:<9} {:>10} {:>12}  {}\n", "server", "origin", "weight", "state",
                           "streams", "load", "labels");
  for (uint32_t i = 0; i < s->server_count(); ++i) {
    const OperatorServer* o = ops ? ops->find(s->servers->ids.at(i)) : nullptr;
    const char* name = server_state_name(s->servers->state[i]);
    // A marked server shows why it drains: its streams migrate out rather than being handed off.
    const std::string state = std::string(name != nullptr ? name : "unknown") + (o != nullptr && o->migrate ? " (migrating out)" : "");
    std::cout << fmt::format("{:<24} {:<10} {:>8.3g} {:<9} {:>10} {:>12.6g}  {}\n", s->servers->ids.at(i),
                             origin_name(*s, i, o), s->servers->capacity[i], state,
                             s->server_streams[i], s->server_load[i], format_labels(s->servers->labels_of(i)));
  }
  return 0;
}

// The change a command asks for; Error(BERTH_E_INVALID_ARGUMENT) for a bad option.
ServerChange change_of(const ServerCommand& cmd) {
  ServerChange c;
  c.id = cmd.id;
  if (cmd.verb == "add") c.fields |= kServerSetRegister;
  if (cmd.weight) {
    c.fields |= kServerSetCapacity;
    c.capacity = *cmd.weight;
  }
  if (cmd.labels) {
    c.fields |= kServerSetLabels;
    c.labels = parse_labels(*cmd.labels);
  }
  std::optional<std::string> state = cmd.state;
  if (cmd.verb == "drain") state = "draining";
  if (cmd.verb == "seal") state = "read-only";
  if (state) {
    std::optional<int32_t> value = server_state_from_name(*state);
    if (!value) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("--state '{}': one of up, draining, read-only", *state));
    c.fields |= kServerSetState;
    c.state = *value;
  }
  if (c.fields == 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("server {} '{}': nothing to change (give --weight, --labels or --state)",
                                                      cmd.verb, cmd.id));
  if (std::string problem = server_change_problem(c); !problem.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, problem);
  return c;
}

std::string show_capacity(const std::optional<double>& c) { return c ? fmt::format("{:g}", *c) : "(member's)"; }
std::string show_state(const std::optional<int32_t>& s) { return s ? server_state_name(*s) : "(member's)"; }
std::string show_labels(const std::optional<Labels>& l) { return l ? "'" + format_labels(*l) + "'" : "(member's)"; }

// One line per part that changes, against the operator entry `now` (null: none).
std::vector<std::string> describe(const OperatorServer* now, const std::optional<OperatorServer>& next) {
  OperatorServer none;
  const OperatorServer& a = now != nullptr ? *now : none;
  const OperatorServer& b = next ? *next : none;
  std::vector<std::string> out;
  if (a.registered != b.registered) out.push_back(fmt::format("registered: {} -> {}", a.registered ? "yes" : "no", b.registered ? "yes" : "no"));
  if (a.capacity != b.capacity) out.push_back(fmt::format("weight: {} -> {}", show_capacity(a.capacity), show_capacity(b.capacity)));
  if (a.state != b.state) out.push_back(fmt::format("state: {} -> {}", show_state(a.state), show_state(b.state)));
  if (a.labels != b.labels) out.push_back(fmt::format("labels: {} -> {}", show_labels(a.labels), show_labels(b.labels)));
  return out;
}

int change_server(const Source& source, const ServerCommand& cmd) {
  std::optional<ServerChange> change;
  if (cmd.verb != "remove") change = change_of(cmd);  // options checked before the backend is reached
  auto engine = open_engine(source);
  auto s = engine->snapshot();
  const OperatorServer* now = s->operator_servers ? s->operator_servers->find(cmd.id) : nullptr;
  if (cmd.verb == "remove" && now == nullptr)
    throw Error(BERTH_E_NOT_FOUND, fmt::format("server '{}' has no operator entry in version {}: nothing to remove", cmd.id,
                                               s->meta.version));
  std::optional<OperatorServer> next;
  if (change) {
    if (now != nullptr) {
      next = *now;
    } else {
      next.emplace();
      next->id = cmd.id;
    }
    if (change->fields & kServerSetRegister) next->registered = true;
    if (change->fields & kServerSetCapacity) next->capacity = change->capacity;
    if (change->fields & kServerSetState) next->state = change->state;
    if (change->fields & kServerSetLabels) next->labels = change->labels;
  }
  std::vector<std::string> lines = describe(now, next);
  std::cout << fmt::format("server '{}' (against version {}):\n", cmd.id, s->meta.version);
  if (lines.empty()) std::cout << "  no change: the operator entry already says so\n";
  for (const std::string& line : lines) std::cout << "  " << line << "\n";
  if (!cmd.apply) {
    std::cout << "dry run: nothing changed; add --apply (or --yes) to make the change\n";
    return 0;
  }
  if (change)
    engine->set_server(*change);
  else
    engine->remove_server(cmd.id);
  engine->flush();
  auto shows = [&](const Snapshot& v) {
    const OperatorServer* o = v.operator_servers ? v.operator_servers->find(cmd.id) : nullptr;
    return next ? o != nullptr && *o == *next : o == nullptr;
  };
  const auto deadline = Clock::now() + timeout_of(source);
  const uint64_t from = s->meta.version;
  while (Clock::now() < deadline) {
    auto v = engine->snapshot();
    if (v->meta.version > from && shows(*v)) {
      std::cout << fmt::format("applied: version {} shows the change\n", v->meta.version);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::cerr << fmt::format("berth: server '{}': the change was sent, but no version showed it within {} s (is a leader "
                           "running?)\n", cmd.id, source.timeout_s);
  return kExitFailure;
}

// `berth server migrate ID [--cancel]`: marks a server for data migration (or clears the mark),
// with what the served version says it takes first.
int migrate_server(const Source& source, const std::string& id, bool cancel, bool apply) {
  auto engine = open_engine(source);
  auto s = engine->snapshot();
  catalogue::EvacuationPlan plan = engine->migrate_server(id, !cancel, /*check_only=*/true);
  std::cout << fmt::format("server '{}' (against version {}): {}\n", id, s->meta.version,
                           cancel ? "clear the mark for data migration (its streams stay where they are)"
                                  : "mark for data migration (draining: it takes no new stream)");
  std::cout << fmt::format("  streams written there: {}; migrating out now: {}\n", plan.streams, plan.migrating_out);
  if (!cancel) {
    std::cout << fmt::format("  bounds (this configuration; the leader's govern): catalogue.max_migrations {}, "
                             "max_migrations_per_server {}, {} server(s) marked sharing the first: at most {} of this "
                             "server's streams migrate out per refresh\n",
                             plan.max_migrations, plan.max_migrations_per_server, plan.marked_servers, plan.per_refresh);
    std::cout << fmt::format("  at least {} leader refreshes, each after the copies of the last are reported done\n",
                             plan.refreshes);
    std::cout << "  while marked it is published draining: `berth server set --state up` leaves it draining "
                 "until the mark is cleared\n";
  }
  if (!apply) {
    std::cout << "dry run: nothing changed; add --apply (or --yes) to make the change\n";
    return 0;
  }
  engine->migrate_server(id, !cancel);
  engine->flush();
  const auto deadline = Clock::now() + timeout_of(source);
  const uint64_t from = s->meta.version;
  while (Clock::now() < deadline) {
    auto v = engine->snapshot();
    const OperatorServer* o = v->operator_servers ? v->operator_servers->find(id) : nullptr;
    if (v->meta.version > from && (o != nullptr && o->migrate) == !cancel) {
      std::cout << fmt::format("applied: version {} shows the change\n", v->meta.version);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::cerr << fmt::format("berth: server '{}': the change was sent, but no version showed it within {} s (is a leader "
                           "running?)\n", id, source.timeout_s);
  return kExitFailure;
}

void add_source_options(CLI::App* cmd, Source& source) {
  cmd->add_option("--config", source.config, "TOML file naming the backend");
  cmd->add_option("--set", source.settings, "Override one setting: section.key=value (repeatable)");
  cmd->add_option("--timeout", source.timeout_s, "Seconds to wait for a snapshot, and for the change to show")
      ->capture_default_str();
}

// Runs `body` and ends the parse with its exit code; errors are printed as main prints them.
template <class Body>
void run(CLI::App& app, Body&& body) {
  int code = kExitFailure;
  try {
    logger().set_level(spdlog::level::from_str(app.get_option("--log-level")->as<std::string>()));
    code = body();
  } catch (const std::exception& e) {
    code = report_error(e);
  }
  throw CLI::RuntimeError(code);
}

}  // namespace

void add_servers_commands(CLI::App& app) {
  auto list_source = std::make_shared<Source>();
  auto list_json = std::make_shared<bool>(false);
  CLI::App* servers = app.add_subcommand("servers", "List the servers a backend serves: members and registered servers");
  add_source_options(servers, *list_source);
  servers->add_flag("--json", *list_json, "One JSON object");
  servers->callback([&app, list_source, list_json] { run(app, [&] { return list_servers(*list_source, *list_json); }); });

  auto source = std::make_shared<Source>();
  auto cmd = std::make_shared<ServerCommand>();
  CLI::App* server = app.add_subcommand("server", "Change what an operator sets on a server (dry run unless --apply)");
  server->require_subcommand(1);
  struct Verb {
    const char* name;
    const char* help;
  };
  for (Verb v : {Verb{"add", "Register a server: it persists without a member (a storage node that runs no Berth)"},
                 Verb{"set", "Set a server's weight, labels or state"},
                 Verb{"drain", "Set a server draining: its streams are handed off, it takes no new ones"},
                 Verb{"seal", "Set a server read-only: it takes no new streams"},
                 Verb{"remove", "Drop everything operators set on a server"}}) {
    CLI::App* sub = server->add_subcommand(v.name, v.help);
    sub->add_option("ID", cmd->id, "The server id")->required();
    if (std::string(v.name) == "add" || std::string(v.name) == "set") {
      sub->add_option_function<double>("--weight", [cmd](double w) { cmd->weight = w; }, "Capacity (finite, > 0)");
      sub->add_option_function<std::string>("--labels", [cmd](const std::string& l) { cmd->labels = l; },
                                             "Labels: zone=a,rack=r1,ssd");
      sub->add_option_function<std::string>("--state", [cmd](const std::string& s) { cmd->state = s; },
                                             "up, draining or read-only");
    }
    sub->add_flag("--apply,--yes", cmd->apply, "Make the change (else only print it)");
    add_source_options(sub, *source);
    sub->callback([&app, source, cmd, name = std::string(v.name)] {
      cmd->verb = name;
      run(app, [&] { return change_server(*source, *cmd); });
    });
  }
  auto cancel = std::make_shared<bool>(false);
  CLI::App* migrate = server->add_subcommand(
      "migrate", "Mark a server for data migration: the leader migrates its streams out within [catalogue]'s bounds");
  migrate->add_option("ID", cmd->id, "The server id")->required();
  migrate->add_flag("--cancel", *cancel, "Clear the mark: streams not yet migrating stay, the server takes streams again");
  migrate->add_flag("--apply,--yes", cmd->apply, "Make the change (else only print it)");
  add_source_options(migrate, *source);
  migrate->callback([&app, source, cmd, cancel] {
    run(app, [&] { return migrate_server(*source, cmd->id, *cancel, cmd->apply); });
  });
}

}  // namespace berth::cli
