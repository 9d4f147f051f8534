// The rest of the catalogue through the host C API (API 1.7; docs/catalogue.md): servers an
// operator marks for data migration, and why a stream is where it is.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "capi/feed_guard.h"
#include "catalogue/placement_why.h"

extern "C" {

BERTH_API int32_t berth_engine_server_migrate(berth_engine* engine, const char* server_id, int32_t mark,
                                              int32_t check_only, berth_server_migration* out, berth_error** err) {
  static constexpr const char* kFunction = "berth_engine_server_migrate";
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_engine_server_migrate: engine is NULL");
    BERTH_REQUIRE_ARG(mark == 0 || mark == 1, "berth_engine_server_migrate: mark must be 0 or 1");
    BERTH_REQUIRE_ARG(check_only == 0 || check_only == 1, "berth_engine_server_migrate: check_only must be 0 or 1");
    BERTH_REQUIRE_ARG(out == nullptr || out->struct_size >= BERTH_SIZE_THROUGH(berth_server_migration, struct_size),
                      "berth_engine_server_migrate: out->struct_size is not set");
    std::string_view id = berth::capi::server_arg(server_id, kFunction);
    berth::catalogue::EvacuationPlan plan;
    berth::capi::naming(kFunction, [&] { plan = engine->engine->migrate_server(id, mark == 1, check_only == 1); });
    if (out == nullptr) return;
    berth_server_migration full{};
    full.struct_size = out->struct_size;
    full.marked = plan.marked ? 1 : 0;
    full.streams = plan.streams;
    full.migrating_out = plan.migrating_out;
    full.max_migrations = plan.max_migrations;
    full.max_migrations_per_server = plan.max_migrations_per_server;
    full.per_refresh = plan.per_refresh;
    full.refreshes = plan.refreshes;
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

BERTH_API int32_t berth_locate_why(berth_engine* engine, const char* stream, size_t stream_len,
                                   berth_placement_why* out, berth_error** err) {
  static constexpr const char* kFunction = "berth_locate_why";
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_locate_why: engine is NULL");
    BERTH_REQUIRE_ARG(out != nullptr, "berth_locate_why: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_placement_why, struct_size),
                      "berth_locate_why: out->struct_size is not set");
    std::string_view id = berth::capi::stream_arg(stream, stream_len, kFunction);
    std::shared_ptr<const berth::Snapshot> s = engine->engine->snapshot();
    if (!s) throw berth::Error(BERTH_E_UNAVAILABLE, "berth_locate_why: no snapshot yet");
    // Per thread: what the answer points into until this thread's next call. Every string is
    // the answer's own copy, so no snapshot is kept alive for it.
    struct Kept {
      berth::catalogue::PlacementWhy why;
      std::vector<const char*> allowed, preferred;
    };
    thread_local Kept kept;
    std::string note;
    std::shared_ptr<berth::rules::RuleSet> rules = berth::catalogue::rules_of(*s, nullptr, note);
    berth::capi::naming(kFunction, [&] { kept.why = berth::catalogue::explain_placement(*s, id, rules.get()); });
    if (kept.why.rules_note.empty()) kept.why.rules_note = note;
    kept.allowed.clear();
    kept.preferred.clear();
    for (const std::string& a : kept.why.allowed) kept.allowed.push_back(a.c_str());
    for (const std::string& p : kept.why.preferred) kept.preferred.push_back(p.c_str());
    berth_placement_why full{};
    full.struct_size = out->struct_size;
    full.decision = static_cast<int32_t>(kept.why.decision);
    full.version = s->meta.version;
    full.detail = kept.why.detail.c_str();
    full.rules_evaluated = kept.why.rules_evaluated ? 1 : 0;
    full.rule = kept.why.rule.c_str();
    full.allowed = kept.allowed.data();
    full.allowed_count = static_cast<uint32_t>(kept.allowed.size());
    full.preferred = kept.preferred.data();
    full.preferred_count = static_cast<uint32_t>(kept.preferred.size());
    full.rules_note = kept.why.rules_note.c_str();
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

}  // extern "C"
