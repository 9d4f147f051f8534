#include "engine/intake_ledger.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "common/log.h"

namespace berth {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

bool IntakeLedger::record(IntakeOp op, std::string_view stream, std::string_view tenant, double load,
                          const uint64_t* token) {
  if (op == IntakeOp::release && token == nullptr)
    throw Error(BERTH_E_INVALID_ARGUMENT, "a release record carries a token: record_release, not record");
  // Every record must fit a backend's record whatever its batch: a stream id or tenant of
  // megabytes would be refused by the backend at every flush, and hold back what follows it.
  if (stream.size() > kMaxIdBytes || tenant.size() > kMaxIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT,
                fmt::format("{} of {} bytes is longer than the limit of {} bytes (stream id starts '{}')",
                            stream.size() > kMaxIdBytes ? "stream id" : token != nullptr ? "server id" : "tenant",
                            std::max(stream.size(), tenant.size()), kMaxIdBytes, stream.substr(0, 32)));
  std::lock_guard lock(mutex_);
  bool was_empty = batch_.empty() && full_.empty();
  if (was_empty) since_ = Clock::now();
  // Catalogue records travel in batches of their own: a leader of an earlier release refuses a
  // batch with an op it does not know as a whole, and must not lose stream changes or releases
  // with it (docs/catalogue.md, "Mixed releases").
  const bool catalogue = is_catalogue_op(op);
  if (!batch_.empty() && (batch_.size() >= kIntakeBatchBytes || catalogue != batch_is_catalogue_))
    full_.push_back(std::exchange(batch_, {}));
  batch_is_catalogue_ = catalogue;
  if (token != nullptr)
    append_release(batch_, stream, tenant, *token);
  else
    append_intake(batch_, op, stream, tenant, load);
  return was_empty;
}

bool IntakeLedger::record_release(std::string_view stream, std::string_view server, uint64_t token) {
  return record(IntakeOp::release, stream, server, kNaN, &token);
}

bool IntakeLedger::first_lookup(std::string_view stream) {
  // Recorded once per snapshot version; a node flooded with distinct unknown names stops
  // recording (not answering) until the next version clears the set.
  constexpr size_t kMaxRecordedPerVersion = size_t{1} << 20;
  std::lock_guard lock(mutex_);
  return looked_up_unknown_.size() < kMaxRecordedPerVersion && looked_up_unknown_.emplace(stream).second;
}

void IntakeLedger::new_version() {
  std::lock_guard lock(mutex_);
  looked_up_unknown_.clear();
}

std::optional<IntakeLedger::Clock::time_point> IntakeLedger::flush_due(Clock::duration delay) const {
  std::lock_guard lock(mutex_);
  if (batch_.empty() && full_.empty()) return std::nullopt;
  return since_ + delay;
}

void IntakeLedger::flush(const BackendRef& backend) {
  std::lock_guard flush_lock(flush_mutex_);  // batches reach the backend in the order recorded
  std::vector<std::string> batches;
  {
    std::lock_guard lock(mutex_);
    batches.swap(full_);
    if (!batch_.empty()) batches.push_back(std::exchange(batch_, {}));
  }
  if (batches.empty()) return;
  std::lock_guard lock(backend.mutex);
  size_t sent = 0;
  try {
    for (; sent < batches.size(); ++sent) backend.backend.submit(batches[sent]);
  } catch (...) {
    // Keep the unsent batches for the next attempt, ahead of anything recorded meanwhile.
    std::lock_guard intake_lock(mutex_);
    batches.erase(batches.begin(), batches.begin() + static_cast<std::ptrdiff_t>(sent));
    batches.insert(batches.end(), std::make_move_iterator(full_.begin()), std::make_move_iterator(full_.end()));
    full_ = std::move(batches);
    throw;
  }
}

uint64_t IntakeLedger::take(const BackendRef& backend, uint64_t epoch) {
  std::vector<std::string> batches;
  if (!keyed_) {
    batches = backend.call([](Backend& b) { return b.drain(); });
  } else {
    // Changes taken under another epoch may be stale: whoever led in between may have published
    // them and newer ones. They are still pending in the backend unless they were published, so
    // drop them and read the pending list afresh.
    if (keys_.has_taken() && keys_.epoch() != epoch) {
      pending_.clear();
      keys_.forget_taken();
    }
    keys_.set_epoch(epoch);
    settle_published(backend);  // leftovers of an earlier refresh, so they are not read again
    auto records = backend.call([](Backend& b) { return b.peek_intake(); });
    for (auto& [key, bytes] : records)
      if (keys_.take(key)) batches.push_back(std::move(bytes));
  }
  return apply(batches);
}

uint64_t IntakeLedger::apply(const std::vector<std::string>& batches) {
  uint64_t rejected = 0;
  for (const std::string& batch : batches) {
    try {
      for (const IntakeRecord& r : parse_intake(batch)) pending_.apply(r);
    } catch (const Error& e) {
      ++rejected;
      logger().warn("berth node {}: intake batch dropped: {}", node_id_, e.what());
    }
  }
  return rejected;
}

void IntakeLedger::published(const BackendRef& backend) noexcept {
  (void)backend;  // settled after the version is served (settle_published), not before
  pending_.clear();
  keys_.published();
}

void IntakeLedger::give_back(const BackendRef& backend) {
  if (keyed_) {
    pending_.clear();
    keys_.forget_taken();
    settle_published(backend);
    return;
  }
  if (pending_.empty()) return;
  std::lock_guard lock(backend.mutex);
  // Records sent since take() are newer than pending_, and submitted back after them pending_
  // would overtake them (a removal would win over a later add of the same stream). While this
  // node still leads it drains them and applies them on top, so what goes back keeps them last.
  // A deposed node cannot drain (the new leader takes them), and gives pending_ back as it is.
  try {
    apply(backend.backend.drain());
  } catch (const std::exception& e) {
    logger().info("berth node {}: giving back {} pending stream change(s) without the newer records: {}", node_id_,
                  pending_.order().size(), e.what());
  }
  for (const std::string& batch : pending_as_batches()) backend.backend.submit(batch);
  pending_.clear();
}

// pending_ as intake batches (each stream in one of them, each batch well below a backend's
// record limit): applied on their own they have the effect of every record they came from.
std::vector<std::string> IntakeLedger::pending_as_batches() const {
  std::vector<std::string> batches(1);
  for (const std::string& id : pending_.order()) {
    if (batches.back().size() >= kIntakeBatchBytes) batches.emplace_back();
    std::string& batch = batches.back();
    const StreamChange& c = pending_.all().at(id);
    if (!c.present) {
      // The lookup keeps what the removal buries (refresh.cpp): a stream heard of, then removed.
      if (c.heard) append_intake(batch, IntakeOp::seen, id, "", kNaN);
      append_intake(batch, IntakeOp::remove, id, "", kNaN);
    }
    else if (c.added)
      append_intake(batch, IntakeOp::add, id, c.tenant, c.reported_load);
    else
      append_intake(batch, c.seen_only ? IntakeOp::seen : IntakeOp::report, id, "", c.reported_load);
  }
  for (const ownership::Release& r : pending_.releases()) {
    if (batches.back().size() >= kIntakeBatchBytes) batches.emplace_back();
    append_release(batches.back(), r.stream, r.server, r.token);
  }
  if (!pending_.catalogue().empty() && !batches.back().empty()) batches.emplace_back();  // their own batches (record())
  for (const IntakeRecord& r : pending_.catalogue()) {
    if (batches.back().size() >= kIntakeBatchBytes) batches.emplace_back();
    append_intake(batches.back(), r.op, r.stream, r.tenant, r.load);
  }
  if (batches.back().empty()) batches.pop_back();
  return batches;
}

// The folded records are submitted first and the originals settled after, so a crash between
// the two only leaves both, and applying both changes nothing more.
//
// Records sent since take() are newer than the taken ones; submitted after them, the folded
// records would overtake them (a removal would win over a later add of the same stream). So the
// fold first takes them too, applied on top of pending_, and settles them with the rest: the
// folded records then say what all of them say, in their order. A record another node sends
// between this peek and the submit below can still be overtaken; the window is one round trip.
void IntakeLedger::failed(const BackendRef& backend) noexcept {
  constexpr size_t kFoldAbove = 256;
  if (!keyed_ || keys_.taken_count() <= kFoldAbove) return;
  try {
    std::vector<std::string> batches;
    {
      std::lock_guard lock(backend.mutex);
      std::vector<std::string> newer;
      for (auto& [key, bytes] : backend.backend.peek_intake())
        if (keys_.take(key)) newer.push_back(std::move(bytes));
      apply(newer);
      batches = pending_as_batches();
      for (const std::string& batch : batches) backend.backend.submit(batch);
      backend.backend.settle_intake(keys_.taken());
    }
    logger().info("berth node {}: folded {} pending intake records into {}", node_id_, keys_.taken_count(), batches.size());
    pending_.clear();
    keys_.forget_taken();  // the folded records are read back, and applied, by the next refresh
  } catch (const std::exception& e) {
    logger().warn("berth node {}: could not fold {} pending intake records: {}", node_id_, keys_.taken_count(), e.what());
  }
}

void IntakeLedger::settle_published(const BackendRef& backend) noexcept {
  if (!keyed_ || keys_.unsettled().empty()) return;
  std::lock_guard lock(backend.mutex);
  try {
    backend.backend.settle_intake(keys_.unsettled());
    keys_.settled();
  } catch (const Error& e) {
    if (e.code() != BERTH_E_INVALID_ARGUMENT) {
      logger().warn("berth node {}: {} published intake record(s) not settled yet, retried at the next refresh: {}",
                    node_id_, keys_.unsettled().size(), e.what());
      return;
    }
    // The backend refuses a key it gave out (a backend bug): settle the others one by one, and
    // never take the refused ones again, or they would be applied at every refresh.
    std::vector<std::string> refused;
    for (const std::string& key : keys_.unsettled()) {
      try {
        backend.backend.settle_intake({key});
      } catch (const std::exception&) {
        refused.push_back(key);
      }
    }
    logger().error("berth node {}: the backend refuses to settle {} intake record(s) it handed out; they stay in "
                   "it and are ignored from now on: {}",
                   node_id_, refused.size(), e.what());
    keys_.settled();
    for (const std::string& key : refused) keys_.ignore(key);
  } catch (const std::exception& e) {
    logger().warn("berth node {}: {} published intake record(s) not settled yet, retried at the next refresh: {}",
                  node_id_, keys_.unsettled().size(), e.what());
  }
}

}  // namespace berth
