#include "zk_lease.h"

#include <time.h>

#include <new>

namespace berth::zk {
namespace {

struct Beat {
  LeaseClock* lease;
  Outstanding* unanswered;
  int64_t session;
  uint64_t sent_ns;
};

// On the client's completion thread; also called with ZCLOSING or ZCONNECTIONLOSS for requests
// that never got an answer, so every Beat is freed here (unless the handle closed with it still
// unanswered after a session timeout: zk_async.h).
void on_heartbeat(int rc, const char*, const void* data) {
  const auto* beat = static_cast<const Beat*>(data);
  // ZNONODE is an answer too: the quorum heard the request.
  if (rc == ZOK || rc == ZNONODE) beat->lease->confirm(beat->session, beat->sent_ns);
  Outstanding* unanswered = beat->unanswered;
  delete beat;
  unanswered->done();
}

}  // namespace

uint64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

void LeaseClock::start(int64_t session, uint64_t sent_ns, int timeout_ms) {
  std::lock_guard lock(write_);
  timeout_ms_.store(timeout_ms);
  resumed_.store(suspensions_.load());  // a new session registers every member anew
  valid_until_ns_.store(sent_ns + static_cast<uint64_t>(timeout_ms) * 1'000'000u);
  session_.store(session);
  held_session_.store(session);
}

void LeaseClock::confirm(int64_t session, uint64_t sent_ns) {
  std::lock_guard lock(write_);
  if (session == 0 || held_session_.load() != session || suspended()) return;
  const uint64_t until = sent_ns + static_cast<uint64_t>(timeout_ms_.load()) * 1'000'000u;
  if (until > valid_until_ns_.load()) valid_until_ns_.store(until);
}

void LeaseClock::end() {
  std::lock_guard lock(write_);
  held_session_.store(0);
}

void LeaseClock::disown() {
  std::lock_guard lock(write_);
  disowned_.fetch_add(1);
}

void LeaseClock::suspend() {
  std::lock_guard lock(write_);
  suspensions_.fetch_add(1);
}

void LeaseClock::resume(uint64_t seen) {
  std::lock_guard lock(write_);
  if (suspensions_.load() == seen) resumed_.store(seen);
}

plugin::Lease LeaseClock::read() const {
  // held_session_ last written, first read: a held lease is never paired with an older bound
  // of another session (start() writes the bound before the session).
  const int64_t held = held_session_.load();
  plugin::Lease out;
  out.held = held != 0;
  out.valid_until_ns = out.held ? valid_until_ns_.load() : 0;
  out.session = static_cast<uint64_t>(held != 0 ? held : session_.load());
  // Each disown() names another session (never 0: the mix is odd-multiplied, then 0 maps to 1).
  if (const uint64_t d = disowned_.load(); d != 0) {
    out.session ^= d * 0x9E3779B97F4A7C15u;
    if (out.session == 0) out.session = 1;
  }
  // A member may vanish by deletion or by its session closed from outside, not only by expiry
  // after this lease: its holder learns of either within about a round trip, or its lease ends
  // within one session timeout of its last confirmed heartbeat.
  out.vanish_wait_ns = static_cast<uint64_t>(timeout_ms_.load()) * 1'000'000u;
  return out;
}

int send_heartbeat(zhandle_t* zh, const char* path, LeaseClock* lease, Outstanding& unanswered) {
  auto* beat = new (std::nothrow) Beat{lease, &unanswered, lease->session(), monotonic_ns()};
  if (beat == nullptr) return ZSYSTEMERROR;
  unanswered.add();
  // A sync, not a read: a server answers it only through the quorum leader, which is what expires
  // sessions. A read would be answered by a server cut off from the quorum, whose leader may
  // already have expired this session.
  int rc = zoo_async(zh, path, on_heartbeat, beat);
  if (rc != ZOK) on_heartbeat(rc, nullptr, beat);  // not queued: the completion never runs
  return rc;
}

}  // namespace berth::zk
