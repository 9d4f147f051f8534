#include "cli/rules_cmd.h"

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/refresh.h"

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

int run_plan(const RulesCommandOptions& o) {
  PluginRegistry registry;
  tools::Cluster cluster = tools::load_cluster(o.cluster, registry, o.policy);
  auto rules = compile_or_report(o, cluster.options);
  if (!rules) return 1;
  EngineOptions resolved = cluster.options.resolve_for_open();
  const Snapshot& base = *cluster.snapshot;
  // The base's loads as reported loads: what the next refresh would start from.
  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, resolved.policy.name), resolved.policy.config);
  Provenance meta = base.meta;
  ++meta.version;
  RefreshResult next = compute_refresh_with(&base, base.servers, PendingChanges{}, appraiser, *policy, meta,
                                            std::make_shared<ServerNames>(), rules.get());
  const Snapshot& planned = *next.snapshot;

  struct Flow {
    uint64_t in = 0, out = 0;
    double load_in = 0, load_out = 0;
  };
  std::map<std::string, Flow> per_tenant, per_server;
  for (uint64_t i = 0; i < planned.stream_count(); ++i) {
    std::string from(base.servers->ids.at(base.owner[i]));  // same streams, same order: no changes pending
    std::string to(planned.servers->ids.at(planned.owner[i]));
    if (from == to) continue;
    double load = planned.load[i];
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
  if (o.json) {
    nlohmann::json tenants = nlohmann::json::object(), servers = nlohmann::json::object();
    for (const auto& [name, f] : per_tenant) tenants[name] = {{"moved_streams", f.out}, {"moved_load", f.load_out}};
    for (const auto& [name, f] : per_server)
      servers[name] = {{"streams_in", f.in}, {"streams_out", f.out}, {"load_in", f.load_in}, {"load_out", f.load_out}};
    nlohmann::json j = {{"file", o.file},
                        {"ok", ok},
                        {"cluster", cluster.description},
                        {"policy", resolved.policy.name},
                        {"moved_streams", next.moved_streams},
                        {"moved_load_fraction", next.moved_load_fraction},
                        {"violations", r.violations},
                        {"tenants", tenants},
                        {"servers", servers},
                        {"problems", problems_json(r.problems)}};
    std::cout << j.dump() << std::endl;
    return ok ? 0 : 1;
  }
  std::cout << fmt::format("plan for {} against {}, policy {}: nothing is applied\n", o.file, cluster.description,
                           resolved.policy.name)
            << fmt::format("{} of {} streams would move ({:.2f}% of the load)\n\n", next.moved_streams, planned.stream_count(),
                           100 * next.moved_load_fraction);
  if (!per_tenant.empty()) {
    std::cout << fmt::format("  {:<24} {:>10} {:>12}\n", "tenant", "streams", "load");
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
  if (!ok) std::cout << "FAILED: this script would be refused\n";
  return ok ? 0 : 1;
}

}  // namespace berth::cli
