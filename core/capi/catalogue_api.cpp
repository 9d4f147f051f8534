// berth_locate, berth_stream_*, berth_migration_done and the catalogue feed through the host C
// API (docs/catalogue.md). A feed compares each version the engine installs with what it last
// delivered, so a host sees each piece of work once (a failed copy again), and a feed that was
// not polled for a while catches up with the newest version only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "capi/feed_guard.h"
#include "snapshot/catalogue_entries.h"

struct berth_catalogue_feed {
  berth::Engine* engine;  // valid while the gate lets a call in
  std::shared_ptr<berth::capi::EventGate> gate;
  std::string server;
  uint64_t checked_version = 0;
  std::set<std::string> delivered;  // keys of the work of the newest version checked
  struct Work {
    int32_t kind;
    std::string stream, source;
    uint64_t version;
    uint32_t attempt;
  };
  std::deque<Work> queue;
  Work last{};  // what the last polled event points at
  std::atomic<bool> polling{false};
};

namespace {

using berth::capi::stream_arg;
using Clock = std::chrono::steady_clock;

using berth::capi::naming;

berth::Engine& engine_of(berth_engine* engine, const char* function) {
  BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, std::string(function) + ": engine is NULL");
  return *engine->engine;
}

// What a server's host must do in `s`: copies into it, purges at it. Keys name each piece so a
// failed copy (its attempt grows) is new work.
void collect(berth_catalogue_feed& feed, const berth::Snapshot& s) {
  std::set<std::string> now;
  if (s.catalogue) {
    for (const berth::Migration& m : s.catalogue->migrations) {
      if (m.destination != feed.server) continue;
      std::string key = fmt::format("c{}\n{}\n{}", m.stream, m.source, m.failures);
      if (feed.delivered.count(key) == 0)
        feed.queue.push_back({BERTH_CATALOGUE_COPY_IN, m.stream, m.source, m.since_version, m.failures});
      now.insert(std::move(key));
    }
    for (const berth::StreamAt& p : s.catalogue->purges) {
      if (p.server != feed.server) continue;
      std::string key = "p" + p.stream;
      if (feed.delivered.count(key) == 0) feed.queue.push_back({BERTH_CATALOGUE_PURGE, p.stream, "", s.meta.version, 0});
      now.insert(std::move(key));
    }
  }
  feed.delivered = std::move(now);
  feed.checked_version = s.meta.version;
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_locate(berth_engine* engine, const char* stream, size_t stream_len, berth_location* out,
                               berth_error** err) {
  static constexpr const char* kFunction = "berth_locate";
  return berth::capi::guard(err, [&] {
    berth::Engine& e = engine_of(engine, kFunction);
    BERTH_REQUIRE_ARG(out != nullptr, "berth_locate: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_location, struct_size),
                      "berth_locate: out->struct_size is not set");
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    // Per thread: what the answer points into until this thread's next call.
    thread_local berth::catalogue::StreamLocation kept;
    naming(kFunction, [&] { kept = e.locate(id); });
    berth_location full{};
    full.struct_size = out->struct_size;
    full.status = static_cast<int32_t>(kept.status);
    full.version = kept.version;
    full.owner = kept.owner;
    full.holder = kept.holder;
    full.token = kept.token;
    full.tenant = kept.tenant.c_str();
    full.load = kept.load;
    full.read_locations = kept.read_locations.data();
    full.read_location_count = static_cast<uint32_t>(kept.read_locations.size());
    full.known = kept.known ? 1 : 0;
    full.migration_source = kept.source;
    full.migration_destination = kept.destination;
    full.migration_queued = kept.queued ? 1 : 0;
    full.queued_destination = kept.queued ? kept.queued_destination.c_str() : nullptr;
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

BERTH_API int32_t berth_stream_migrate(berth_engine* engine, const char* stream, size_t stream_len,
                                       const char* destination, berth_error** err) {
  static constexpr const char* kFunction = "berth_stream_migrate";
  return berth::capi::guard(err, [&] {
    berth::Engine& e = engine_of(engine, kFunction);
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    std::string_view to;
    if (destination != nullptr && destination[0] != '\0') to = berth::capi::server_arg(destination, kFunction);
    naming(kFunction, [&] { e.migrate(id, to); });
  });
}

BERTH_API int32_t berth_migration_done(berth_engine* engine, const char* stream, size_t stream_len, const char* server,
                                       int32_t ok, berth_error** err) {
  static constexpr const char* kFunction = "berth_migration_done";
  return berth::capi::guard(err, [&] {
    berth::Engine& e = engine_of(engine, kFunction);
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    std::string_view at = berth::capi::server_arg(server, kFunction);
    BERTH_REQUIRE_ARG(ok == 0 || ok == 1, "berth_migration_done: ok must be 0 or 1");
    naming(kFunction, [&] { e.migration_done(id, at, ok == 1); });
  });
}

BERTH_API int32_t berth_stream_delete(berth_engine* engine, const char* stream, size_t stream_len, berth_error** err) {
  static constexpr const char* kFunction = "berth_stream_delete";
  return berth::capi::guard(err, [&] {
    berth::Engine& e = engine_of(engine, kFunction);
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    naming(kFunction, [&] { e.delete_stream(id); });
  });
}

BERTH_API int32_t berth_stream_purged(berth_engine* engine, const char* stream, size_t stream_len, const char* server,
                                      berth_error** err) {
  static constexpr const char* kFunction = "berth_stream_purged";
  return berth::capi::guard(err, [&] {
    berth::Engine& e = engine_of(engine, kFunction);
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    std::string_view at = berth::capi::server_arg(server, kFunction);
    naming(kFunction, [&] { e.purged(id, at); });
  });
}

BERTH_API int32_t berth_catalogue_open(berth_engine* engine, const char* server_id, berth_catalogue_feed** out,
                                       berth_error** err) {
  static constexpr const char* kFunction = "berth_catalogue_open";
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_catalogue_open: out is NULL");
    *out = nullptr;
    berth::Engine& e = engine_of(engine, kFunction);
    std::string_view id = berth::capi::server_arg(server_id, kFunction);
    auto feed = std::make_unique<berth_catalogue_feed>();
    feed->engine = &e;
    feed->gate = engine->events;
    feed->server = std::string(id);
    *out = feed.release();
  });
}

BERTH_API void berth_catalogue_close(berth_catalogue_feed* feed) { delete feed; }

BERTH_API int32_t berth_catalogue_poll(berth_catalogue_feed* feed, uint32_t timeout_ms, berth_catalogue_event* out,
                                       berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(feed != nullptr, "berth_catalogue_poll: feed is NULL");
    BERTH_REQUIRE_ARG(out != nullptr, "berth_catalogue_poll: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_catalogue_event, kind),
                      "berth_catalogue_poll: out->struct_size is not set");
    berth::capi::PollTurn turn(feed->polling, [&] {
      return "berth_catalogue_poll: another poll of the feed of server '" + feed->server +
             "' is running (one poll per feed at a time)";
    });
    berth::capi::EventGate& gate = *feed->gate;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (feed->queue.empty()) {
      berth::capi::InsideGate inside(
          gate, [&] { return "berth_catalogue_poll: server '" + feed->server + "': the engine was closed"; });
      uint64_t generation = feed->engine->change_generation();
      std::shared_ptr<const berth::Snapshot> s = feed->engine->snapshot();
      if (s && s->meta.version != feed->checked_version) collect(*feed, *s);
      if (!feed->queue.empty()) break;
      auto t = Clock::now();
      if (t >= deadline) break;
      feed->engine->wait_change(generation, std::min(deadline, t + std::chrono::milliseconds(500)), gate.closed());
    }
    berth_catalogue_event full{};
    full.struct_size = out->struct_size;
    full.kind = BERTH_CATALOGUE_NONE;
    if (!feed->queue.empty()) {
      feed->last = std::move(feed->queue.front());
      feed->queue.pop_front();
      full.kind = feed->last.kind;
      full.stream = feed->last.stream.data();
      full.stream_len = feed->last.stream.size();
      full.source = feed->last.kind == BERTH_CATALOGUE_COPY_IN ? feed->last.source.c_str() : nullptr;
      full.version = feed->last.version;
      full.attempt = feed->last.attempt;
    }
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

}  // extern "C"
