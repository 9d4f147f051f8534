// `berth rules check FILE` and `berth plan --rules FILE`: judge a rules script against a cluster
// (a backend's current snapshot, or a simulated one) before it is put in force.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/rules_cluster.h"

namespace berth::cli {

struct RulesCommandOptions {
  std::string file;
  tools::ClusterSource cluster;
  std::string policy;  // overrides policy.name (plan)
  uint64_t instruction_limit = 0;  // 0: rules.instruction_limit from the configuration
  bool json = false;
  // plan: the change besides FILE (then optional), and how many moves the text lists.
  std::vector<std::string> add_servers;     // "ID" or "ID=CAPACITY"
  std::vector<std::string> remove_servers;
  size_t limit = 20;
};

// Compiles FILE, evaluates it, prints every problem. Exit code 0 when there is none, 1 otherwise.
int run_rules_check(const RulesCommandOptions& options);

// What would move under a change (rules FILE, servers added or removed, --policy), measured
// against the live assignment: the cluster's snapshot is the base, its owners the previous
// owners, its rules (or FILE) the rules, so with no change the plan is the next refresh. Lists
// the streams that would move, per tenant and per server. Exit code 0, or 1 when the rules have
// errors (they would be refused).
int run_plan(const RulesCommandOptions& options);

// `berth rules push FILE` and `berth rules show`: the rules every node shares (docs/catalogue.md).
struct RulesShareOptions {
  std::string file;
  std::string config;
  std::vector<std::string> settings;
  double timeout_s = 10;  // for the backend's snapshot, then for the version that carries a push
  bool apply = false;     // --apply or --yes: push; otherwise only show what would be pushed
  bool json = false;
};

// Prints what would be pushed and the version it replaces; with `apply`, pushes it and waits for
// the version that carries it. Exit code 0, 1 when the script is refused, 2 on other errors.
int run_rules_push(const RulesShareOptions& options);
// The shared rules in force: version, hash, text.
int run_rules_show(const RulesShareOptions& options);

// Adds `push` and `show` under `rules`; the result runs whichever of them was given (nullopt:
// neither was).
std::function<std::optional<int>()> add_rules_share_commands(CLI::App& rules);

}  // namespace berth::cli
