// The functions a rules script calls. Each turns a wrong argument into a Lua error carrying the
// script's line (luaL_error), after noting what kind of problem it was for the report.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <lua.hpp>

#include "scripting/rule_state.h"

namespace berth::rules {
namespace {

constexpr const char* kHandleMeta = "berth.rules.handle";

struct Handle {
  uint64_t generation;
  bool stream;
};

RuleSet::State& state_of(lua_State* L) { return *static_cast<RuleSet::State*>(lua_touserdata(L, lua_upvalueindex(1))); }

std::string where(lua_State* L) {
  luaL_where(L, 1);
  std::string out = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (out.size() >= 2 && out.substr(out.size() - 2) == ": ") out.resize(out.size() - 2);
  return out;
}

// Raises `message` as a Lua error at the caller's line, remembering its kind.
[[noreturn]] void raise(lua_State* L, Problem::Kind kind, const std::string& message) {
  RuleSet::State& s = state_of(L);
  if (s.pass != nullptr) s.pass->error_kind = kind;
  luaL_error(L, "%s", message.c_str());
  __builtin_unreachable();
}

Pass& pass_of(lua_State* L, const char* function) {
  RuleSet::State& s = state_of(L);
  if (s.pass == nullptr) raise(L, Problem::runtime, fmt::format("{}() is only available inside a rule", function));
  return *s.pass;
}

void require_loading(lua_State* L, const char* function) {
  if (!state_of(L).loading)
    raise(L, Problem::runtime, fmt::format("{}() registers a rule: call it at the top level of the script", function));
}

std::vector<std::string> tenant_names(lua_State* L, int index, const char* function) {
  std::vector<std::string> out;
  if (lua_type(L, index) == LUA_TSTRING) {
    std::string name = lua_tostring(L, index);
    if (name != "*") out.push_back(name);
    return out;
  }
  if (lua_type(L, index) != LUA_TTABLE)
    raise(L, Problem::runtime, fmt::format("{}(): the first argument is a tenant name, \"*\" or a list of names", function));
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  for (lua_Integer i = 1; i <= n; ++i) {
    if (lua_rawgeti(L, index, i) != LUA_TSTRING)
      raise(L, Problem::runtime, fmt::format("{}(): tenant #{} of the list is not a string", function, i));
    out.emplace_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  if (out.empty()) raise(L, Problem::runtime, fmt::format("{}(): the tenant list is empty", function));
  return out;
}

// dedicate(tenants, selector): those servers take the tenants' streams and nobody else's.
int api_dedicate(lua_State* L) {
  require_loading(L, "dedicate");
  Rule rule;
  rule.tenants = tenant_names(L, 1, "dedicate");
  if (rule.tenants.empty()) raise(L, Problem::runtime, "dedicate(): name the tenants (\"*\" would dedicate to everyone)");
  if (lua_isnoneornil(L, 2)) raise(L, Problem::runtime, "dedicate(): the second argument selects the servers");
  lua_pushvalue(L, 2);
  rule.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  rule.where = where(L);
  state_of(L).dedications.push_back(std::move(rule));
  return 0;
}

int register_function(lua_State* L, const char* function, std::vector<Rule>& into) {
  require_loading(L, function);
  Rule rule;
  rule.tenants = tenant_names(L, 1, function);
  if (lua_type(L, 2) != LUA_TFUNCTION)
    raise(L, Problem::runtime, fmt::format("{}(): the second argument is the rule, a function", function));
  lua_pushvalue(L, 2);
  rule.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  rule.where = where(L);
  into.push_back(std::move(rule));
  return 0;
}

// tenant(names, function(t) ... end): called once per tenant that has streams.
int api_tenant(lua_State* L) { return register_function(L, "tenant", state_of(L).tenant_rules); }
// stream(names, function(s) ... end): called once per stream of those tenants.
int api_stream(lua_State* L) { return register_function(L, "stream", state_of(L).stream_rules); }

// pin(stream, server): that stream goes to that server, whatever else the rules say.
int api_pin(lua_State* L) {
  require_loading(L, "pin");
  const char* stream = luaL_checkstring(L, 1);
  const char* server = luaL_checkstring(L, 2);
  auto [it, inserted] = state_of(L).pins.try_emplace(stream, PinRule{server, where(L)});
  if (!inserted) raise(L, Problem::runtime, fmt::format("pin(): stream '{}' is already pinned at {}", stream, it->second.where));
  return 0;
}

// servers(): { {id=, capacity=, state=, labels={...}}, ... }, sorted by id. Built once per evaluation.
int api_servers(lua_State* L) {
  Pass& p = pass_of(L, "servers");
  if (p.servers_ref != LUA_NOREF && p.servers_ref >= 0) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, p.servers_ref);
    return 1;
  }
  const berth_server_set& servers = *p.input->servers;
  lua_createtable(L, static_cast<int>(servers.count), 0);
  for (uint32_t i = 0; i < servers.count; ++i) {
    lua_createtable(L, 0, 4);
    std::string_view id = p.index->id(i);
    lua_pushlstring(L, id.data(), id.size());
    lua_setfield(L, -2, "id");
    lua_pushnumber(L, servers.capacity[i]);
    lua_setfield(L, -2, "capacity");
    const char* state = servers.state[i] == BERTH_SERVER_DRAINING ? "draining" : servers.state[i] == BERTH_SERVER_READ_ONLY ? "read_only" : "up";
    lua_pushstring(L, state);
    lua_setfield(L, -2, "state");
    lua_createtable(L, 0, static_cast<int>(p.index->labels(i).size()));
    for (const auto& [key, value] : p.index->labels(i)) {
      if (value.empty()) lua_pushboolean(L, 1);
      else lua_pushlstring(L, value.data(), value.size());
      lua_setfield(L, -2, key.c_str());
    }
    lua_setfield(L, -2, "labels");
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
  lua_pushvalue(L, -1);
  p.servers_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

// label_values(key): the distinct values servers have for `key`, sorted.
int api_label_values(lua_State* L) {
  Pass& p = pass_of(L, "label_values");
  const char* key = luaL_checkstring(L, 1);
  std::vector<std::string> values = p.index->values(key);
  if (values.empty()) raise(L, Problem::unknown_label, fmt::format("unknown label '{}' (servers have: {})", key, p.index->known_keys()));
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lua_pushlstring(L, values[i].data(), values[i].size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
  return 1;
}

// The draft behind a handle, if the handle belongs to the call under way.
Draft& draft_of(lua_State* L, const char* method, bool stream_only = false, bool tenant_only = false) {
  auto* h = static_cast<Handle*>(luaL_checkudata(L, 1, kHandleMeta));
  RuleSet::State& s = state_of(L);
  if (s.pass == nullptr || s.pass->draft == nullptr || h->generation != s.pass->generation)
    raise(L, Problem::runtime, fmt::format("{}: this tenant/stream handle belongs to a rule call that has ended", method));
  if (stream_only && !h->stream) raise(L, Problem::runtime, fmt::format("{}() is for stream rules (s:{}), not tenant rules", method, method));
  if (tenant_only && h->stream) raise(L, Problem::runtime, fmt::format("{}() is for tenant rules (t:{}), not stream rules", method, method));
  return *s.pass->draft;
}

Mask selected(lua_State* L, int index, const char* method) {
  Pass& p = *state_of(L).pass;
  std::string error;
  Problem::Kind kind = Problem::runtime;
  try {
    return resolve_selector(L, index, p);
  } catch (const SelectorError& e) {
    error = fmt::format("{}(): {}", method, e.what());
    kind = e.kind() == SelectorError::unknown_server ? Problem::unknown_server
           : e.kind() == SelectorError::unknown_label ? Problem::unknown_label : Problem::runtime;
  }
  raise(L, kind, error);  // outside the catch block: a Lua error is itself an exception
}

int m_allow(lua_State* L) {
  Draft& d = draft_of(L, "allow");
  Mask m = selected(L, 2, "allow");
  if (!d.has_allow) d.allow = m;
  else or_with(d.allow, m);
  d.has_allow = true;
  d.narrowed_at = where(L);
  return 0;
}

int m_require(lua_State* L) {
  Draft& d = draft_of(L, "require");
  and_with(d.required, selected(L, 2, "require"));
  d.narrowed_at = where(L);
  return 0;
}

int m_deny(lua_State* L) {
  Draft& d = draft_of(L, "deny");
  or_with(d.deny, selected(L, 2, "deny"));
  d.narrowed_at = where(L);
  return 0;
}

int m_prefer(lua_State* L) {
  Draft& d = draft_of(L, "prefer");
  or_with(d.prefer, selected(L, 2, "prefer"));
  d.has_prefer = true;
  return 0;
}

int m_avoid(lua_State* L) {
  Draft& d = draft_of(L, "avoid");
  or_with(d.avoid, selected(L, 2, "avoid"));
  return 0;
}

int m_scale(lua_State* L) {
  Draft& d = draft_of(L, "scale");
  lua_Number f = luaL_checknumber(L, 2);
  if (!std::isfinite(f) || f < 0) raise(L, Problem::runtime, fmt::format("scale(): {} is not a finite factor >= 0", f));
  d.scale *= f;
  return 0;
}

int m_spread(lua_State* L) {
  Draft& d = draft_of(L, "spread", false, true);
  const char* key = luaL_checkstring(L, 2);
  lua_Number share = luaL_checknumber(L, 3);
  if (!(share > 0 && share <= 1)) raise(L, Problem::runtime, fmt::format("spread(): the share {} is not in (0, 1]", share));
  if (state_of(L).pass->index->values(key).empty())
    raise(L, Problem::unknown_label, fmt::format("spread(): unknown label '{}' (servers have: {})", key, state_of(L).pass->index->known_keys()));
  d.spread_key = key;
  d.spread_share = share;
  d.spread_where = where(L);
  return 0;
}

int m_pin(lua_State* L) {
  Draft& d = draft_of(L, "pin", true);
  const char* server = luaL_checkstring(L, 2);
  std::string error;
  try {
    d.pin = state_of(L).pass->index->server(server);
    return 0;
  } catch (const SelectorError& e) {
    error = fmt::format("pin(): {}", e.what());
  }
  raise(L, Problem::unknown_server, error);
}

int handle_index(lua_State* L) {
  auto* h = static_cast<Handle*>(luaL_checkudata(L, 1, kHandleMeta));
  const char* key = luaL_checkstring(L, 2);
  RuleSet::State& s = state_of(L);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) return 1;  // a method
  lua_pop(L, 1);
  if (s.pass == nullptr || h->generation != s.pass->generation)
    raise(L, Problem::runtime, "this tenant/stream handle belongs to a rule call that has ended");
  Pass& p = *s.pass;
  const berth_stream_set& streams = *p.input->streams;
  std::string_view field = key;
  auto push_view = [&](std::string_view v) { lua_pushlstring(L, v.data(), v.size()); };
  std::string_view tenant{streams.tenant_arena + streams.tenant_offsets[p.tenant],
                          streams.tenant_offsets[p.tenant + 1] - streams.tenant_offsets[p.tenant]};
  if (!h->stream) {
    if (field == "name") push_view(tenant);
    else if (field == "streams") lua_pushinteger(L, static_cast<lua_Integer>(p.tenant_streams[p.tenant]));
    else if (field == "load") lua_pushnumber(L, p.tenant_load[p.tenant]);
    else lua_pushnil(L);
    return 1;
  }
  uint64_t i = p.stream;
  if (field == "id") push_view({streams.id_arena + streams.id_offsets[i], streams.id_offsets[i + 1] - streams.id_offsets[i]});
  else if (field == "tenant") push_view(tenant);
  else if (field == "load") lua_pushnumber(L, p.input->load[i]);
  else if (field == "owner") {
    uint32_t owner = p.input->previous_owner != nullptr ? p.input->previous_owner[i] : BERTH_NO_SERVER;
    if (owner < p.index->size()) push_view(p.index->id(owner));
    else lua_pushnil(L);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int handle_newindex(lua_State* L) {
  raise(L, Problem::runtime, "a tenant/stream handle is read-only: use its methods (allow, deny, prefer, ...)");
}

int handle_tostring(lua_State* L) {
  auto* h = static_cast<Handle*>(luaL_checkudata(L, 1, kHandleMeta));
  lua_pushstring(L, h->stream ? "berth stream" : "berth tenant");
  return 1;
}

void add_selector_entry(lua_State* L, std::vector<std::pair<std::string, std::vector<std::string>>>& labels) {
  // key at -2, value at -1; raw access only (no metamethods run here)
  std::string key = lua_tostring(L, -2);
  std::vector<std::string> values;
  int t = lua_type(L, -1);
  if (t == LUA_TBOOLEAN && lua_toboolean(L, -1)) {
    // has the key at all
  } else if (t == LUA_TSTRING || t == LUA_TNUMBER) {
    lua_pushvalue(L, -1);
    values.emplace_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  } else if (t == LUA_TTABLE) {
    lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
    for (lua_Integer i = 1; i <= n; ++i) {
      int vt = lua_rawgeti(L, -1, i);
      if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
        throw SelectorError(SelectorError::malformed, fmt::format("label '{}': value #{} is not a string", key, i));
      lua_pushvalue(L, -1);
      values.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 2);
    }
    if (values.empty()) throw SelectorError(SelectorError::malformed, fmt::format("label '{}': the list of values is empty", key));
  } else {
    throw SelectorError(SelectorError::malformed,
                        fmt::format("label '{}': a value is a string, a list of strings, or true", key));
  }
  std::sort(values.begin(), values.end());
  labels.emplace_back(std::move(key), std::move(values));
}

}  // namespace

Mask resolve_selector(lua_State* L, int index, Pass& p) {
  index = lua_absindex(L, index);
  int type = lua_type(L, index);
  if (type == LUA_TSTRING) {
    std::string id = lua_tostring(L, index);
    Mask m = p.index->none();
    set(m, p.index->server(id));
    return m;
  }
  if (type != LUA_TTABLE)
    throw SelectorError(SelectorError::malformed,
                        "a selector is a server id, a list of server ids, or a table of labels such as {zone = \"a\"}");
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, std::vector<std::string>>> labels;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) == LUA_TNUMBER) {
      if (lua_type(L, -1) != LUA_TSTRING)
        throw SelectorError(SelectorError::malformed, "a list of servers holds server ids (strings)");
      ids.emplace_back(lua_tostring(L, -1));
    } else if (lua_type(L, -2) == LUA_TSTRING) {
      add_selector_entry(L, labels);
    } else {
      throw SelectorError(SelectorError::malformed, "selector keys are label names (or list positions for server ids)");
    }
    lua_pop(L, 1);
  }
  if (!ids.empty() && !labels.empty())
    throw SelectorError(SelectorError::malformed, "a selector is either a list of server ids or a table of labels, not both");
  if (ids.empty() && labels.empty()) throw SelectorError(SelectorError::malformed, "an empty selector selects nothing");
  // The same selector in every tenant's call resolves once per evaluation.
  std::sort(ids.begin(), ids.end());
  std::sort(labels.begin(), labels.end());
  std::string key;
  for (const auto& id : ids) key += "#" + id + '\n';
  for (const auto& [k, values] : labels) {
    key += k + '=';
    for (const auto& v : values) key += v + '|';
    key += '\n';
  }
  auto cached = p.selector_cache.find(key);
  if (cached != p.selector_cache.end()) return cached->second;
  Mask m = p.index->none();
  if (!ids.empty()) {
    for (const auto& id : ids) set(m, p.index->server(id));
  } else {
    m = p.index->all();
    for (const auto& [k, values] : labels) and_with(m, p.index->with_label(k, values));
  }
  p.selector_cache.emplace(std::move(key), m);
  return m;
}

void install_api(RuleSet::State& s) {
  lua_State* L = s.sandbox.state();
  auto global = [&](const char* name, lua_CFunction fn) {
    lua_pushlightuserdata(L, &s);
    lua_pushcclosure(L, fn, 1);
    lua_setglobal(L, name);
  };
  global("dedicate", api_dedicate);
  global("tenant", api_tenant);
  global("stream", api_stream);
  global("pin", api_pin);
  global("servers", api_servers);
  global("label_values", api_label_values);

  luaL_newmetatable(L, kHandleMeta);
  lua_newtable(L);  // methods
  const std::pair<const char*, lua_CFunction> methods[] = {{"allow", m_allow},   {"require", m_require}, {"deny", m_deny},
                                                           {"prefer", m_prefer}, {"avoid", m_avoid},     {"scale", m_scale},
                                                           {"spread", m_spread}, {"pin", m_pin}};
  for (const auto& [name, fn] : methods) {
    lua_pushlightuserdata(L, &s);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
  }
  lua_pushlightuserdata(L, &s);
  lua_insert(L, -2);
  lua_pushcclosure(L, handle_index, 2);  // upvalues: state, methods
  lua_setfield(L, -2, "__index");
  lua_pushlightuserdata(L, &s);
  lua_pushcclosure(L, handle_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushlightuserdata(L, &s);
  lua_pushcclosure(L, handle_tostring, 1);
  lua_setfield(L, -2, "__tostring");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable() cannot reach the methods' internals
  lua_pop(L, 1);
}

void push_handle(RuleSet::State& s) {
  lua_State* L = s.sandbox.state();
  auto* h = static_cast<Handle*>(lua_newuserdatauv(L, sizeof(Handle), 0));
  h->generation = s.pass->generation;
  h->stream = s.pass->stream_call;
  luaL_setmetatable(L, kHandleMeta);
}

}  // namespace berth::rules
