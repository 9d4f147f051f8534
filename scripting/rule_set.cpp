#include "scripting/rule_set.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <lua.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/error.h"
#include "scripting/rule_state.h"
#include "scripting/spread.h"

namespace berth::rules {

const char* kind_name(Problem::Kind kind) noexcept {
  switch (kind) {
    case Problem::syntax: return "syntax error";
    case Problem::runtime: return "runtime error";
    case Problem::limit: return "limit exceeded";
    case Problem::unknown_server: return "unknown server";
    case Problem::unknown_label: return "unknown label";
    case Problem::no_allowed_server: return "no allowed server";
    case Problem::spread: return "spread cannot be met";
  }
  return "problem";
}

bool Evaluation::has_errors() const noexcept {
  return std::any_of(problems.begin(), problems.end(), [](const Problem& p) { return p.is_error(); });
}

std::string Evaluation::report() const {
  std::string out;
  for (const Problem& p : problems) out += fmt::format("{}: {}\n", kind_name(p.kind), p.message);
  if (problem_count > problems.size()) out += fmt::format("... and {} more\n", problem_count - problems.size());
  return out;
}

uint64_t rules_hash(std::string_view text) noexcept {
  uint64_t h = XXH3_64bits(text.data(), text.size());
  return h != 0 ? h : 1;
}

void Draft::reset(const ServerIndex& index) {
  has_allow = has_prefer = false;
  allow = deny = prefer = avoid = index.none();
  required = index.all();
  scale = 1;
  spread_key.clear();
  spread_where.clear();
  spread_share = 0;
  pin = -1;
  narrowed_at.clear();
}

Mask Draft::allowed(const ServerIndex& index) const {
  Mask m = has_allow ? allow : index.all();
  and_with(m, required);
  and_not(m, deny);
  return m;
}

Mask Draft::preferred(const Mask& allowed) const {
  if (!has_prefer && !any(avoid)) return Mask(allowed.size(), 0);
  Mask m = has_prefer ? prefer : allowed;
  and_with(m, allowed);
  and_not(m, avoid);
  return m;
}

RuleSet::RuleSet(std::string name, std::string text, Limits limits)
    : name_(std::move(name)), text_(std::move(text)), hash_(rules_hash(text_)), state_(std::make_unique<State>(limits)) {}

RuleSet::~RuleSet() = default;

std::shared_ptr<RuleSet> RuleSet::compile(std::string name, std::string text, Limits limits) {
  std::shared_ptr<RuleSet> rules(new RuleSet(std::move(name), std::move(text), limits));
  State& s = *rules->state_;
  s.name = rules->name_;
  install_api(s);
  if (auto error = s.sandbox.load(rules->name_, rules->text_))
    throw Error(BERTH_E_CONFIG, fmt::format("rules: syntax error: {}", *error));
  if (auto failure = s.sandbox.call(0))
    throw Error(BERTH_E_CONFIG, fmt::format("rules: {}: {} (while loading the script)",
                                            failure->limit ? "limit exceeded" : "runtime error", failure->message));
  s.loading = false;
  return rules;
}

namespace {

// Everything that allocates in the Lua state runs inside a protected call: an allocation the
// memory cap refuses outside one would end the process (Lua's panic).

// Calls the rule (registry reference, argument 2) on a new handle of the pass under way.
int call_rule(lua_State* L) {
  auto* s = static_cast<RuleSet::State*>(lua_touserdata(L, 1));
  lua_Integer ref = lua_tointeger(L, 2);
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  push_handle(*s);
  lua_call(L, 1, 0);
  return 0;
}

struct Resolution {
  Pass* pass;
  int ref;
  Mask mask;
  std::optional<SelectorError> error;
};

// Resolves a selector registered at the top level (dedicate) for the pass under way.
int resolve_registered(lua_State* L) {
  auto* r = static_cast<Resolution*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
  try {
    r->mask = resolve_selector(L, -1, *r->pass);
  } catch (const SelectorError& e) {
    r->error = e;  // reported by the caller: a C++ exception must not cross lua_pcall
  }
  return 0;
}

// One evaluation: the steps of RuleSet::evaluate over shared working data.
class Evaluator {
 public:
  Evaluator(RuleSet::State& s, const Input& in, const ServerIndex& index, Evaluation& out)
      : s_(s), in_(in), index_(index), out_(out), L_(s.sandbox.state()) {
    pass_.input = &in;
    pass_.index = &index;
    s_.pass = &pass_;
    n_ = in.streams->count;
    tenants_ = in.streams->tenant_count;
  }
  ~Evaluator() {
    if (pass_.servers_ref >= 0) luaL_unref(L_, LUA_REGISTRYINDEX, pass_.servers_ref);
    for (Rule& r : s_.stream_rules) r.broken.clear();
    for (Rule& r : s_.tenant_rules) r.broken.clear();
    s_.pass = nullptr;
  }

  void run() {
    out_.constraints = Constraints(n_);
    if (in_.explain) out_.decided_by.assign(n_, std::string());
    count_tenants();
    resolve_dedications();
    tenant_result_.resize(tenants_);
    for (uint32_t t = 0; t < tenants_; ++t)
      if (pass_.tenant_streams[t] > 0) evaluate_tenant(t);
    assign_streams();
    for (uint32_t t = 0; t < tenants_; ++t)
      if (tenant_result_[t].state == ok && !tenant_result_[t].draft.spread_key.empty()) spread_tenant(t);
    for (uint32_t t = 0; t < tenants_; ++t)
      if (tenant_result_[t].state != ok && tenant_result_[t].held > 0 && !tenant_result_[t].reported) report_tenant(t);
  }

 private:
  enum State { ok, failed, unplaceable };
  struct TenantResult {
    State state = ok;
    Draft draft;
    Mask allowed, preferred;
    uint32_t cls = BERTH_NO_CLASS;
    bool constrained = false;
    Problem problem{Problem::runtime, "", 0};
    uint64_t held = 0;  // streams of this tenant kept on their owner
    bool reported = false;
  };

  std::string_view tenant_name(uint32_t t) const {
    const berth_stream_set& st = *in_.streams;
    return {st.tenant_arena + st.tenant_offsets[t], st.tenant_offsets[t + 1] - st.tenant_offsets[t]};
  }
  std::string_view stream_id(uint64_t i) const {
    const berth_stream_set& st = *in_.streams;
    return {st.id_arena + st.id_offsets[i], st.id_offsets[i + 1] - st.id_offsets[i]};
  }
  uint32_t previous(uint64_t i) const { return in_.previous_owner != nullptr ? in_.previous_owner[i] : BERTH_NO_SERVER; }

  void add_problem(Problem p) {
    ++out_.problem_count;
    if (out_.problems.size() < kMaxProblems) out_.problems.push_back(std::move(p));
  }

  void count_tenants() {
    pass_.tenant_streams.assign(tenants_, 0);
    pass_.tenant_load.assign(tenants_, 0);
    for (uint64_t i = 0; i < n_; ++i) {
      uint32_t t = in_.streams->tenant[i];
      ++pass_.tenant_streams[t];
      pass_.tenant_load[t] += in_.load[i];
    }
  }

  void resolve_dedications() {
    reserved_ = index_.none();
    for (const Rule& d : s_.dedications) {
      Resolution r{&pass_, d.ref, {}, std::nullopt};
      lua_pushcfunction(L_, &resolve_registered);
      lua_pushlightuserdata(L_, &r);
      auto failure = s_.sandbox.call(1, d.where);
      Mask m = std::move(r.mask);
      std::optional<Problem> problem;
      if (failure) {
        problem = Problem{failure->limit ? Problem::limit : Problem::runtime, failure->message, 0};
      } else if (r.error) {
        const SelectorError& e = *r.error;
        Problem::Kind kind = e.kind() == SelectorError::unknown_server ? Problem::unknown_server
                             : e.kind() == SelectorError::unknown_label ? Problem::unknown_label : Problem::runtime;
        problem = Problem{kind, fmt::format("{}: dedicate(): {}", d.where, e.what()), 0};
      }
      lua_settop(L_, 0);
      if (problem) {
        // Reported now, whether or not those tenants have streams. Their streams are held where
        // they are; nobody else is kept off servers it could not name.
        std::string named;
        for (const std::string& t : d.tenants) named += fmt::format("{}tenant '{}'", named.empty() ? "" : ", ", t);
        problem->message += " [" + named + "]";
        for (const std::string& t : d.tenants) {
          broken_dedication_[t] = *problem;
          for (uint32_t i = 0; i < tenants_; ++i)
            if (tenant_name(i) == t) problem->streams += pass_.tenant_streams[i];
        }
        add_problem(*problem);
        continue;
      }
      or_with(reserved_, m);
      for (const std::string& t : d.tenants) {
        auto [it, inserted] = dedicated_.try_emplace(t, m);
        if (!inserted) or_with(it->second, m);
        dedicated_where_[t] = d.where;
      }
    }
  }

  // Runs `rule` on a fresh handle; on failure fills `problem`.
  bool call(Rule& rule, Draft& draft, std::string_view subject, Problem& problem) {
    if (!rule.broken.empty()) {
      problem = Problem{Problem::limit, fmt::format("{} (rule not called again in this evaluation) [{}]", rule.broken, subject), 0};
      return false;
    }
    pass_.draft = &draft;
    ++pass_.generation;
    pass_.error_kind.reset();
    lua_pushcfunction(L_, &call_rule);
    lua_pushlightuserdata(L_, &s_);
    lua_pushinteger(L_, rule.ref);
    auto failure = s_.sandbox.call(2, rule.where);
    pass_.draft = nullptr;
    ++pass_.generation;  // the handle dies with the call
    if (!failure) return true;
    Problem::Kind kind = failure->limit ? Problem::limit : pass_.error_kind.value_or(Problem::runtime);
    if (failure->limit) rule.broken = failure->message;
    problem = Problem{kind, fmt::format("{} [{}]", failure->message, subject), 0};
    return false;
  }

  void evaluate_tenant(uint32_t t) {
    TenantResult& r = tenant_result_[t];
    r.draft.reset(index_);
    std::string name(tenant_name(t));
    std::string subject = fmt::format("tenant '{}'", name);
    if (broken_dedication_.contains(name)) {
      r.state = failed;
      r.reported = true;  // with the dedication
      return;
    }
    auto mine = dedicated_.find(name);
    Mask others = reserved_;
    if (mine != dedicated_.end()) {
      and_with(r.draft.required, mine->second);
      and_not(others, mine->second);
      r.draft.narrowed_at = dedicated_where_[name];
      r.constrained = true;
    }
    if (any(others)) {
      or_with(r.draft.deny, others);
      if (r.draft.narrowed_at.empty()) r.draft.narrowed_at = s_.dedications.front().where;
      r.constrained = true;
    }
    pass_.stream_call = false;
    pass_.tenant = t;
    for (Rule& rule : s_.tenant_rules) {
      if (!rule.tenants.empty() && std::find(rule.tenants.begin(), rule.tenants.end(), name) == rule.tenants.end()) continue;
      r.constrained = true;
      ++out_.tenant_calls;
      if (!call(rule, r.draft, subject, r.problem)) {
        r.state = failed;
        return;
      }
    }
    r.allowed = r.draft.allowed(index_);
    r.preferred = r.draft.preferred(r.allowed);
    if (!any(r.allowed)) {
      r.state = unplaceable;
      r.problem = Problem{Problem::no_allowed_server,
                          fmt::format("{}: {}: the rules leave no allowed server; its streams keep their current owners",
                                      r.draft.narrowed_at.empty() ? s_.name : r.draft.narrowed_at, subject),
                          0};
      return;
    }
    if (r.allowed == index_.all() && !any(r.preferred)) r.constrained = false;
  }

  // The tenant's class, made when a stream first uses it (a spread tenant's streams use their
  // zones' classes instead).
  uint32_t tenant_class(TenantResult& r) {
    if (r.constrained && r.cls == BERTH_NO_CLASS) r.cls = out_.constraints.class_for(r.allowed, r.preferred);
    return r.cls;
  }

  // A stream whose rules failed stays where it is (a class of its owner alone), or is placed
  // freely when it has none.
  void hold(uint64_t i) {
    uint32_t owner = previous(i);
    if (owner < index_.size()) {
      Mask m = index_.none();
      set(m, owner);
      out_.constraints.assign(i, out_.constraints.class_for(m, index_.none()));
    }
    ++out_.kept_owner;
  }

  void assign_streams() {
    bool scaled = false;
    for (const TenantResult& r : tenant_result_) scaled = scaled || (r.state == ok && r.draft.scale != 1);
    std::vector<bool> tenant_has_stream_rules(tenants_, false);
    bool any_stream_rules = false;
    for (uint32_t t = 0; t < tenants_; ++t) {
      if (pass_.tenant_streams[t] == 0) continue;
      std::string name(tenant_name(t));
      for (const Rule& rule : s_.stream_rules)
        if (rule.tenants.empty() || std::find(rule.tenants.begin(), rule.tenants.end(), name) != rule.tenants.end())
          tenant_has_stream_rules[t] = any_stream_rules = true;
    }
    if (scaled || any_stream_rules) out_.load.assign(in_.load, in_.load + n_);
    if (scaled)
      for (uint64_t i = 0; i < n_; ++i) {
        const TenantResult& r = tenant_result_[in_.streams->tenant[i]];
        if (r.state == ok) out_.load[i] *= r.draft.scale;
      }

    Draft draft;
    for (uint64_t i = 0; i < n_; ++i) {
      uint32_t t = in_.streams->tenant[i];
      TenantResult& r = tenant_result_[t];
      if (!s_.pins.empty()) {
        auto pin = s_.pins.find(std::string(stream_id(i)));
        if (pin != s_.pins.end()) {
          decided(i, pin->second.where);
          pin_stream(i, pin->second);
          continue;
        }
      }
      if (r.state != ok) {
        hold(i);
        ++r.held;
        continue;
      }
      if (tenant_has_stream_rules[t]) {
        stream_rules(i, r, draft);
        continue;
      }
      if (!r.draft.spread_key.empty()) {
        decided(i, r.draft.spread_where);
        spread_members_[t].push_back(i);  // spread_tenant() decides
        continue;
      }
      decided(i, r.draft.narrowed_at);
      out_.constraints.assign(i, tenant_class(r));
    }
    // Scaled loads are handed on only when some rule changed one.
    if (!out_.load.empty() && std::equal(out_.load.begin(), out_.load.end(), in_.load)) out_.load.clear();
  }

  void decided(uint64_t i, const std::string& where) {
    if (!out_.decided_by.empty()) out_.decided_by[i] = where;
  }

  void pin_stream(uint64_t i, const PinRule& pin) {
    std::string error;
    try {
      Mask m = index_.none();
      set(m, index_.server(pin.server));
      out_.constraints.assign(i, out_.constraints.class_for(m, index_.none()));
      return;
    } catch (const SelectorError& e) {
      error = e.what();
    }
    add_problem(Problem{Problem::unknown_server,
                        fmt::format("{}: pin(): {}; the stream keeps its current owner [stream '{}']", pin.where, error, stream_id(i)), 1});
    hold(i);
  }

  void stream_rules(uint64_t i, TenantResult& r, Draft& draft) {
    draft = r.draft;
    draft.spread_key.clear();  // a stream's own decisions replace the tenant's spread
    std::string name(tenant_name(in_.streams->tenant[i]));
    std::string subject = fmt::format("stream '{}' of tenant '{}'", stream_id(i), name);
    pass_.stream_call = true;
    pass_.tenant = in_.streams->tenant[i];
    pass_.stream = i;
    for (Rule& rule : s_.stream_rules) {
      if (!rule.tenants.empty() && std::find(rule.tenants.begin(), rule.tenants.end(), name) == rule.tenants.end()) continue;
      ++out_.stream_calls;
      Problem problem{Problem::runtime, "", 1};
      if (!call(rule, draft, subject, problem)) {
        problem.streams = 1;
        add_problem(std::move(problem));
        hold(i);
        return;
      }
    }
    out_.load[i] = in_.load[i] * draft.scale;  // the tenant's scale times the stream's own
    decided(i, draft.narrowed_at);
    if (draft.pin >= 0) {
      Mask m = index_.none();
      set(m, static_cast<uint32_t>(draft.pin));
      out_.constraints.assign(i, out_.constraints.class_for(m, index_.none()));
      return;
    }
    Mask allowed = draft.allowed(index_);
    if (!any(allowed)) {
      add_problem(Problem{Problem::no_allowed_server,
                          fmt::format("{}: {}: the rules leave no allowed server; it keeps its current owner",
                                      draft.narrowed_at.empty() ? s_.name : draft.narrowed_at, subject),
                          1});
      hold(i);
      return;
    }
    Mask preferred = draft.preferred(allowed);
    if (allowed == index_.all() && !any(preferred)) return;  // unconstrained after all
    out_.constraints.assign(i, out_.constraints.class_for(allowed, preferred));
  }

  void spread_tenant(uint32_t t) {
    TenantResult& r = tenant_result_[t];
    // Pinned streams and streams with rules of their own are not part of the spread.
    const std::vector<uint64_t>& members = spread_members_[t];
    std::vector<uint32_t> owners(members.size());
    for (size_t k = 0; k < members.size(); ++k) owners[k] = previous(members[k]);
    SpreadResult sr = spread_across(index_, r.allowed, r.draft.spread_key, r.draft.spread_share, owners);
    if (!sr.note.empty())
      add_problem(Problem{Problem::spread, fmt::format("{}: tenant '{}': {}", r.draft.spread_where, tenant_name(t), sr.note), 0});
    if (sr.zones.empty()) {
      add_problem(Problem{Problem::no_allowed_server,
                          fmt::format("{}: tenant '{}': no allowed server has the label '{}'; its streams keep their current owners",
                                      r.draft.spread_where, tenant_name(t), r.draft.spread_key),
                          members.size()});
      for (uint64_t i : members) hold(i);
      return;
    }
    std::vector<uint32_t> zone_class(sr.zones.size());
    for (size_t z = 0; z < sr.zones.size(); ++z) {
      Mask preferred = r.preferred;
      if (any(preferred)) and_with(preferred, sr.zones[z]);
      zone_class[z] = out_.constraints.class_for(sr.zones[z], preferred);
    }
    for (size_t k = 0; k < members.size(); ++k) out_.constraints.assign(members[k], zone_class[sr.zone_of[k]]);
  }

  void report_tenant(uint32_t t) {
    TenantResult& r = tenant_result_[t];
    r.problem.streams = r.held;
    add_problem(r.problem);
  }

  RuleSet::State& s_;
  const Input& in_;
  const ServerIndex& index_;
  Evaluation& out_;
  lua_State* L_;
  Pass pass_;
  uint64_t n_ = 0;
  uint32_t tenants_ = 0;
  Mask reserved_;
  std::unordered_map<std::string, Mask> dedicated_;
  std::unordered_map<std::string, std::string> dedicated_where_;
  std::unordered_map<std::string, Problem> broken_dedication_;
  std::vector<TenantResult> tenant_result_;
  std::unordered_map<uint32_t, std::vector<uint64_t>> spread_members_;
};

}  // namespace

Evaluation RuleSet::evaluate(const Input& input) {
  std::lock_guard lock(mutex_);
  Evaluation out;
  if (input.servers->count == 0) {  // nothing to choose between: the policy reports it
    out.constraints = Constraints(input.streams->count);
    return out;
  }
  ServerIndex index(*input.servers, *input.labels);
  Evaluator evaluator(*state_, input, index, out);
  evaluator.run();
  lua_settop(state_->sandbox.state(), 0);
  return out;
}

}  // namespace berth::rules
