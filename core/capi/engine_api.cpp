// berth_engine_*: the embedded engine behind opaque handles.
#include <cmath>
#include <cstring>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "config/options.h"
#include "engine/engine.h"

namespace berth::capi {
const Options& options_of(const berth_options* options);
}

using berth::capi::guard;
using berth::capi::stream_arg;

namespace {

[[noreturn, gnu::noinline, gnu::cold]] void no_engine(const char* function) {
  throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": engine is NULL");
}

// Inline, with the message built out of line: a lookup pays two compares for it, not a call.
inline berth::Engine& engine_of(berth_engine* e, const char* function) {
  if (__builtin_expect(e == nullptr || !e->engine, 0)) no_engine(function);
  return *e->engine;
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_engine_open(const berth_options* options, berth_engine** out, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_engine_open: out is NULL");
    *out = nullptr;
    berth::EngineOptions resolved = options != nullptr ? berth::capi::options_of(options).resolve_for_open() : berth::EngineOptions{};
    auto handle = std::make_unique<berth_engine>();
    handle->engine = std::make_unique<berth::Engine>(std::move(resolved));
    *out = handle.release();
  });
}

BERTH_API void berth_engine_close(berth_engine* engine) {
  try {
    // Event queue polls waiting on this engine return BERTH_E_STATE before it goes.
    if (engine != nullptr && engine->engine) engine->events->close(*engine->engine);
    delete engine;
  } catch (...) {
    // Destructors do not throw; this only keeps the promise that nothing unwinds into C.
  }
}

BERTH_API int32_t berth_engine_lookup(berth_engine* engine, const char* stream, size_t stream_len,
                                      const char** out_owner, berth_error** err) {
  // The hot path: no guard allocation unless something fails.
  try {
    if (err != nullptr) *err = nullptr;
    if (out_owner == nullptr) throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_engine_lookup: out_owner is NULL");
    berth::Engine& e = engine_of(engine, "berth_engine_lookup");
    // The id's check inline; the call that builds the message only when it fails.
    std::string_view id = berth::capi::id_acceptable(stream, stream_len) ? std::string_view(stream, stream_len)
                                                                          : stream_arg(stream, stream_len, "berth_engine_lookup");
    *out_owner = e.lookup(id);
    return BERTH_OK;
  } catch (...) {
    return guard(err, [] { throw; });
  }
}

BERTH_API int32_t berth_engine_lookup_batch(berth_engine* engine, const char* const* streams, const size_t* stream_lens,
                                            size_t count, const char** out_owners, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(count == 0 || (streams != nullptr && stream_lens != nullptr && out_owners != nullptr),
                      "berth_engine_lookup_batch: streams, stream_lens or out_owners is NULL");
    berth::Engine& e = engine_of(engine, "berth_engine_lookup_batch");
    if (count == 0) return;
    // One snapshot for the whole batch, held while the ids are converted a chunk at a time.
    berth::Engine::Lookups lookups(e);
    constexpr size_t kChunk = 256;
    std::string_view views[kChunk];
    for (size_t base = 0; base < count; base += kChunk) {
      size_t n = std::min(kChunk, count - base);
      for (size_t i = 0; i < n; ++i) {
        if (!berth::capi::id_acceptable(streams[base + i], stream_lens[base + i])) {
          lookups.batch(views, i, out_owners + base);  // owners before the bad one are filled
          const std::string function = "berth_engine_lookup_batch: stream #" + std::to_string(base + i);
          stream_arg(streams[base + i], stream_lens[base + i], function);  // throws, naming what is wrong
        }
        views[i] = std::string_view(streams[base + i], stream_lens[base + i]);
      }
      lookups.batch(views, n, out_owners + base);
    }
  });
}

BERTH_API int32_t berth_engine_join(berth_engine* engine, const char* server_id, double capacity, berth_error** err) {
  return guard(err, [&] {
    std::string_view id = berth::capi::server_arg(server_id, "berth_engine_join");
    engine_of(engine, "berth_engine_join").join(id, capacity);
  });
}

BERTH_API int32_t berth_engine_join_labeled(berth_engine* engine, const char* server_id, double capacity,
                                            const char* labels, berth_error** err) {
  return guard(err, [&] {
    std::string_view id = berth::capi::server_arg(server_id, "berth_engine_join_labeled");
    berth::Labels parsed;
    try {
      parsed = berth::parse_labels(labels != nullptr ? labels : "");
    } catch (const berth::Error& e) {
      throw berth::Error(e.code(), "server '" + std::string(id) + "': " + e.what());
    }
    engine_of(engine, "berth_engine_join_labeled").join(id, capacity, parsed);
  });
}

BERTH_API int32_t berth_engine_leave(berth_engine* engine, const char* server_id, berth_error** err) {
  return guard(err, [&] {
    std::string_view id = berth::capi::server_arg(server_id, "berth_engine_leave");
    engine_of(engine, "berth_engine_leave").leave(id);
  });
}

BERTH_API int32_t berth_engine_add_stream(berth_engine* engine, const char* stream, size_t stream_len, const char* tenant,
                                          double load, berth_error** err) {
  return guard(err, [&] {
    engine_of(engine, "berth_engine_add_stream")
        .add_stream(stream_arg(stream, stream_len, "berth_engine_add_stream"), tenant != nullptr ? tenant : "", load);
  });
}

BERTH_API int32_t berth_engine_remove_stream(berth_engine* engine, const char* stream, size_t stream_len, berth_error** err) {
  return guard(err, [&] {
    engine_of(engine, "berth_engine_remove_stream").remove_stream(stream_arg(stream, stream_len, "berth_engine_remove_stream"));
  });
}

BERTH_API int32_t berth_engine_report_load(berth_engine* engine, const char* stream, size_t stream_len, double load,
                                           berth_error** err) {
  return guard(err, [&] {
    engine_of(engine, "berth_engine_report_load").report_load(stream_arg(stream, stream_len, "berth_engine_report_load"), load);
  });
}

BERTH_API int32_t berth_engine_flush(berth_engine* engine, berth_error** err) {
  return guard(err, [&] { engine_of(engine, "berth_engine_flush").flush(); });
}

BERTH_API int32_t berth_engine_refresh(berth_engine* engine, berth_error** err) {
  return guard(err, [&] { engine_of(engine, "berth_engine_refresh").refresh(); });
}

BERTH_API int32_t berth_engine_resign(berth_engine* engine, berth_error** err) {
  return guard(err, [&] { engine_of(engine, "berth_engine_resign").resign(); });
}

BERTH_API int32_t berth_engine_wait_version(berth_engine* engine, uint64_t version, uint32_t timeout_ms, berth_error** err) {
  return guard(err, [&] {
    engine_of(engine, "berth_engine_wait_version").wait_version(version, std::chrono::milliseconds(timeout_ms));
  });
}

BERTH_API int32_t berth_engine_status_get(berth_engine* engine, berth_engine_status* out, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_engine_status_get: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_engine_status, struct_size),
                      "berth_engine_status_get: out->struct_size is not set");
    berth::EngineStatus s = engine_of(engine, "berth_engine_status_get").status();
    berth_engine_status full{};
    full.struct_size = out->struct_size;
    full.version = s.version;
    full.epoch = s.epoch;
    full.is_leader = s.is_leader;
    full.degraded = s.degraded;
    full.server_count = s.servers;
    full.stream_count = s.streams;
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

BERTH_API int32_t berth_engine_metrics_get(berth_engine* engine, berth_metrics* out, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_engine_metrics_get: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_metrics, struct_size),
                      "berth_engine_metrics_get: out->struct_size is not set");
    berth::EngineMetrics m = engine_of(engine, "berth_engine_metrics_get").metrics();
    berth_metrics full{};
    full.struct_size = out->struct_size;
    full.version = m.version;
    full.max_load = m.max_load;
    full.min_load = m.min_load;
    full.max_over_lb = m.max_over_lb;
    full.refresh_ms = m.refresh_ms;
    full.refresh_ok = m.refresh_ok;
    full.refresh_failed = m.refresh_failed;
    full.moved_streams = m.moved_streams;
    full.moved_load_fraction = m.moved_load_fraction;
    full.lookups_unknown = m.lookups_unknown;
    full.oversized_streams = m.oversized_streams;
    full.snapshots_rejected = m.snapshots_rejected;
    full.intake_rejected = m.intake_rejected;
    full.rules_hash = m.rules.hash;
    full.rules_refused = m.rules_refused;
    full.rules_problems = m.rules.problem_count;
    full.rules_kept_owner = m.rules.kept_owner;
    full.rules_violations = m.rules.violations;
    full.handoffs_started = m.handoffs.started_total;
    full.handoffs_completed = m.handoffs.completed_total;
    full.handoffs_stalled = m.handoffs.stalled_total;
    full.streams_releasing = m.handoffs.releasing;
    full.streams_unheld = m.handoffs.unheld;
    full.unheld_stream_seconds = m.handoffs.unheld_stream_seconds;
    full.leases_lost = m.leases_lost;
    full.streams_held = m.streams_held;
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

BERTH_API int32_t berth_engine_metrics_text(berth_engine* engine, char** out_text, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out_text != nullptr, "berth_engine_metrics_text: out_text is NULL");
    berth::Engine& e = engine_of(engine, "berth_engine_metrics_text");
    *out_text = berth::capi::copy_string(berth::metrics_prometheus(e.metrics(), e.node_id()));
  });
}

}  // extern "C"

namespace berth::capi {
std::shared_ptr<const Snapshot> snapshot_of(berth_engine* engine) {
  return engine_of(engine, "berth_engine_snapshot").snapshot();
}
}  // namespace berth::capi
