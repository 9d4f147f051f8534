#include "cli/rules_cmd.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/engine.h"
#include "engine/refresh.h"
#include "tools/settings.h"

namespace berth::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(BERTH_E_NOT_FOUND, fmt::format("rules file {}: cannot be read", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

rules::Limits limits_of(const RulesCommandOptions& o, const Options& options) {
  rules::Limits limits = options.resolve().rules.limits;
  if (o.instruction_limit > 0) limits.instructions = o.instruction_limit;
  return limits;
}

// Compiles the file, or prints why it does not compile and returns null.
std::shared_ptr<rules::RuleSet> compile_or_report(const RulesCommandOptions& o, const Options& options) {
  try {
    return rules::RuleSet::compile(o.file, read_file(o.file), limits_of(o, options));
  } catch (const Error& e) {
    if (o.json) {
      nlohmann::json j = {{"file", o.file}, {"ok", false}, {"problems", {{{"kind", "compile"}, {"message", e.what()}}}}};
      std::cout << j.dump() << std::endl;
    } else {
      std::cout << o.file << ": " << e.what() << "\n";
    }
    return nullptr;
  }
}

nlohmann::json problems_json(const std::vector<rules::Problem>& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : problems)
    out.push_back({{"kind", rules::kind_name(p.kind)}, {"message", p.message}, {"streams", p.streams}, {"error", p.is_error()}});
  return out;
}

void print_problems(const std::vector<rules::Problem>& problems, uint64_t count) {
  for (const auto& p : problems) {
    std::cout << fmt::format("  {}: {}: {}", p.is_error() ? "error" : "warning", rules::kind_name(p.kind), p.message);
    if (p.streams > 0) std::cout << fmt::format(" ({} stream(s) keep their owner)", p.streams);
    std::cout << "\n";
  }
  if (count > problems.size()) std::cout << fmt::format("  ... and {} more\n", count - problems.size());
}

}  // namespace

int run_rules_check(const RulesCommandOptions& o) {
  PluginRegistry registry;
  tools::Cluster cluster = tools::load_cluster(o.cluster, registry, o.policy);
  auto rules = compile_or_report(o, cluster.options);
  if (!rules) return 1;
  const Snapshot& s = *cluster.snapshot;
  uint64_t n = s.stream_count();
  std::vector<double> load(s.load.begin(), s.load.end());
  berth_server_set servers = s.servers->view();
  berth_stream_set streams = s.streams->view(load.data());
  rules::Input input{&servers, &s.servers->labels, &streams, load.data(), s.owner.data()};
  auto started = std::chrono::steady_clock::now();
  rules::Evaluation e = rules->evaluate(input);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  bool ok = !e.has_errors();
  if (o.json) {
    nlohmann::json j = {{"file", o.file},
                        {"ok", ok},
                        {"hash", fmt::format("{:016x}", rules->hash())},
                        {"cluster", cluster.description},
                        {"servers", s.server_count()},
                        {"streams", n},
                        {"tenant_calls", e.tenant_calls},
                        {"stream_calls", e.stream_calls},
                        {"classes", e.constraints.class_count()},
                        {"constrained_streams", e.constraints.constrained_streams()},
                        {"kept_owner", e.kept_owner},
                        {"eval_ms", ms},
                        {"problem_count", e.problem_count},
                        {"problems", problems_json(e.problems)}};
    std::cout << j.dump() << std::endl;
    return ok ? 0 : 1;
  }
  std::cout << fmt::format("{}: compiles (hash {:016x})\n", o.file, rules->hash())
            << fmt::format("evaluated against {} ({} servers, {} streams) in {:.2f} ms\n", cluster.description,
                           s.server_count(), n, ms)
            << fmt::format("  {} tenant rule call(s), {} stream rule call(s); {} class(es) constrain {} stream(s)\n",
                           e.tenant_calls, e.stream_calls, e.constraints.class_count(), e.constraints.constrained_streams());
  print_problems(e.problems, e.problem_count);
  std::cout << (ok ? "OK\n" : fmt::format("FAILED: {} problem(s); this script would be refused\n", e.problem_count));
  return ok ? 0 : 1;
}

namespace {

// What the plan changes in the live cluster's servers: "ID" or "ID=CAPACITY" added, ids removed.
std::shared_ptr<const ServerColumns> changed_servers(const ServerColumns& live, const RulesCommandOptions& o) {
  struct Row {
    std::string id;
    double capacity;
    int32_t state;
    Labels labels;
  };
  std::map<std::string, Row> rows;
  for (uint32_t j = 0; j < live.size(); ++j) {
    std::string id(live.ids.at(j));
    rows[id] = Row{id, live.capacity[j], live.state[j], live.labels_of(j)};
  }
  for (const std::string& id : o.remove_servers)
    if (rows.erase(id) == 0) throw Error(BERTH_E_NOT_FOUND, fmt::format("--remove-server {}: no such server in the cluster", id));
  for (const std::string& spec : o.add_servers) {
    auto eq = spec.find('=');
    std::string id = spec.substr(0, eq);
    double capacity = 1.0;
    if (eq != std::string::npos) {
      try {
        size_t used = 0;
        capacity = std::stod(spec.substr(eq + 1), &used);
        if (used != spec.size() - eq - 1) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        capacity = -1;
      }
    }
    if (id.empty() || !std::isfinite(capacity) || capacity <= 0)
      throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("--add-server {}: expected ID or ID=CAPACITY (a positive number)", spec));
    if (rows.count(id) != 0) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("--add-server {}: the server is already in the cluster", id));
    rows[id] = Row{id, capacity, BERTH_SERVER_UP, {}};
  }
  if (rows.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "the plan leaves no server");
  auto out = std::make_shared<ServerColumns>();
  for (auto& [id, row] : rows) {
    out->ids.push_back(id);
    out->capacity.push_back(row.capacity);
    out->state.push_back(row.state);
    out->labels.push_back(std::move(row.labels));
  }
  return out;
}

// The rules the plan applies: FILE when given, else those in force in the live cluster (shared
// rules the snapshot carries, else the configured [rules] file); null when there are none. The
// second member names them; the third is false when FILE does not compile (already reported).
struct PlanRules {
  std::shared_ptr<rules::RuleSet> rules;
  std::string name = "no rules";
  bool ok = true;
};
PlanRules plan_rules(const RulesCommandOptions& o, const tools::Cluster& cluster) {
  PlanRules out;
  if (!o.file.empty()) {
    out.rules = compile_or_report(o, cluster.options);
    out.name = o.file;
    out.ok = out.rules != nullptr;
    return out;
  }
  const Snapshot& live = *cluster.snapshot;
  if (live.shared_rules) {
    out.name = fmt::format("the shared rules in force (version {})", live.shared_rules->version);
    out.rules = rules::RuleSet::compile(out.name, live.shared_rules->script, limits_of(o, cluster.options));
    return out;
  }
  std::filesystem::path configured = cluster.options.resolve().rules.file;
  if (!configured.empty()) {
    out.name = configured.string();
    out.rules = rules::RuleSet::compile(out.name, read_file(out.name), limits_of(o, cluster.options));
  }
  return out;
}

// Per server: capacity, load and streams (the plan's before and after, for --json).
nlohmann::json servers_json(const Snapshot& s) {
  nlohmann::json out = nlohmann::json::array();
  for (uint32_t j = 0; j < s.server_count(); ++j)
    out.push_back({{"id", s.servers->ids.at(j)},
                   {"capacity", s.servers->capacity[j]},
                   {"load", s.server_load[j]},
                   {"streams", s.server_streams[j]}});
  return out;
}

std::string describe_change(const RulesCommandOptions& o, const std::string& rules_name, const std::string& policy_from,
                            const std::string& policy_to) {
  std::vector<std::string> parts;
  if (!o.file.empty()) parts.push_back("rules " + o.file);
  for (const auto& s : o.add_servers) parts.push_back("+" + s);
  for (const auto& s : o.remove_servers) parts.push_back("-" + s);
  if (policy_from != policy_to) parts.push_back(fmt::format("policy {} -> {}", policy_from, policy_to));
  if (parts.empty()) return fmt::format("no change (the next refresh with {})", rules_name);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

int run_plan(const RulesCommandOptions& o) {
  PluginRegistry registry;
  tools::Cluster cluster = tools::load_cluster(o.cluster, registry, o.policy);
  const Snapshot& live = *cluster.snapshot;
  // The policy the live cluster runs, unless --policy names another: with no change, the plan is
  // the next refresh, which moves nothing once the policy has settled.
  const std::string live_policy = live.meta.policy;
  if (o.policy.empty() && !live_policy.empty() && cluster.options.resolve().policy.name != live_policy)
    cluster.options.set("policy.name", live_policy, "the snapshot's policy");
  PlanRules plan = plan_rules(o, cluster);
  if (!plan.ok) return 1;
  EngineOptions resolved = cluster.options.resolve_for_open();
  // The live loads as reported loads, the live owners as the previous owners: the next refresh.
  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, resolved.policy.name), resolved.policy.config);
  Provenance meta = live.meta;
  ++meta.version;
  RefreshResult next = compute_refresh_with(&live, changed_servers(*live.servers, o), PendingChanges{}, appraiser, *policy,
                                            meta, std::make_shared<ServerNames>(), plan.rules.get(), false, false);
  const Snapshot& planned = *next.snapshot;

  struct Flow {
    uint64_t in = 0, out = 0;
    double load_in = 0, load_out = 0;
  };
  struct Move {
    std::string stream, from, to;
    double load;
  };
  std::map<std::string, Flow> per_tenant, per_server;
  std::vector<Move> moves;
  for (uint64_t i = 0; i < planned.stream_count(); ++i) {
    std::string from(live.servers->ids.at(live.owner[i]));  // same streams, same order: no changes pending
    std::string to(planned.servers->ids.at(planned.owner[i]));
    if (from == to) continue;
    double load = planned.load[i];
    moves.push_back(Move{std::string(planned.streams->ids.at(i)), from, to, load});
    std::string tenant(planned.streams->tenants.at(planned.streams->tenant[i]));
    Flow& t = per_tenant[tenant.empty() ? "(none)" : tenant];
    ++t.out;
    t.load_out += load;
    ++per_server[from].out;
    per_server[from].load_out += load;
    ++per_server[to].in;
    per_server[to].load_in += load;
  }
  const RulesReport& r = next.rules;
  bool ok = !std::any_of(r.problems.begin(), r.problems.end(), [](const rules::Problem& p) { return p.is_error(); });
  const std::string change = describe_change(o, plan.name, live_policy, resolved.policy.name);
  if (o.json) {
    nlohmann::json tenants = nlohmann::json::object(), servers = nlohmann::json::object(), listed = nlohmann::json::array();
    for (const auto& [name, f] : per_tenant) tenants[name] = {{"moved_streams", f.out}, {"moved_load", f.load_out}};
    for (const auto& [name, f] : per_server)
      servers[name] = {{"streams_in", f.in}, {"streams_out", f.out}, {"load_in", f.load_in}, {"load_out", f.load_out}};
    for (const Move& m : moves) listed.push_back({{"stream", m.stream}, {"from", m.from}, {"to", m.to}, {"load", m.load}});
    nlohmann::json j = {{"file", o.file},
                        {"ok", ok},
                        {"change", change},
                        {"rules", plan.name},
                        {"cluster", cluster.description},
                        {"live_version", live.meta.version},
                        {"policy", resolved.policy.name},
                        {"streams", planned.stream_count()},
                        {"moved_streams", moves.size()},
                        {"moved_load_fraction", next.moved_load_fraction},
                        {"violations", r.violations},
                        {"tenants", tenants},
                        {"servers", servers},
                        {"moves", listed},
                        {"before", servers_json(live)},
                        {"after", servers_json(planned)},
                        {"largest_stream_load",
                         planned.load.empty() ? 0.0 : static_cast<double>(*std::max_element(planned.load.begin(), planned.load.end()))},
                        {"problems", problems_json(r.problems)}};
    std::cout << j.dump() << std::endl;
    return ok ? 0 : 1;
  }
  std::cout << fmt::format("plan: {}\nagainst {}, policy {}: nothing is applied\n", change, cluster.description,
                           resolved.policy.name)
            << fmt::format("{} of {} streams would move ({:.2f}% of the load)\n", moves.size(), planned.stream_count(),
                           100 * next.moved_load_fraction);
  for (size_t k = 0; k < moves.size() && k < o.limit; ++k)
    std::cout << fmt::format("  {}: {} -> {} (load {:g})\n", moves[k].stream, moves[k].from, moves[k].to, moves[k].load);
  if (moves.size() > o.limit) std::cout << fmt::format("  ... and {} more (--limit, --json lists all)\n", moves.size() - o.limit);
  if (!per_tenant.empty()) {
    std::cout << fmt::format("\n  {:<24} {:>10} {:>12}\n", "tenant", "streams", "load");
    for (const auto& [name, f] : per_tenant) std::cout << fmt::format("  {:<24} {:>10} {:>12.2f}\n", name, f.out, f.load_out);
    std::cout << fmt::format("\n  {:<24} {:>10} {:>10} {:>12} {:>12}\n", "server", "streams in", "out", "load in", "load out");
    for (const auto& [name, f] : per_server)
      std::cout << fmt::format("  {:<24} {:>10} {:>10} {:>12.2f} {:>12.2f}\n", name, f.in, f.out, f.load_in, f.load_out);
  }
  if (r.violations > 0) std::cout << fmt::format("\n{} constrained stream(s) would stay outside their allowed servers\n", r.violations);
  if (!r.problems.empty()) {
    std::cout << "\nproblems:\n";
    print_problems(r.problems, r.problem_count);
  }
  if (!ok) std::cout << "FAILED: these rules would be refused\n";
  return ok ? 0 : 1;
}

// ------------------------------------------------------------------ rules every node shares ----

namespace {

// A node that neither campaigns nor joins, on the backend --config/--set name, serving a snapshot.
std::unique_ptr<Engine> observer(const RulesShareOptions& o, const char* command) {
  Options options;
  if (!o.config.empty()) options.load_file(o.config);
  tools::apply_settings(options, o.settings);
  options.set("engine.campaign", "false", command);
  options.set("engine.node_id", fmt::format("berth-{}-{}", command, ::getpid()), command);
  EngineOptions resolved = options.resolve();
  if (resolved.backend.name == "memory")
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("rules {}: the memory backend lives inside one process: name a file or "
                                                      "zookeeper backend (--config, or --set backend.name=...)",
                                                      command));
  resolved.rules.file.clear();  // this node applies nothing; its configured file is not what is pushed
  auto engine = std::make_unique<Engine>(resolved);
  engine->wait_version(1, std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000)));
  return engine;
}

std::string in_force(const Snapshot& s) {
  if (!s.shared_rules) return "no shared rules (each leader applies its own [rules] file, if any)";
  return fmt::format("shared rules version {} (hash {:016x}, {} bytes)", s.shared_rules->version, s.shared_rules->hash,
                     s.shared_rules->script.size());
}

}  // namespace

int run_rules_push(const RulesShareOptions& o) {
  const std::string script = read_file(o.file);
  std::unique_ptr<Engine> engine = observer(o, "rules-push");
  std::shared_ptr<const Snapshot> live = engine->snapshot();
  Engine::RulesPush push;
  try {
    push = engine->check_rules(script);
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CONFIG) throw;
    std::cout << fmt::format("{}: {}\nnothing pushed\n", o.file, e.what());
    return 1;
  }
  std::cout << fmt::format("push {} ({} bytes, hash {:016x}), checked against version {} ({} servers, {} streams)\n",
                           o.file, script.size(), push.hash, live->meta.version, live->server_count(), live->stream_count())
            << fmt::format("replaces {}\n", in_force(*live));
  if (push.unchanged) {
    std::cout << "these rules are already in force: nothing to push\n";
    return 0;
  }
  if (!o.apply) {
    std::cout << "dry run: nothing pushed (--apply or --yes to push)\n";
    return 0;
  }
  engine->push_rules(script);
  uint64_t version = engine->wait_rules(push.hash, std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000)));
  std::shared_ptr<const Snapshot> now = engine->snapshot();
  std::cout << fmt::format("in force: shared rules version {} (snapshot version {} by {})\n", version, now->meta.version,
                           now->meta.leader);
  return 0;
}

int run_rules_show(const RulesShareOptions& o) {
  std::unique_ptr<Engine> engine = observer(o, "rules-show");
  std::shared_ptr<const Snapshot> s = engine->snapshot();
  const SharedRules* r = s->shared_rules.get();
  if (o.json) {
    nlohmann::json j = {{"snapshot_version", s->meta.version},
                        {"version", r ? r->version : 0},
                        {"hash", r ? fmt::format("{:016x}", r->hash) : ""},
                        {"rules_hash", fmt::format("{:016x}", s->meta.rules_hash)},
                        {"script", r ? r->script : ""}};
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("snapshot version {} by {}: {}\n", s->meta.version, s->meta.leader, in_force(*s));
  if (s->meta.rules_hash != 0 && (!r || r->hash != s->meta.rules_hash))
    std::cout << fmt::format("the snapshot was placed with rules of hash {:016x}\n", s->meta.rules_hash);
  if (r) std::cout << "----\n" << r->script << (r->script.empty() || r->script.back() == '\n' ? "" : "\n");
  return 0;
}

std::function<std::optional<int>()> add_rules_share_commands(CLI::App& rules) {
  auto o = std::make_shared<RulesShareOptions>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--config", o->config, "TOML file naming the backend");
    cmd->add_option("--set", o->settings, "Override one setting: section.key=value (repeatable)");
    cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for a snapshot (and for the version a push reaches)")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "One JSON object");
  };
  CLI::App* push = rules.add_subcommand("push", "Check FILE against the cluster and push it as the rules every node applies");
  push->add_option("FILE", o->file, "The rules script")->required();
  push->add_flag("--apply,--yes", o->apply, "Push (without it, only show what would be pushed)");
  common(push);
  CLI::App* show = rules.add_subcommand("show", "Print the shared rules in force: version, hash and text");
  common(show);
  return [o, push, show]() -> std::optional<int> {
    if (*push) return run_rules_push(*o);
    if (*show) return run_rules_show(*o);
    return std::nullopt;
  };
}

}  // namespace berth::cli
