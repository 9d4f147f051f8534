// berth_events_*: change notifications as a queue the host polls (no callbacks into a VM).
//
// A queue keeps only what it last delivered and compares it with the engine's status(): the
// "overflow" of a slow consumer coalesces into one event per kind carrying the newest state, and
// memory never grows. Polls sleep on the engine's change counter (Engine::wait_change); the
// EventGate of the handle lets berth_engine_close wake them and makes later polls fail cleanly.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"

namespace {

using Clock = std::chrono::steady_clock;

// Status changes the engine does not announce (none known, but a missed notification must
// only cost latency, never an event) are found by re-reading status this often while waiting.
constexpr auto kRecheck = std::chrono::milliseconds(500);

struct Seen {
  uint64_t version = 0;
  uint64_t epoch = 0;
  bool is_leader = false;
  bool degraded = false;
};

}  // namespace

struct berth_events {
  berth::Engine* engine;  // valid while the gate lets a poll in
  std::shared_ptr<berth::capi::EventGate> gate;
  std::mutex mutex;  // guards seen: concurrent polls each take a different change
  Seen seen;
};

namespace {

// The next event between what was delivered and `now`, in the documented order; updates `seen`.
int32_t next_event(Seen& seen, const berth::EngineStatus& now, berth_event& e) {
  e.old_version = e.version = seen.version;
  e.old_epoch = e.epoch = seen.epoch;
  int32_t kind = BERTH_EVENT_NONE;
  if (now.degraded != seen.degraded) {
    kind = BERTH_EVENT_DEGRADED;
    seen.degraded = now.degraded;
  } else if (now.is_leader != seen.is_leader || now.epoch != seen.epoch) {
    kind = BERTH_EVENT_LEADERSHIP;
    e.epoch = now.epoch;
    seen.is_leader = now.is_leader;
    seen.epoch = now.epoch;
  } else if (now.version != seen.version) {
    kind = BERTH_EVENT_VERSION;
    e.version = now.version;
    seen.version = now.version;
  }
  e.kind = kind;
  e.is_leader = seen.is_leader;
  e.degraded = seen.degraded;
  return kind;
}

[[noreturn]] void engine_closed() {
  throw berth::Error(BERTH_E_STATE, "berth_events_poll: the engine was closed");
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_events_open(berth_engine* engine, berth_events** out, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_events_open: out is NULL");
    *out = nullptr;
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_events_open: engine is NULL");
    auto events = std::make_unique<berth_events>();
    events->engine = engine->engine.get();
    events->gate = engine->events;
    berth::EngineStatus s = engine->engine->status();
    events->seen = Seen{s.version, s.epoch, s.is_leader, s.degraded};
    *out = events.release();
  });
}

BERTH_API void berth_events_close(berth_events* events) { delete events; }

BERTH_API int32_t berth_events_poll(berth_events* events, uint32_t timeout_ms, berth_event* out, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(events != nullptr, "berth_events_poll: events is NULL");
    BERTH_REQUIRE_ARG(out != nullptr, "berth_events_poll: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_event, kind),
                      "berth_events_poll: out->struct_size is not set");
    berth::capi::EventGate& gate = *events->gate;
    if (!gate.enter()) engine_closed();
    struct Leave {
      berth::capi::EventGate& gate;
      ~Leave() { gate.leave(); }
    } leave{gate};

    berth_event full{};
    full.struct_size = out->struct_size;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      // The counter is read before the status, so a change after this read ends the wait below.
      uint64_t generation = events->engine->change_generation();
      berth::EngineStatus now = events->engine->status();
      {
        std::lock_guard lock(events->mutex);
        if (next_event(events->seen, now, full) != BERTH_EVENT_NONE) break;
      }
      auto t = Clock::now();
      if (t >= deadline) break;
      events->engine->wait_change(generation, std::min(deadline, t + kRecheck), gate.closed());
      if (gate.closed().load()) engine_closed();
    }
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

}  // extern "C"
