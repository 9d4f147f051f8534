// A Lua 5.4 state that cannot hurt the service: only the base, table, string, math and utf8
// libraries, without anything that reaches files, the clock, randomness, other chunks or bytecode;
// text chunks only; every call under an instruction budget and a memory cap that a script's own
// pcall cannot swallow.
//
// Lua here is Debian's C++ build (lua5.4-c++): a Lua error is a C++ exception, so destructors run
// when a rule fails half way through one of our functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct lua_State;
struct lua_Debug;

namespace berth::rules {

struct Limits {
  uint64_t instructions = 1000000;        // per call (one tenant, one stream, the chunk itself)
  uint64_t memory_bytes = uint64_t{64} << 20;  // the whole state
};

class Sandbox {
 public:
  explicit Sandbox(Limits limits);  // throws Error(BERTH_E_INTERNAL) if Lua cannot start
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  lua_State* state() const noexcept { return L_; }
  const Limits& limits() const noexcept { return limits_; }

  // Compiles a text chunk (bytecode is refused) and pushes it as a function. Returns the error
  // ("name:line: message") instead on a syntax error, pushing nothing.
  std::optional<std::string> load(std::string_view chunk_name, std::string_view text);

  struct Failure {
    std::string message;  // "name:line: what went wrong"
    bool limit = false;   // the instruction or memory limit, rather than the script's own error
  };
  // Calls the function below `nargs` arguments on the stack, discarding its results, under a
  // fresh instruction budget. Returns what went wrong, or nothing when it succeeded. A limit hit
  // is a failure even if the script caught it with pcall.
  // `where` names the function in limit messages when it is not the Lua function called (a C
  // trampoline); by default, where that function was defined.
  std::optional<Failure> call(int nargs, std::string_view where = {});

 private:
  static void* allocate(void* ud, void* ptr, size_t old_size, size_t new_size) noexcept;
  static void count_hook(lua_State* L, lua_Debug* ar);
  static int message_handler(lua_State* L);
  void reset_budget();

  Limits limits_;
  lua_State* L_ = nullptr;
  uint64_t used_ = 0;
  int64_t budget_ = 0;
  bool instructions_exceeded_ = false;
  bool memory_exceeded_ = false;
  bool every_instruction_ = false;  // the hook runs at every instruction once a limit struck
  std::string limit_where_;  // "name:line" where the instruction limit struck
};

// Where the function `index` on the stack was defined: "name:line".
std::string defined_at(lua_State* L, int index);

}  // namespace berth::rules
