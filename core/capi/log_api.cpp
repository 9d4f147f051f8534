// berth_log_*: the level filter and the queue a host drains the library's log lines from
// (core/common/log.h routes them).
#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "capi/capi_support.h"
#include "common/log.h"

struct berth_log {
  uint64_t generation = 0;  // of the queue's open (core/common/log.h)
};

namespace {

int32_t to_berth(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return BERTH_LOG_DEBUG;
    case spdlog::level::info: return BERTH_LOG_INFO;
    case spdlog::level::warn: return BERTH_LOG_WARN;
    case spdlog::level::off: return BERTH_LOG_OFF;
    default: return BERTH_LOG_ERROR;
  }
}

// The strings of the records this thread polled last (berth.h: valid until its next poll).
thread_local std::vector<berth::LogRecord> t_delivered;

// Handles are never freed, so a poll racing berth_log_close, or made after it, reads a live handle
// whose generation is over and returns BERTH_E_STATE. A host opens the queue once or a few times:
// a handle is 8 bytes for the life of the process.
berth_log* new_handle(uint64_t generation) {
  static std::mutex mutex;
  static auto* handles = new std::deque<berth_log>;  // never destroyed: a poll may run during exit
  std::lock_guard lock(mutex);
  return &handles->emplace_back(berth_log{generation});
}

}  // namespace

extern "C" {

BERTH_API int32_t berth_log_set_level(int32_t level, berth_error** err) {
  return berth::capi::guard(err, [&] {
    static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                             spdlog::level::warn, spdlog::level::err,
                                                             spdlog::level::off};
    if (level < BERTH_LOG_DEBUG || level > BERTH_LOG_OFF)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_log_set_level: level " + std::to_string(level) +
                                                       " is none of BERTH_LOG_DEBUG (0) to BERTH_LOG_OFF (4)");
    berth::logger().set_level(kLevels[level]);
  });
}

BERTH_API int32_t berth_log_level(void) {
  try {
    return to_berth(berth::logger().level());
  } catch (...) {
    return BERTH_LOG_INFO;
  }
}

BERTH_API int32_t berth_log_open(uint32_t capacity, berth_log** out, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_log_open: out is NULL");
    *out = nullptr;
    if (capacity == 0 || capacity > berth::kMaxLogQueueCapacity)
      throw berth::Error(BERTH_E_INVALID_ARGUMENT, "berth_log_open: capacity " + std::to_string(capacity) +
                                                       " is outside 1 to " + std::to_string(berth::kMaxLogQueueCapacity));
    const uint64_t generation = berth::log_queue::open(capacity);
    if (generation == 0)
      throw berth::Error(BERTH_E_STATE, "berth_log_open: the log queue is open already (one per process)");
    try {
      *out = new_handle(generation);
    } catch (...) {
      berth::log_queue::close(generation);
      throw;
    }
  });
}

BERTH_API int32_t berth_log_poll(berth_log* queue, berth_log_record* records, uint32_t max, uint32_t timeout_ms,
                                 uint32_t* out_count, berth_error** err) {
  return berth::capi::guard(err, [&] {
    BERTH_REQUIRE_ARG(queue != nullptr, "berth_log_poll: queue is NULL");
    BERTH_REQUIRE_ARG(records != nullptr && max > 0, "berth_log_poll: records is NULL or max is 0");
    BERTH_REQUIRE_ARG(out_count != nullptr, "berth_log_poll: out_count is NULL");
    *out_count = 0;
    for (uint32_t i = 0; i < max; ++i)
      BERTH_REQUIRE_ARG(records[i].struct_size >= BERTH_SIZE_THROUGH(berth_log_record, level),
                        "berth_log_poll: records[" + std::to_string(i) + "].struct_size is not set");
    if (!berth::log_queue::poll(queue->generation, t_delivered, max, std::chrono::milliseconds(timeout_ms)))
      throw berth::Error(BERTH_E_STATE, "berth_log_poll: the log queue is closed");
    for (size_t i = 0; i < t_delivered.size(); ++i) {
      const berth::LogRecord& r = t_delivered[i];
      berth_log_record full{};
      full.struct_size = records[i].struct_size;
      full.level = to_berth(r.level);
      full.time_ns = r.time_ns;
      full.source = r.source.c_str();
      full.node = r.node.c_str();
      full.message = r.message.c_str();
      std::memcpy(static_cast<void*>(&records[i]), &full, std::min<size_t>(records[i].struct_size, sizeof full));
    }
    *out_count = static_cast<uint32_t>(t_delivered.size());
  });
}

BERTH_API uint64_t berth_log_dropped(const berth_log* queue) {
  return queue != nullptr ? berth::log_queue::dropped(queue->generation) : 0;
}

BERTH_API void berth_log_close(berth_log* queue) {
  if (queue != nullptr) berth::log_queue::close(queue->generation);  // the handle stays: see new_handle
}

}  // extern "C"
