// Everything a node does with intake records (engine/intake.h): the host side batches what hosts
// tell it and sends the batches to the backend; the leader side takes what all nodes sent,
// keeps it as pending stream changes until a published version includes it, and hands back what
// it took when it stops leading without publishing.
//
// The backend is not owned here: every call that reaches it takes a BackendRef (the instance and
// the lock serialising calls on it).
//
// Threads:
//   - record(), first_lookup(), new_version(), flush_due() and flush() may run on any thread.
//     Batches reach the backend in the order they were recorded; a flush that fails keeps the
//     unsent batches, ahead of anything recorded meanwhile.
//   - take(), pending(), published(), failed() and give_back() are the leader's: callers
//     serialise them (the engine holds its refresh lock around each).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/backend_ref.h"
#include "engine/intake.h"
#include "engine/intake_keys.h"
#include "engine/pending_changes.h"

namespace berth {

class IntakeLedger {
 public:
  using Clock = std::chrono::steady_clock;

  // `keyed`: the backend has peek_intake/settle_intake (ABI 1.3); `node_id` names the node in logs.
  IntakeLedger(bool keyed, std::string node_id) : keyed_(keyed), node_id_(std::move(node_id)) {}

  // ------------------------------------------------------------------ host side, any thread
  // Appends a record to the open batch; true when nothing was waiting before (the caller wakes
  // whoever flushes). Throws Error(BERTH_E_INVALID_ARGUMENT) for an id or tenant no backend
  // record could carry.
  // A release carries a token: record_release, never record (Error(BERTH_E_INVALID_ARGUMENT)).
  bool record(IntakeOp op, std::string_view stream, std::string_view tenant, double load) {
    return record(op, stream, tenant, load, nullptr);
  }
  // A holder's release of `stream` (docs/ownership.md), as record() does.
  bool record_release(std::string_view stream, std::string_view server, uint64_t token);
  // True the first time `stream` is looked up unknown since the last new_version() (then the
  // caller records it as seen); false after, and for every stream once a flood of distinct
  // unknown ids fills the set.
  bool first_lookup(std::string_view stream);
  void new_version();  // a new snapshot is served: streams still unknown in it are recorded again
  // When the oldest unsent record is due at the backend, given the flush delay; nullopt: none waits.
  std::optional<Clock::time_point> flush_due(Clock::duration delay) const;
  void flush(const BackendRef& backend);  // throws what the backend throws

  // ------------------------------------------------------------------ leader side, serialised
  // Reads what nodes submitted (drained, or peeked when the backend keeps records until settled)
  // into pending() and returns how many batches failed to parse (logged and dropped).
  uint64_t take(const BackendRef& backend, uint64_t epoch);
  const PendingChanges& pending() const { return pending_; }
  // A version including pending() is published: forget it, and settle the keyed records.
  void published(const BackendRef& backend) noexcept;
  // A refresh failed: with keyed intake and many records taken, fold them into a few records of
  // the same effect, so a long publish outage cannot grow the pending list without bound.
  void failed(const BackendRef& backend) noexcept;
  // This node stops leading: records it drained go back to the backend for the next leader
  // (records of a keyed backend are still pending there), behind none sent since it drained
  // while it can still drain those too. Throws what the backend's submit throws.
  void give_back(const BackendRef& backend);
  // Removes published records from a keyed backend; a failure is retried at the next take.
  void settle_published(const BackendRef& backend) noexcept;

 private:
  // `token`: a release's (then `op` is release), or null for every other record.
  bool record(IntakeOp op, std::string_view stream, std::string_view tenant, double load, const uint64_t* token);
  uint64_t apply(const std::vector<std::string>& batches);  // into pending_; returns the batches dropped
  std::vector<std::string> pending_as_batches() const;

  const bool keyed_;
  const std::string node_id_;

  std::mutex flush_mutex_;  // one flush at a time, so batches reach the backend in order
  mutable std::mutex mutex_;  // guards the four below
  std::string batch_;              // being filled
  std::vector<std::string> full_;  // closed at kIntakeBatchBytes, oldest first, not sent yet
  bool batch_is_catalogue_ = false;  // batch_ holds catalogue records (IntakeOp::server_set and after)
  Clock::time_point since_;        // when the oldest unsent record was recorded
  std::unordered_set<std::string> looked_up_unknown_;  // since the last new_version()

  PendingChanges pending_;  // leader side
  IntakeKeys keys_;         // with keyed intake: which records pending_ and published versions hold
};

}  // namespace berth
