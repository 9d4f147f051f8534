#include "cli/catalogue_cmd.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "catalogue/locate.h"
#include "catalogue/placement_why.h"
#include "cli/exit_codes.h"
#include "common/error.h"
#include "engine/engine.h"
#include "tools/rules_cluster.h"
#include "tools/settings.h"

namespace berth::cli {
namespace {

struct CatalogueCommand {
  tools::ClusterSource source;
  std::string stream;
  std::string to;  // migrate: the destination; "": the policy chooses
  bool json = false;
  bool apply = false;
};

const char* status_name(CatalogueStatus status) {
  switch (status) {
    case CatalogueStatus::migrating: return "migrating";
    case CatalogueStatus::deleting: return "deleting";
    default: return "active";
  }
}

std::string or_none(const char* s) { return s != nullptr ? s : "-"; }

std::string joined(const std::vector<const char*>& servers) {
  std::string out;
  for (const char* s : servers) out += (out.empty() ? "" : ", ") + std::string(s);
  return out.empty() ? "-" : out;
}

void add_source(CLI::App* cmd, CatalogueCommand& c) {
  cmd->add_option("--config", c.source.config, "TOML file naming the backend");
  cmd->add_option("--set", c.source.settings, "Override one setting: section.key=value (repeatable)");
  cmd->add_option("--timeout", c.source.timeout_s, "Seconds to wait for a snapshot")->capture_default_str();
}

// A node of the cluster that neither campaigns nor joins: reads versions, sends intake.
std::unique_ptr<Engine> open_reader(const tools::ClusterSource& source) {
  Options options;
  if (!source.config.empty()) options.load_file(source.config);
  tools::apply_settings(options, source.settings);
  if (options.resolve().backend.name == "memory")
    throw Error(BERTH_E_INVALID_ARGUMENT, "the memory backend lives inside one process: name a file or zookeeper "
                                          "backend (--config, or --set backend.name=...)");
  options.set("engine.campaign", "false", "berth stream");
  options.set("engine.node_id", fmt::format("berth-cli-{}", ::getpid()), "berth stream");
  auto engine = std::make_unique<Engine>(options.resolve());
  engine->wait_version(1, std::chrono::milliseconds(static_cast<int64_t>(source.timeout_s * 1000)));
  return engine;
}

// The [rules] file --config/--set name, compiled, or null (none, or it cannot be read or compiled:
// then only the version's shared rules can tell which rule applied).
std::shared_ptr<rules::RuleSet> configured_rules(const Options& options) {
  const RulesOptions o = options.resolve().rules;
  if (o.file.empty()) return nullptr;
  std::ifstream in(o.file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return nullptr;
  try {
    return rules::RuleSet::compile(o.file.string(), text.str(), o.limits);
  } catch (const Error&) {
    return nullptr;
  }
}

std::string joined(const std::vector<std::string>& servers) {
  std::string out;
  for (const std::string& s : servers) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int run_locate(const CatalogueCommand& c) {
  tools::Cluster cluster = tools::read_backend(c.source);
  const Snapshot& s = *cluster.snapshot;
  catalogue::StreamLocation at = catalogue::locate(s, c.stream);
  std::string rules_note;
  std::shared_ptr<rules::RuleSet> rules =
      catalogue::rules_of(s, configured_rules(cluster.options), rules_note, cluster.options.resolve().rules.limits);
  catalogue::PlacementWhy why = catalogue::explain_placement(s, c.stream, rules.get());
  if (why.rules_note.empty()) why.rules_note = rules_note;
  if (c.json) {
    nlohmann::json reads = nlohmann::json::array();
    for (const char* r : at.read_locations) reads.push_back(r);
    nlohmann::json j = {{"stream", c.stream},
                        {"version", at.version},
                        {"known", at.known},
                        {"status", status_name(at.status)},
                        {"owner", at.owner != nullptr ? nlohmann::json(at.owner) : nlohmann::json()},
                        {"read_locations", std::move(reads)},
                        {"holder", at.holder != nullptr ? nlohmann::json(at.holder) : nlohmann::json()},
                        {"token", at.token},
                        {"tenant", at.tenant},
                        {"load", at.load},
                        {"policy", s.meta.policy},
                        {"rules_hash", fmt::format("{:016x}", s.meta.rules_hash)}};
    if (at.source != nullptr) j["migration"] = {{"source", at.source}, {"destination", or_none(at.destination)}};
    if (at.queued) j["queued_destination"] = at.queued_destination;
    j["why"] = {{"decision", catalogue::decision_name(why.decision)},
                {"detail", why.detail},
                {"rules_evaluated", why.rules_evaluated},
                {"rule", why.rule},
                {"allowed", why.allowed},
                {"preferred", why.preferred},
                {"rules_note", why.rules_note}};
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("stream {} in version {} ({})\n", c.stream, at.version, cluster.description)
            << fmt::format("  status          {}{}\n", status_name(at.status),
                           at.known ? "" : at.status == CatalogueStatus::deleting ? " (deleted; locations to purge)"
                                                                                   : " (not in the assignment: where a lookup places it)")
            << fmt::format("  write location  {}\n", or_none(at.owner))
            << fmt::format("  read locations  {}\n", joined(at.read_locations))
            << fmt::format("  holder          {} (token {})\n", or_none(at.holder), at.token)
            << fmt::format("  tenant, load    '{}', {:.6g}\n", at.tenant, at.load);
  if (at.source != nullptr)
    std::cout << fmt::format("  migration       {} -> {}\n", at.source, or_none(at.destination));
  if (at.queued)
    std::cout << fmt::format("  queued          to {}\n", at.queued_destination.empty() ? "the policy's choice" : at.queued_destination);
  std::cout << fmt::format("  placed by       policy {} (behaviour {}){}\n", s.meta.policy, s.meta.behaviour_version,
                           s.meta.rules_hash != 0 ? fmt::format(", rules {:016x}", s.meta.rules_hash) : "");
  std::cout << fmt::format("  decision        {}: {}\n", catalogue::decision_name(why.decision), why.detail);
  if (why.rules_evaluated)
    std::cout << fmt::format("  rule            {}: {}{}\n", why.rule.empty() ? "none narrowed its servers" : why.rule,
                             why.allowed.empty() ? "every server allowed" : "allowed " + joined(why.allowed),
                             why.preferred.empty() ? "" : "; preferred " + joined(why.preferred));
  else
    std::cout << fmt::format("  rule            not evaluated: {}\n", why.rules_note);
  return 0;
}

// Waits for a version in which `shown` holds, and prints it.
int wait_shown(Engine& engine, const CatalogueCommand& c, const std::function<bool(const catalogue::StreamLocation&)>& shown) {
  engine.flush();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(c.source.timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    catalogue::StreamLocation at = engine.locate(c.stream);
    if (shown(at)) {
      std::cout << fmt::format("version {} shows it: status {}, write location {}, read locations {}\n", at.version,
                               status_name(at.status), or_none(at.owner), joined(at.read_locations));
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cout << fmt::format("sent; no version showed it within {} s (the leader logs why a change is refused)\n",
                           c.source.timeout_s);
  return kExitFailure;
}

int run_migrate(const CatalogueCommand& c) {
  std::unique_ptr<Engine> engine = open_reader(c.source);
  engine->migrate(c.stream, c.to, true);  // refused here as the leader would refuse it
  catalogue::StreamLocation at = engine->locate(c.stream);
  std::cout << fmt::format("stream {} (version {}): write location {} -> {}; reads from both until the copy is done\n",
                           c.stream, at.version, or_none(at.owner), c.to.empty() ? "the policy's choice" : c.to);
  if (!c.apply) {
    std::cout << "dry run: nothing sent (add --apply to migrate)\n";
    return 0;
  }
  engine->migrate(c.stream, c.to);
  return wait_shown(*engine, c, [](const catalogue::StreamLocation& x) {
    return x.status == CatalogueStatus::migrating || x.queued;
  });
}

int run_delete(const CatalogueCommand& c) {
  std::unique_ptr<Engine> engine = open_reader(c.source);
  engine->delete_stream(c.stream, true);
  catalogue::StreamLocation at = engine->locate(c.stream);
  std::cout << fmt::format("stream {} (version {}): removed{}; to purge at {}\n", c.stream, at.version,
                           at.status == CatalogueStatus::migrating ? ", its migration cancelled" : "",
                           joined(at.read_locations));
  if (!c.apply) {
    std::cout << "dry run: nothing sent (add --apply to delete)\n";
    return 0;
  }
  engine->delete_stream(c.stream);
  return wait_shown(*engine, c, [](const catalogue::StreamLocation& x) { return !x.known; });
}

}  // namespace

std::function<int()> add_catalogue_commands(CLI::App& app) {
  auto c = std::make_shared<CatalogueCommand>();
  CLI::App* locate = app.add_subcommand("locate", "Where a stream is written and read, its status, and what placed it");
  locate->add_option("STREAM", c->stream, "The stream id")->required();
  add_source(locate, *c);
  locate->add_flag("--json", c->json, "One JSON object");

  CLI::App* stream = app.add_subcommand("stream", "Change one stream: migrate or delete it (dry run unless --apply)");
  stream->require_subcommand(1);
  CLI::App* migrate = stream->add_subcommand("migrate", "Migrate STREAM (to --to SERVER, or where the policy chooses)");
  migrate->add_option("STREAM", c->stream, "The stream id")->required();
  migrate->add_option("--to", c->to, "The destination server (default: the policy chooses)");
  CLI::App* del = stream->add_subcommand("delete", "Delete STREAM: cancel its migration, purge every location");
  del->add_option("STREAM", c->stream, "The stream id")->required();
  for (CLI::App* cmd : {migrate, del}) {
    add_source(cmd, *c);
    cmd->add_flag("--apply,--yes", c->apply, "Send the change and wait for the version that shows it");
  }
  return [c, locate, migrate, del]() -> int {
    if (*locate) return run_locate(*c);
    if (*migrate) return run_migrate(*c);
    if (*del) return run_delete(*c);
    return -1;
  };
}

}  // namespace berth::cli
