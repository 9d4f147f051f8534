// Dynamic weights through the host C API (docs/catalogue.md, "Dynamic weights"): hosts report
// signals; snapshots tell each server's configured capacity, effective factor and signals.
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "snapshot/weighting.h"

namespace berth::capi {
const Snapshot* snapshot_in(const berth_snapshot* s);
}

namespace {

using berth::Error;

const berth::Snapshot& held(const berth_snapshot* s, const char* function) {
  const berth::Snapshot* snap = berth::capi::snapshot_in(s);
  if (snap == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": snapshot is NULL");
  return *snap;
}

void check_server(const berth::Snapshot& snap, uint32_t index, const char* function) {
  if (index >= snap.server_count())
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: index {} is out of range ({} servers)", function, index,
                                                      snap.server_count()));
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_engine_report_signal(berth_engine* engine, const char* server_id, const char* name,
                                             double value, berth_error** err) {
  constexpr const char* kFunction = "berth_engine_report_signal";
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_engine_report_signal: engine is NULL");
    std::string_view id = berth::capi::server_arg(server_id, kFunction);
    BERTH_REQUIRE_ARG(name != nullptr, "berth_engine_report_signal: name is NULL");
    // Read no further than one byte past the longest name, so a missing terminator is not followed.
    const size_t len = ::strnlen(name, berth::kMaxSignalNameBytes + 1);
    try {
      engine->engine->report_signal(id, std::string_view(name, len), value);
    } catch (const Error& e) {
      throw Error(e.code(), std::string(kFunction) + ": " + e.what());
    }
  });
}

BERTH_API const char* berth_snapshot_weigher(const berth_snapshot* s) {
  const berth::Snapshot* snap = berth::capi::snapshot_in(s);
  return snap != nullptr && snap->weighting ? snap->weighting->plugin.c_str() : nullptr;
}

BERTH_API int32_t berth_snapshot_server_weight(const berth_snapshot* s, uint32_t index, double* out_configured_capacity,
                                               double* out_factor, uint32_t* out_signal_count, berth_error** err) {
  constexpr const char* kFunction = "berth_snapshot_server_weight";
  return berth::capi::guard(err, [&] {
    const berth::Snapshot& snap = held(s, kFunction);
    check_server(snap, index, kFunction);
    const berth::WeighedServer* w = berth::weighed_server(snap, index);
    if (out_configured_capacity != nullptr) *out_configured_capacity = w ? w->capacity : snap.servers->capacity[index];
    if (out_factor != nullptr) *out_factor = w ? w->factor : 1.0;
    if (out_signal_count != nullptr) *out_signal_count = w ? static_cast<uint32_t>(w->signals.size()) : 0;
  });
}

BERTH_API int32_t berth_snapshot_server_signal(const berth_snapshot* s, uint32_t index, uint32_t k, const char** out_name,
                                               double* out_value, berth_error** err) {
  constexpr const char* kFunction = "berth_snapshot_server_signal";
  return berth::capi::guard(err, [&] {
    const berth::Snapshot& snap = held(s, kFunction);
    check_server(snap, index, kFunction);
    const berth::WeighedServer* w = berth::weighed_server(snap, index);
    const size_t count = w ? w->signals.size() : 0;
    if (k >= count)
      throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: signal {} of server '{}' is out of range ({} signals)",
                                                        kFunction, k, snap.servers->ids.at(index), count));
    if (out_name != nullptr) *out_name = w->signals[k].name.c_str();
    if (out_value != nullptr) *out_value = w->signals[k].value;
  });
}

}  // extern "C"
