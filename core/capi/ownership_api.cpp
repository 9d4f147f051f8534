// berth_ownership_*, berth_held_*, berth_engine_drain: ownership through the host C API
// (docs/ownership.md). A feed holds its server's claims and the tracker they stand on, so it may
// outlive the engine: polls and holds() never touch the engine; release_stream() does, through the
// handle's gate, like event polls.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "capi/capi_support.h"
#include "capi/engine_handle.h"
#include "capi/feed_guard.h"
#include "engine/intake.h"
#include "ownership/tracker.h"

struct berth_ownership {
  berth::Engine* engine;  // valid while the gate lets a call in
  std::shared_ptr<berth::capi::EventGate> gate;
  std::shared_ptr<berth::ownership::Tracker> tracker;  // keeps the lease deadline alive
  std::shared_ptr<berth::ownership::ServerClaims> claims;
  std::string last_stream;  // the bytes the last polled event points at
  std::atomic<bool> cancel{false};
  std::atomic<bool> polling{false};  // one poll at a time: a second would overwrite last_stream
};

struct berth_held {
  std::vector<std::pair<std::string, uint64_t>> streams;
};

namespace {

using berth::capi::id_acceptable;
using berth::capi::stream_arg;
using Clock = std::chrono::steady_clock;

using berth::capi::naming;

}  // namespace

extern "C" {

BERTH_API int32_t berth_ownership_open(berth_engine* engine, const char* server_id, berth_ownership** out,
                                       berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_ownership_open: out is NULL");
    *out = nullptr;
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_ownership_open: engine is NULL");
    std::string_view id = berth::capi::server_arg(server_id, "berth_ownership_open");
    auto feed = std::make_unique<berth_ownership>();
    feed->engine = engine->engine.get();
    feed->gate = engine->events;
    feed->tracker = engine->engine->tracker();
    naming("berth_ownership_open", [&] { feed->claims = engine->engine->claims(id); });
    *out = feed.release();
  });
}

BERTH_API void berth_ownership_close(berth_ownership* feed) { delete feed; }

BERTH_API int32_t berth_ownership_poll(berth_ownership* feed, uint32_t timeout_ms, berth_ownership_event* out,
                                       berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(feed != nullptr, "berth_ownership_poll: feed is NULL");
    BERTH_REQUIRE_ARG(out != nullptr, "berth_ownership_poll: out is NULL");
    BERTH_REQUIRE_ARG(out->struct_size >= BERTH_SIZE_THROUGH(berth_ownership_event, kind),
                      "berth_ownership_poll: out->struct_size is not set");
    berth::capi::PollTurn turn(feed->polling, [&] {
      return "berth_ownership_poll: another poll of the feed of server '" + feed->claims->server() +
             "' is running (one poll per feed at a time: open a feed per polling thread)";
    });
    berth_ownership_event full{};
    full.struct_size = out->struct_size;
    full.kind = BERTH_OWNERSHIP_NONE;
    auto event = feed->claims->poll(Clock::now() + std::chrono::milliseconds(timeout_ms), feed->cancel);
    if (event) {
      feed->last_stream = std::move(event->stream);
      full.kind = static_cast<int32_t>(event->kind);
      full.stream = feed->last_stream.data();
      full.stream_len = feed->last_stream.size();
      full.token = event->token;
      full.version = event->version;
      full.ended_ns = event->ended_ns;
    } else if (feed->claims->closed()) {
      throw berth::Error(BERTH_E_STATE, "berth_ownership_poll: server '" + feed->claims->server() +
                                            "' left or its engine was closed; its feed has nothing more");
    }
    std::memcpy(static_cast<void*>(out), &full, std::min<size_t>(out->struct_size, sizeof full));
  });
}

BERTH_API int32_t berth_ownership_release_stream(berth_ownership* feed, const char* stream, size_t stream_len,
                                                 uint64_t token, berth_error** err) {
  static constexpr const char* kFunction = "berth_ownership_release_stream";
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(feed != nullptr, std::string(kFunction) + ": feed is NULL");
    std::string_view id = stream_arg(stream, stream_len, kFunction);
    berth::capi::InsideGate inside(*feed->gate, [&] {
      return fmt::format("{}: server '{}': the engine was closed (its claims ended with it)", kFunction,
                         feed->claims->server());
    });
    naming(kFunction, [&] { feed->engine->release(feed->claims->server(), id, token); });
  });
}

BERTH_API int32_t berth_ownership_holds(const berth_ownership* feed, const char* stream, size_t stream_len,
                                        uint64_t* out_token) {
  if (feed == nullptr || !id_acceptable(stream, stream_len)) return 0;
  uint64_t token = 0;
  if (!feed->claims->holds(std::string_view(stream, stream_len), &token)) return 0;
  if (out_token != nullptr) *out_token = token;
  return 1;
}

BERTH_API int32_t berth_held_new(berth_ownership* feed, berth_held** out, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_held_new: out is NULL");
    *out = nullptr;
    BERTH_REQUIRE_ARG(feed != nullptr, "berth_held_new: feed is NULL");
    auto held = std::make_unique<berth_held>();
    held->streams = feed->claims->held();
    std::sort(held->streams.begin(), held->streams.end());
    *out = held.release();
  });
}

BERTH_API uint64_t berth_held_count(const berth_held* held) { return held != nullptr ? held->streams.size() : 0; }

BERTH_API int32_t berth_held_stream(const berth_held* held, uint64_t index, const char** out_stream,
                                    size_t* out_stream_len, uint64_t* out_token, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(held != nullptr, "berth_held_stream: held is NULL");
    if (index >= held->streams.size())
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_held_stream: index " + std::to_string(index) + " of " +
                                                       std::to_string(held->streams.size()));
    const auto& [id, token] = held->streams[index];
    if (out_stream != nullptr) *out_stream = id.data();
    if (out_stream_len != nullptr) *out_stream_len = id.size();
    if (out_token != nullptr) *out_token = token;
  });
}

BERTH_API void berth_held_free(berth_held* held) { delete held; }

BERTH_API int32_t berth_engine_drain(berth_engine* engine, const char* server_id, int32_t draining, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(engine != nullptr && engine->engine, "berth_engine_drain: engine is NULL");
    std::string_view id = berth::capi::server_arg(server_id, "berth_engine_drain");
    BERTH_REQUIRE_ARG(draining == 0 || draining == 1, "berth_engine_drain: draining must be 0 or 1");
    naming("berth_engine_drain", [&] { engine->engine->drain(id, draining != 0); });
  });
}

}  // extern "C"
