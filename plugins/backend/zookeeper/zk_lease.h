// The zookeeper backend's lease: how long this instance's session surely lives on the ensemble,
// learnt only from confirmed round trips.
//
// A server expires a session no earlier than `timeout` (the negotiated session timeout) after it
// last heard from the client. A request sent at `sent_ns` and answered was heard at or after
// `sent_ns`, so the session, and every ephemeral node it owns, lives at least until
// sent_ns + timeout: that is `valid_until_ns`, and it only grows. The connection handshake counts
// as the first round trip. Every member is lock-free to read (lease() may run concurrently with
// anything); writers are the ZooKeeper threads and the backend's own threads.
#pragma once

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <cstdint>
#include <mutex>

#include "berth/plugin.hpp"
#include "zk_async.h"

namespace berth::zk {

// CLOCK_MONOTONIC in nanoseconds (system-wide, what berth_lease is measured in).
uint64_t monotonic_ns();

class LeaseClock {
 public:
  // A new session, connected by a handshake sent at `sent_ns`, with the negotiated timeout.
  void start(int64_t session, uint64_t sent_ns, int timeout_ms);
  // A round trip of `session`, sent at `sent_ns`, was answered.
  void confirm(int64_t session, uint64_t sent_ns);
  // The session expired or was closed: never held again.
  void end();
  // Something this session registered was deleted by someone else while the session lives: the
  // lease reads as a new session from now on, so that its holder ends every claim (the leader may
  // already have seen the member gone) and registers again.
  void disown();
  // A watch saw the members change, perhaps one of this session's deleted: confirm() extends
  // nothing until resume(), so the lease ends within one timeout of a deletion however long the
  // worker that checks takes (the watch is delivered before later heartbeats' answers).
  void suspend();
  uint64_t suspensions() const { return suspensions_.load(); }
  // Every member was found registered after suspensions() read `seen`: confirm() counts again,
  // unless suspend() was called since (then the next check resumes).
  void resume(uint64_t seen);
  bool suspended() const { return resumed_.load() != suspensions_.load(); }
  plugin::Lease read() const;
  int64_t session() const { return session_.load(); }
  int timeout_ms() const { return timeout_ms_.load(); }

 private:
  std::mutex write_;  // orders writers; readers take no lock
  // held_session_ is the session while held, 0 once ended; session_ stays the last one.
  std::atomic<int64_t> held_session_{0};
  std::atomic<int64_t> session_{0};
  std::atomic<uint64_t> valid_until_ns_{0};
  std::atomic<int> timeout_ms_{0};
  std::atomic<uint64_t> suspensions_{0};  // suspend() calls
  std::atomic<uint64_t> resumed_{0};      // suspensions_ as of the last resume()
  std::atomic<uint64_t> disowned_{0};  // disown() calls: mixed into the session the lease names
};

// Sends one lightweight request (exists on `path`) whose answer confirms the lease; the request's
// own context carries the send time and session, so an answer that comes late, or for a session
// already replaced, only ever confirms what it proves. `unanswered` counts it until its answer
// came. Returns the client's code.
int send_heartbeat(zhandle_t* zh, const char* path, LeaseClock* lease, Outstanding& unanswered);

}  // namespace berth::zk
