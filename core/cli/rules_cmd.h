// `berth rules check FILE` and `berth plan --rules FILE`: judge a rules script against a cluster
// (a backend's current snapshot, or a simulated one) before it is put in force.
#pragma once

#include <string>

#include "tools/rules_cluster.h"

namespace berth::cli {

struct RulesCommandOptions {
  std::string file;
  tools::ClusterSource cluster;
  std::string policy;  // overrides policy.name (plan)
  uint64_t instruction_limit = 0;  // 0: rules.instruction_limit from the configuration
  bool json = false;
};

// Compiles FILE, evaluates it, prints every problem. Exit code 0 when there is none, 1 otherwise.
int run_rules_check(const RulesCommandOptions& options);

// What would move if FILE were in force: per tenant and per server, streams and load in and out.
// Exit code 0, or 1 when the script has errors (it would be refused).
int run_plan(const RulesCommandOptions& options);

}  // namespace berth::cli
