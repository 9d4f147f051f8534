// berth_snapshot_*: read access to an immutable snapshot the caller holds.
#include "capi/capi_support.h"
#include "capi/snapshot_handle.h"

namespace berth::capi {
std::shared_ptr<const Snapshot> snapshot_of(berth_engine* engine);
// What a handle holds, for the C API's other files (null for a NULL handle).
const Snapshot* snapshot_in(const berth_snapshot* s) { return s != nullptr ? s->snapshot.get() : nullptr; }
}  // namespace berth::capi

using berth::capi::guard;

extern "C" {

BERTH_API int32_t berth_engine_snapshot(berth_engine* engine, berth_snapshot** out, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_engine_snapshot: out is NULL");
    *out = nullptr;
    auto s = berth::capi::snapshot_of(engine);
    if (!s) throw berth::Error(BERTH_E_NOT_FOUND, "no snapshot has been published yet");
    *out = new berth_snapshot{std::move(s)};
  });
}

BERTH_API void berth_snapshot_release(berth_snapshot* snapshot) { delete snapshot; }

BERTH_API uint64_t berth_snapshot_version(const berth_snapshot* s) { return s != nullptr ? s->snapshot->meta.version : 0; }
BERTH_API uint64_t berth_snapshot_epoch(const berth_snapshot* s) { return s != nullptr ? s->snapshot->meta.epoch : 0; }
BERTH_API const char* berth_snapshot_policy(const berth_snapshot* s) {
  return s != nullptr ? s->snapshot->meta.policy.c_str() : "";
}
BERTH_API const char* berth_snapshot_leader(const berth_snapshot* s) {
  return s != nullptr ? s->snapshot->meta.leader.c_str() : "";
}
BERTH_API uint32_t berth_snapshot_server_count(const berth_snapshot* s) {
  return s != nullptr ? s->snapshot->server_count() : 0;
}
BERTH_API uint64_t berth_snapshot_stream_count(const berth_snapshot* s) {
  return s != nullptr ? s->snapshot->stream_count() : 0;
}

BERTH_API int32_t berth_snapshot_server(const berth_snapshot* s, uint32_t index, const char** out_id, double* out_capacity,
                                        double* out_load, uint64_t* out_streams, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(s != nullptr, "berth_snapshot_server: snapshot is NULL");
    const berth::Snapshot& snap = *s->snapshot;
    if (index >= snap.server_count())
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_snapshot_server: index " + std::to_string(index) +
                                                       " is out of range (" + std::to_string(snap.server_count()) + " servers)");
    if (out_id != nullptr) *out_id = snap.server_name[index];
    if (out_capacity != nullptr) *out_capacity = snap.servers->capacity[index];
    if (out_load != nullptr) *out_load = snap.server_load[index];
    if (out_streams != nullptr) *out_streams = snap.server_streams[index];
  });
}

BERTH_API int32_t berth_snapshot_stream(const berth_snapshot* s, uint64_t index, const char** out_id, size_t* out_id_len,
                                        uint32_t* out_owner, double* out_load, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(s != nullptr, "berth_snapshot_stream: snapshot is NULL");
    const berth::Snapshot& snap = *s->snapshot;
    if (index >= snap.stream_count())
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_snapshot_stream: index " + std::to_string(index) +
                                                       " is out of range (" + std::to_string(snap.stream_count()) + " streams)");
    std::string_view id = snap.streams->ids.at(index);
    if (out_id != nullptr) *out_id = id.data();
    if (out_id_len != nullptr) *out_id_len = id.size();
    if (out_owner != nullptr) *out_owner = snap.owner[index];
    if (out_load != nullptr) *out_load = snap.load[index];
  });
}

}  // extern "C"
