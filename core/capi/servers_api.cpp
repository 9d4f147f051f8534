// berth_engine_server_*, berth_snapshot_operator_server*, berth_snapshot_server_entry: servers an
// operator manages through the host C API (docs/catalogue.md).
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "snapshot/operator_servers.h"
#include "snapshot/snapshot.h"

namespace berth::capi {
const Snapshot* snapshot_in(const berth_snapshot* s);
}

using berth::capi::guard;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

berth::Engine& engine_of(berth_engine* e, const char* function) {
  if (e == nullptr || !e->engine) throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": engine is NULL");
  return *e->engine;
}

const berth::Snapshot& snapshot_arg(const berth_snapshot* s, const char* function) {
  const berth::Snapshot* snap = berth::capi::snapshot_in(s);
  if (snap == nullptr) throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": snapshot is NULL");
  return *snap;
}

template <class Body>
void naming(const char* function, Body&& body) {
  try {
    body();
  } catch (const berth::Error& e) {
    throw berth::Error(e.code(), std::string(function) + ": " + e.what());
  }
}

uint32_t fields_of(const berth::OperatorServer& o) {
  return (o.registered ? BERTH_SERVER_SET_REGISTER : 0u) | (o.capacity ? BERTH_SERVER_SET_CAPACITY : 0u) |
         (o.state ? BERTH_SERVER_SET_STATE : 0u) | (o.labels ? BERTH_SERVER_SET_LABELS : 0u) |
         (o.migrate ? BERTH_SERVER_SET_MIGRATE : 0u);
}

// The version's server of that id, or UINT32_MAX.
uint32_t server_index(const berth::Snapshot& s, std::string_view id) {
  const berth::StringColumn& ids = s.servers->ids;
  uint32_t lo = 0, hi = s.server_count();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ids.at(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < s.server_count() && ids.at(lo) == id ? lo : UINT32_MAX;
}

uint32_t origin_of(const berth::Snapshot& s, uint32_t index, const berth::OperatorServer* o) {
  const bool registered = o != nullptr && o->registered;
  return (berth::has_member(*s.servers, index, o) ? BERTH_SERVER_ORIGIN_MEMBER : 0u) |
         (registered ? BERTH_SERVER_ORIGIN_REGISTERED : 0u);
}

void check_out(const berth_server_entry* out, const char* function) {
  if (out == nullptr) throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": out is NULL");
  if (out->struct_size < BERTH_SIZE_THROUGH(berth_server_entry, struct_size))
    throw berth::Error(BERTH_E_INVALID_ARGUMENT, std::string(function) + ": out->struct_size is not set");
}

// Copies `full` into the caller's struct as far as its struct_size reaches; labels the caller
// cannot see are not allocated.
void deliver(berth_server_entry* out, berth_server_entry full, const std::optional<std::string>& labels) {
  full.struct_size = out->struct_size;
  full.labels = nullptr;
  if (labels && out->struct_size >= BERTH_SIZE_THROUGH(berth_server_entry, labels))
    full.labels = berth::capi::copy_string(*labels);
  std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_engine_server_set(berth_engine* engine, const berth_server_change* change, berth_error** err) {
  return guard(err, [&] {
    constexpr const char* kFunction = "berth_engine_server_set";
    berth::Engine& e = engine_of(engine, kFunction);
    BERTH_REQUIRE_ARG(change != nullptr, "berth_engine_server_set: change is NULL");
    BERTH_REQUIRE_ARG(change->struct_size >= BERTH_SIZE_THROUGH(berth_server_change, labels),
                      "berth_engine_server_set: change->struct_size is not set (BERTH_SIZE_THROUGH(berth_server_change, labels))");
    BERTH_REQUIRE_ARG(change->id != nullptr, "berth_engine_server_set: change->id is NULL");
    BERTH_REQUIRE_ARG(change->id_len != 0, "berth_engine_server_set: change->id is empty");
    if (change->id_len > berth::capi::kMaxServerIdBytes)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: change->id of {} bytes is longer than a server id may be ({} bytes)",
                                                               kFunction, change->id_len, berth::capi::kMaxServerIdBytes));
    if (change->fields > 0xFF)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: unknown change fields 0x{:x}", kFunction, change->fields));
    if (change->fields & BERTH_SERVER_SET_MIGRATE)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: BERTH_SERVER_SET_MIGRATE is set with berth_engine_server_migrate", kFunction));
    berth::ServerChange c;
    c.id.assign(change->id, change->id_len);
    c.fields = static_cast<uint8_t>(change->fields);
    c.capacity = (c.fields & berth::kServerSetCapacity) ? change->capacity : kNaN;
    c.state = (c.fields & berth::kServerSetState) ? change->state : 0;
    if (c.fields & berth::kServerSetLabels) {
      try {
        c.labels = berth::parse_labels(change->labels != nullptr ? change->labels : "");
      } catch (const berth::Error& ex) {
        throw berth::Error(ex.code(), fmt::format("{}: server '{}': {}", kFunction, c.id.substr(0, 64), ex.what()));
      }
    }
    naming(kFunction, [&] { e.set_server(c); });
  });
}

BERTH_API int32_t berth_engine_server_remove(berth_engine* engine, const char* server_id, berth_error** err) {
  return guard(err, [&] {
    berth::Engine& e = engine_of(engine, "berth_engine_server_remove");
    std::string_view id = berth::capi::server_arg(server_id, "berth_engine_server_remove");
    naming("berth_engine_server_remove", [&] { e.remove_server(id); });
  });
}

BERTH_API uint32_t berth_snapshot_operator_server_count(const berth_snapshot* s) {
  const berth::Snapshot* snap = berth::capi::snapshot_in(s);
  return snap != nullptr && snap->operator_servers ? static_cast<uint32_t>(snap->operator_servers->servers.size()) : 0;
}

BERTH_API int32_t berth_snapshot_operator_server(const berth_snapshot* s, uint32_t index, berth_server_entry* out,
                                                 berth_error** err) {
  return guard(err, [&] {
    constexpr const char* kFunction = "berth_snapshot_operator_server";
    const berth::Snapshot& snap = snapshot_arg(s, kFunction);
    check_out(out, kFunction);
    const uint32_t count = berth_snapshot_operator_server_count(s);
    if (index >= count)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: index {} is out of range ({} operator entries)",
                                                               kFunction, index, count));
    const berth::OperatorServer& o = snap.operator_servers->servers[index];
    berth_server_entry full{};
    full.fields = fields_of(o);
    full.id = o.id.c_str();
    full.capacity = o.capacity.value_or(kNaN);
    full.state = o.state.value_or(-1);
    const uint32_t at = server_index(snap, o.id);
    if (at != UINT32_MAX) {
      full.origin = origin_of(snap, at, &o);
      full.streams = snap.server_streams[at];
      full.load = snap.server_load[at];
    }
    std::optional<std::string> labels;
    if (o.labels) labels = berth::format_labels(*o.labels);
    deliver(out, full, labels);
  });
}

BERTH_API int32_t berth_snapshot_server_entry(const berth_snapshot* s, uint32_t index, berth_server_entry* out,
                                              berth_error** err) {
  return guard(err, [&] {
    constexpr const char* kFunction = "berth_snapshot_server_entry";
    const berth::Snapshot& snap = snapshot_arg(s, kFunction);
    check_out(out, kFunction);
    if (index >= snap.server_count())
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, fmt::format("{}: index {} is out of range ({} servers)", kFunction,
                                                               index, snap.server_count()));
    const berth::OperatorServer* o =
        snap.operator_servers ? snap.operator_servers->find(snap.servers->ids.at(index)) : nullptr;
    berth_server_entry full{};
    full.fields = o != nullptr ? fields_of(*o) : 0;
    full.id = snap.server_name[index];
    full.capacity = snap.servers->capacity[index];
    full.state = snap.servers->state[index];
    full.origin = origin_of(snap, index, o);
    full.streams = snap.server_streams[index];
    full.load = snap.server_load[index];
    deliver(out, full, berth::format_labels(snap.servers->labels_of(index)));
  });
}

}  // extern "C"
