// What the C API's feeds (ownership_api.cpp, catalogue_api.cpp) share: one poll of a feed at a
// time, and a call into the engine only through its handle's gate, which refuses once the engine
// is closing; and errors the engine raises, prefixed with the C function that met them.
#pragma once

#include <atomic>
#include <string>
#include <utility>

#include "capi/engine_handle.h"
#include "common/error.h"

namespace berth::capi {

// Holds a feed's `polling` flag for as long as a poll runs. A second poll of the same feed is
// refused with BERTH_E_STATE and the message `busy()` gives (it would overwrite what the first
// poll's event points at).
class PollTurn {
 public:
  template <class Message>
  PollTurn(std::atomic<bool>& polling, Message&& busy) : polling_(polling) {
    if (polling_.exchange(true, std::memory_order_acquire)) throw Error(BERTH_E_STATE, std::forward<Message>(busy)());
  }
  ~PollTurn() { polling_.store(false, std::memory_order_release); }
  PollTurn(const PollTurn&) = delete;
  PollTurn& operator=(const PollTurn&) = delete;

 private:
  std::atomic<bool>& polling_;
};

// Inside the engine handle's gate for as long as it lives; BERTH_E_STATE with the message
// `closed()` gives when the engine is closing.
class InsideGate {
 public:
  template <class Message>
  InsideGate(EventGate& gate, Message&& closed) : gate_(gate) {
    if (!gate_.enter()) throw Error(BERTH_E_STATE, std::forward<Message>(closed)());
  }
  ~InsideGate() { gate_.leave(); }
  InsideGate(const InsideGate&) = delete;
  InsideGate& operator=(const InsideGate&) = delete;

 private:
  EventGate& gate_;
};

// Runs `body`; an Error it throws is thrown again with `function` before its message.
template <class Body>
void naming(const char* function, Body&& body) {
  try {
    std::forward<Body>(body)();
  } catch (const Error& e) {
    throw Error(e.code(), std::string(function) + ": " + e.what());
  }
}

}  // namespace berth::capi
