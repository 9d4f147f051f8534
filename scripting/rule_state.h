// Internals shared by rule_set.cpp (registration, evaluation) and lua_api.cpp (what scripts call).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scripting/rule_set.h"
#include "scripting/server_index.h"

namespace berth::rules {

// A rule registered by the script: a Lua function (or selector) kept in the registry.
struct Rule {
  std::vector<std::string> tenants;  // empty: every tenant ("*")
  int ref = -1;                      // LUA_REGISTRYINDEX reference
  std::string where;                 // "name:line" of the registration
  std::string broken;                // set when it hit a limit in this evaluation: not called again
};

struct PinRule {
  std::string server;
  std::string where;
};

// One tenant's or stream's decisions while its rules run; resolved into masks afterwards.
struct Draft {
  bool has_allow = false, has_prefer = false;
  Mask allow, required, deny, prefer, avoid;
  double scale = 1;
  std::string spread_key, spread_where;
  double spread_share = 0;
  int64_t pin = -1;
  std::string narrowed_at;  // "name:line" of the last rule that took servers away

  void reset(const ServerIndex& index);
  Mask allowed(const ServerIndex& index) const;
  Mask preferred(const Mask& allowed) const;  // empty: no preference
};

// The evaluation under way.
struct Pass {
  const Input* input = nullptr;
  const ServerIndex* index = nullptr;
  std::unordered_map<std::string, Mask> selector_cache;
  Draft* draft = nullptr;     // what the current call decides
  uint64_t generation = 0;    // a handle from an earlier call is stale
  bool stream_call = false;
  uint32_t tenant = 0;
  uint64_t stream = 0;
  std::vector<uint64_t> tenant_streams;
  std::vector<double> tenant_load;
  int servers_ref = -1;       // servers(), built once per evaluation
  std::optional<Problem::Kind> error_kind;  // set by our functions before they raise
};

struct RuleSet::State {
  explicit State(Limits limits) : sandbox(limits) {}
  Sandbox sandbox;
  std::string name;     // the script's, for messages
  bool loading = true;  // registrations only while the chunk runs
  std::vector<Rule> dedications, tenant_rules, stream_rules;
  std::unordered_map<std::string, PinRule> pins;
  Pass* pass = nullptr;
};

// Registers the global functions and the handle metatable (lua_api.cpp).
void install_api(RuleSet::State& state);
// Pushes a handle on the current tenant or stream of the pass.
void push_handle(RuleSet::State& state);
// Resolves the selector at `index` (a server id, a list of ids, or a table of labels). Throws
// SelectorError.
Mask resolve_selector(lua_State* L, int index, Pass& pass);

}  // namespace berth::rules
