#include "scripting/sandbox.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <lua.hpp>

#include "common/error.h"

namespace berth::rules {
namespace {

constexpr int kHookStep = 1000;  // instructions between two looks at the budget

Sandbox* self_of(lua_State* L) { return *static_cast<Sandbox**>(lua_getextraspace(L)); }

void open(lua_State* L, const char* name, lua_CFunction fn) {
  luaL_requiref(L, name, fn, 1);
  lua_pop(L, 1);
}

void remove_field(lua_State* L, const char* table, const char* field) {
  if (lua_getglobal(L, table) == LUA_TTABLE) {
    lua_pushnil(L);
    lua_setfield(L, -2, field);
  }
  lua_pop(L, 1);
}

// print() writes nowhere: a rule has no output but its decisions.
int quiet_print(lua_State*) { return 0; }

void ignore_warning(void*, const char*, int) {}

}  // namespace

std::string defined_at(lua_State* L, int index) {
  lua_Debug ar;
  lua_pushvalue(L, index);
  if (lua_getinfo(L, ">S", &ar) == 0) return "?";
  return fmt::format("{}:{}", ar.short_src, ar.linedefined);
}

void* Sandbox::allocate(void* ud, void* ptr, size_t old_size, size_t new_size) noexcept {
  auto* self = static_cast<Sandbox*>(ud);
  if (ptr == nullptr) old_size = 0;  // then old_size is a type code, not a size
  if (new_size == 0) {
    std::free(ptr);
    self->used_ -= old_size;
    return nullptr;
  }
  if (new_size > old_size && self->used_ - old_size + new_size > self->limits_.memory_bytes) {
    self->memory_exceeded_ = true;  // remembered: a script's pcall may swallow the error Lua raises
    return nullptr;
  }
  void* out = std::realloc(ptr, new_size);
  if (out != nullptr) self->used_ = self->used_ - old_size + new_size;
  return out;
}

void Sandbox::count_hook(lua_State* L, lua_Debug* ar) {
  Sandbox* self = self_of(L);
  self->budget_ -= kHookStep;
  if (self->budget_ > 0 && !self->memory_exceeded_) return;
  // Once spent, raised again at every instruction: a pcall in the script catches one error, and
  // the very next instruction outside it raises the next, so the call ends however it nests.
  if (!self->instructions_exceeded_ && !self->memory_exceeded_) {
    self->instructions_exceeded_ = true;
    if (lua_getinfo(L, "Sl", ar) != 0) self->limit_where_ = fmt::format("{}:{}", ar->short_src, ar->currentline);
  }
  if (!self->every_instruction_) {
    self->every_instruction_ = true;
    lua_sethook(L, &Sandbox::count_hook, LUA_MASKCOUNT, 1);
  }
  luaL_error(L, "rules limit exceeded");
}

int Sandbox::message_handler(lua_State* L) {
  // Errors raised with a non-string value still get a position.
  if (lua_type(L, 1) != LUA_TSTRING) {
    const char* what = luaL_typename(L, 1);
    luaL_where(L, 1);
    lua_pushfstring(L, "%serror object is a %s value", lua_tostring(L, -1), what);
  }
  return 1;
}

Sandbox::Sandbox(Limits limits) : limits_(limits) {
  L_ = lua_newstate(&Sandbox::allocate, this);
  if (L_ == nullptr) throw Error(BERTH_E_INTERNAL, "cannot start a Lua state (out of memory?)");
  *static_cast<Sandbox**>(lua_getextraspace(L_)) = this;
  lua_setwarnf(L_, &ignore_warning, nullptr);
  open(L_, LUA_GNAME, luaopen_base);
  open(L_, LUA_TABLIBNAME, luaopen_table);
  open(L_, LUA_STRLIBNAME, luaopen_string);
  open(L_, LUA_MATHLIBNAME, luaopen_math);
  open(L_, LUA_UTF8LIBNAME, luaopen_utf8);
  // Other chunks, files and bytecode; the collector's controls (stopping it defeats the memory
  // cap's purpose, and its counts differ between runs).
  for (const char* name : {"dofile", "loadfile", "load", "loadstring", "require", "collectgarbage"}) {
    lua_pushnil(L_);
    lua_setglobal(L_, name);
  }
  lua_pushcfunction(L_, &quiet_print);
  lua_setglobal(L_, "print");
  remove_field(L_, LUA_STRLIBNAME, "dump");        // bytecode out
  remove_field(L_, LUA_MATHLIBNAME, "random");     // nothing nondeterministic
  remove_field(L_, LUA_MATHLIBNAME, "randomseed");
  lua_sethook(L_, &Sandbox::count_hook, LUA_MASKCOUNT, kHookStep);
  budget_ = static_cast<int64_t>(limits_.instructions);
}

Sandbox::~Sandbox() {
  if (L_ == nullptr) return;
  budget_ = 0;  // finalizers a script left behind stop at their first step
  lua_close(L_);
}

std::optional<std::string> Sandbox::load(std::string_view chunk_name, std::string_view text) {
  std::string name = "@" + std::string(chunk_name);
  memory_exceeded_ = false;
  int rc = luaL_loadbufferx(L_, text.data(), text.size(), name.c_str(), "t");
  if (rc == LUA_OK) return std::nullopt;
  std::string message = lua_type(L_, -1) == LUA_TSTRING ? lua_tostring(L_, -1) : "cannot load the chunk";
  lua_pop(L_, 1);
  if (message.rfind(std::string(chunk_name), 0) != 0) message = std::string(chunk_name) + ": " + message;  // e.g. bytecode
  if (rc == LUA_ERRMEM || memory_exceeded_)
    message = fmt::format("{}: memory limit of {} bytes exceeded while compiling", chunk_name, limits_.memory_bytes);
  return message;
}

void Sandbox::reset_budget() {
  budget_ = static_cast<int64_t>(limits_.instructions);
  instructions_exceeded_ = memory_exceeded_ = false;
  if (every_instruction_) {
    every_instruction_ = false;
    lua_sethook(L_, &Sandbox::count_hook, LUA_MASKCOUNT, kHookStep);
  }
}

std::optional<Sandbox::Failure> Sandbox::call(int nargs, std::string_view where_given) {
  int function = lua_gettop(L_) - nargs;
  std::string where = where_given.empty() ? defined_at(L_, function) : std::string(where_given);
  lua_pushcfunction(L_, &Sandbox::message_handler);
  lua_insert(L_, function);
  reset_budget();
  limit_where_.clear();
  int rc = lua_pcall(L_, nargs, 0, function);
  std::string message;
  if (rc != LUA_OK) message = lua_type(L_, -1) == LUA_TSTRING ? lua_tostring(L_, -1) : "error";
  lua_settop(L_, function - 1);
  bool instructions = instructions_exceeded_, memory = memory_exceeded_;
  reset_budget();
  if (instructions)
    return Failure{fmt::format("{}: instruction limit of {} exceeded (in the function at {})", limit_where_,
                               limits_.instructions, where),
                   true};
  if (memory || rc == LUA_ERRMEM) {
    lua_gc(L_, LUA_GCCOLLECT);
    return Failure{fmt::format("{}: memory limit of {} bytes exceeded (by the function there)", where, limits_.memory_bytes),
                   true};
  }
  if (rc != LUA_OK) return Failure{message, false};
  return std::nullopt;
}

}  // namespace berth::rules
