// berth_engine_rules_*, berth_snapshot_rules: the rules every node shares (docs/catalogue.md).
#include <chrono>
#include <string>
#include <string_view>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "capi/snapshot_handle.h"
#include "snapshot/shared_rules.h"

using berth::capi::guard;

namespace {

berth::Engine& engine_arg(berth_engine* e, const char* function) {
  if (e == nullptr || !e->engine) throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": engine is NULL");
  return *e->engine;
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_engine_rules_push(berth_engine* engine, const char* script, size_t script_len,
                                          uint64_t* out_replaces_version, uint64_t* out_hash, berth_error** err) {
  return guard(err, [&] {
    berth::Engine& e = engine_arg(engine, "berth_engine_rules_push");
    BERTH_REQUIRE_ARG(script != nullptr, "berth_engine_rules_push: script is NULL");
    BERTH_REQUIRE_ARG(script_len != 0, "berth_engine_rules_push: the script is empty (write a comment for no rules)");
    if (script_len > berth::kMaxRulesScriptBytes)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_engine_rules_push: the script has " + std::to_string(script_len) +
                                                       " bytes, more than the limit of " +
                                                       std::to_string(berth::kMaxRulesScriptBytes));
    berth::Engine::RulesPush push;
    try {
      push = e.push_rules(std::string_view(script, script_len));
    } catch (const berth::Error& failure) {
      // No snapshot to check against: the same code as berth_engine_snapshot's.
      if (failure.code() == BERTH_E_UNAVAILABLE) throw berth::Error(BERTH_E_NOT_FOUND, failure.what());
      throw;
    }
    if (out_replaces_version != nullptr) *out_replaces_version = push.replaces_version;
    if (out_hash != nullptr) *out_hash = push.hash;
  });
}

BERTH_API int32_t berth_engine_rules_wait(berth_engine* engine, uint64_t hash, uint32_t timeout_ms, uint64_t* out_version,
                                          berth_error** err) {
  return guard(err, [&] {
    uint64_t version = engine_arg(engine, "berth_engine_rules_wait").wait_rules(hash, std::chrono::milliseconds(timeout_ms));
    if (out_version != nullptr) *out_version = version;
  });
}

BERTH_API int32_t berth_snapshot_rules(const berth_snapshot* s, uint64_t* out_version, uint64_t* out_hash,
                                       const char** out_script, size_t* out_script_len, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(s != nullptr, "berth_snapshot_rules: snapshot is NULL");
    const std::shared_ptr<const berth::SharedRules>& rules = s->snapshot->shared_rules;
    if (out_version != nullptr) *out_version = rules ? rules->version : 0;
    if (out_hash != nullptr) *out_hash = rules ? rules->hash : 0;
    if (out_script != nullptr) *out_script = rules ? rules->script.data() : "";
    if (out_script_len != nullptr) *out_script_len = rules ? rules->script.size() : 0;
  });
}

}  // extern "C"
