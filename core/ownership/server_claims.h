// The claims of one server registered through this node (docs/ownership.md): which streams it
// holds under which fencing token, and what its host has not been told yet (acquire, release
// request, revoked), as a per-server feed the host polls. No callbacks: nothing here calls a host.
//
// Threads: holds() is lock-free and allocation-free and may run on any thread, concurrently with
// everything; it reads the held set and the node's lease deadline (a shared atomic, CLOCK_MONOTONIC
// ns, already reduced by the safety margin). Everything else serialises on a mutex.
//
// Memory: the held set is a table that only grows (a released stream keeps its slot, reused when
// it is held again), and a table outgrown stays allocated until the ServerClaims is destroyed, so
// that holds() never reads freed memory: it grows with the distinct streams this server held
// while registered here (100 to 200 bytes each for ids of up to 15 bytes). What apply() and the
// feed keep besides is bounded by the streams of the last snapshot and the events not delivered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapshot/snapshot.h"

namespace berth::ownership {

// Values shared with berth.h's BERTH_OWNERSHIP_* constants.
enum class EventKind : int32_t { acquire = 1, release = 2, revoked = 3 };

struct Event {
  EventKind kind = EventKind::acquire;
  std::string stream;
  uint64_t token = 0;     // the grant's fencing token
  uint64_t version = 0;   // the version of the snapshot whose apply() took the grant up, asked for the
                          // release or revoked the claim; 0 for a revocation no version caused
                          // (lease lost, server left, engine closed)
  uint64_t ended_ns = 0;  // revoked: CLOCK_MONOTONIC ns at which the claim ended (<= delivery time)
};

// CLOCK_MONOTONIC_COARSE in ns: what holds() compares the lease deadline with (a few ns a read;
// its granularity, a few ms, is part of what ownership.lease_margin covers).
uint64_t coarse_now_ns() noexcept;
// CLOCK_MONOTONIC in ns (precise), for event times.
uint64_t monotonic_now_ns() noexcept;

class ServerClaims {
 public:
  // `lease_until` outlives this object (the Tracker owns it).
  ServerClaims(std::string server, const std::atomic<uint64_t>& lease_until);
  ~ServerClaims();
  ServerClaims(const ServerClaims&) = delete;
  ServerClaims& operator=(const ServerClaims&) = delete;

  const std::string& server() const noexcept { return server_; }

  // ------------------------------------------------------------------ host side, any thread
  // True, with the grant's token, while this server holds `stream` and the lease has not ended.
  // Lock-free, no allocation, ~10-20 ns for a held id that is in cache. `token` may be null.
  // True from the moment apply() took the grant up (before its acquire event is delivered).
  bool holds(std::string_view stream, uint64_t* token) const noexcept;
  // The host's acknowledgement of a release (asked for or not): from the return on, holds(stream)
  // is false. False (nothing changes) when the server does not hold `stream` with `token`.
  // The caller (the engine) then tells the leader.
  bool release(std::string_view stream, uint64_t token);
  // The next event, waiting until `deadline`; nullopt when the time ran out, when `cancel` is set,
  // or once closed (closed() tells which). Events of one stream come in order; an acquire revoked
  // before it was delivered is not delivered at all (nor its revocation).
  std::optional<Event> poll(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel);
  // Wakes every poll (after `cancel` was set by the caller).
  void interrupt();
  bool closed() const;
  // What the server holds now: (stream, token), in no order.
  std::vector<std::pair<std::string, uint64_t>> held() const;
  size_t held_count() const;

  // ------------------------------------------------------------------ node side (the Tracker)
  // Brings the held set in line with `snapshot`, whose server `index` is this server
  // (BERTH_NO_SERVER: absent from it) registered under `incarnation`: acquires every stream whose
  // holder is this server at this incarnation with a token above any this server gave up or
  // holds; asks the host to release every held stream whose owner is another server (one request
  // per claim; asked again only if the owner came back to this server and left again); revokes
  // held streams the snapshot gives to nobody or to another, or drops, and every held stream when
  // the snapshot shows this server under another incarnation or not at all (ended now, or at the
  // lease deadline if that came first). Versions come in order; applying the same one again
  // changes nothing. An index whose id is not this server's counts as absent.
  // Incarnation 0 takes nothing up (a registration's incarnation is never 0), nor does the
  // incarnation of the last apply() before a revoke_all(): a new registration needs a new one.
  // A given-up token (released or revoked) is remembered for as long as versions still show the
  // stream held by this server under it, and forgotten once one shows another holder, a higher
  // token or no such stream (versions only grow, so that grant can never be shown again): the
  // memory is bounded by the streams of the snapshot.
  void apply(const Snapshot& snapshot, uint32_t index, uint64_t incarnation);
  // The same, told the rows of `snapshot` whose holder is `index` (ascending), so that a node
  // tracking many servers reads the holder column once per version, not once per server.
  void apply(const Snapshot& snapshot, uint32_t index, uint64_t incarnation, std::span<const uint64_t> held_rows);
  // Ends every claim at `ended_ns` (lease lost, session replaced, server left): revoked events,
  // holds() false, and no grant made before is ever taken up again (see apply()).
  void revoke_all(uint64_t ended_ns);
  // revoke_all, then polls deliver the revocations queued and after them return at once with
  // nothing (closed() is true).
  void close(uint64_t ended_ns);

 private:
  struct State;
  const std::string server_;
  const std::atomic<uint64_t>& lease_until_;
  // The held table holds() probes, as one word: the address of its slots (64-byte aligned) with
  // log2 of their count in the low 6 bits, so that a reader reaches a slot with a single load.
  // State owns the tables and publishes each new one here.
  std::atomic<uintptr_t> table_{0};
  std::unique_ptr<State> state_;
};

}  // namespace berth::ownership
