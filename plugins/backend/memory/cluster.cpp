#include "cluster.h"

#include <algorithm>

#include "publish_admission.h"

namespace berth::memory {

using plugin::Error;

SessionId Cluster::open_session(std::shared_ptr<backend::WatchRelay> watch, std::shared_ptr<SessionState> state) {
  std::lock_guard lock(mutex_);
  SessionId session = next_session_++;
  state->store(session);
  sessions_.emplace(session, Session{std::move(watch), std::move(state)});
  return session;
}

uint32_t Cluster::remove_registrations(SessionId session) {
  uint32_t changed = withdraw(session);
  for (auto it = members_.begin(); it != members_.end();) {
    if (it->second.owner == session) {
      it = members_.erase(it);
      changed |= BERTH_CHANGED_MEMBERS;
    } else {
      ++it;
    }
  }
  return changed;
}

void Cluster::close_session(SessionId session) noexcept {
  std::unique_lock lock(mutex_);
  sessions_.erase(session);
  uint32_t changed = remove_registrations(session);
  try {
    notify_all(lock, changed);
  } catch (...) {
    // Out of memory while collecting watchers: the state is already right; only the
    // notification is lost, and destroy() cannot report anything.
  }
}

void Cluster::expire_session(SessionId session) {
  std::unique_lock lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end())
    throw Error(BERTH_E_NOT_FOUND, "expire_session: cluster '" + name_ + "' has no live session " + std::to_string(session));
  Session ended = std::move(it->second);
  sessions_.erase(it);
  // Marked ended before anyone can see its registrations gone: the lease is lost first.
  ended.state->store(session | kSessionEnded);
  uint32_t changed = remove_registrations(session);
  notify_all(lock, changed);
  if (ended.watch != nullptr) ended.watch->notify(changed | BERTH_CHANGED_CONNECTION);
}

void Cluster::join(SessionId session, std::string_view member, std::string_view info) {
  if (member.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "join: the member id is empty");
  std::unique_lock lock(mutex_);
  auto it = members_.find(member);
  if (it == members_.end()) {
    members_.emplace(std::string(member), Member{session, std::string(info)});
  } else if (it->second.owner != session) {
    throw Error(BERTH_E_STATE, "join: member '" + std::string(member) + "' of cluster '" + name_ +
                                   "' is already registered by another live backend instance (" +
                                   describe(it->second.owner) + ")");
  } else if (it->second.info == info) {
    return;  // nothing changed: nobody needs waking
  } else {
    it->second.info.assign(info);
  }
  notify_all(lock, BERTH_CHANGED_MEMBERS);
}

void Cluster::leave(SessionId session, std::string_view member) {
  std::unique_lock lock(mutex_);
  auto it = members_.find(member);
  if (it == members_.end()) return;  // leaving is idempotent, so a retried leave is harmless
  if (it->second.owner != session)
    throw Error(BERTH_E_STATE, "leave: member '" + std::string(member) + "' of cluster '" + name_ +
                                   "' is registered by another backend instance (" + describe(it->second.owner) +
                                   "), not this one");
  members_.erase(it);
  notify_all(lock, BERTH_CHANGED_MEMBERS);
}

std::vector<std::pair<std::string, std::string>> Cluster::members() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(members_.size());
  for (const auto& [id, member] : members_) out.emplace_back(id, member.info);
  return out;
}

void Cluster::campaign(SessionId session) {
  std::unique_lock lock(mutex_);
  if (std::find(candidates_.begin(), candidates_.end(), session) != candidates_.end()) return;
  candidates_.push_back(session);
  notify_all(lock, settle_leadership());
}

void Cluster::resign(SessionId session) {
  std::unique_lock lock(mutex_);
  notify_all(lock, withdraw(session));
}

plugin::Leadership Cluster::leadership(SessionId session) const {
  std::lock_guard lock(mutex_);
  return {leader_ != 0 ? epoch_ : 0, leader_ != 0 && leader_ == session, true};
}

void Cluster::publish(SessionId session, uint64_t epoch, uint64_t version, std::shared_ptr<const std::string> bytes,
                      uint64_t base_version) {
  std::unique_lock lock(mutex_);
  const backend::PublishAdmission admission(epoch, version, base_version, "cluster '" + name_ + "'");
  admission.require_leader(leader_ == session, epoch_, [&] { return describe_leader(); });
  switch (admission.admit({latest_.version, latest_.base_version})) {
    case backend::BaseOf::nothing: base_ = {}; break;  // anything kept before is no longer needed
    case backend::BaseOf::latest: base_ = latest_; break;
    case backend::BaseOf::latest_base: break;  // base_ is the latest's base
  }
  latest_ = Published{version, std::move(bytes), base_version};
  notify_all(lock, BERTH_CHANGED_SNAPSHOT);
}

Cluster::Published Cluster::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

Cluster::Published Cluster::kept(uint64_t version) const {
  std::lock_guard lock(mutex_);
  if (version != 0 && version == latest_.version) return latest_;
  if (version != 0 && version == base_.version) return base_;
  return {};
}

void Cluster::submit(std::string record) {
  std::unique_lock lock(mutex_);
  intake_.emplace(next_record_++, std::make_shared<const std::string>(std::move(record)));
  notify_all(lock, BERTH_CHANGED_INTAKE);
}

Cluster::Intake Cluster::take_intake(SessionId session) {
  std::lock_guard lock(mutex_);
  if (leader_ != session)
    throw Error(BERTH_E_STATE, "drain: only the leader takes submissions, and this backend instance does not "
                               "lead cluster '" + name_ + "'; " + describe_leader());
  return std::exchange(intake_, {});
}

void Cluster::give_back_intake(Intake records) {
  if (records.empty()) return;
  std::unique_lock lock(mutex_);
  intake_.merge(records);
  notify_all(lock, BERTH_CHANGED_INTAKE);
}

Cluster::Intake Cluster::peek_intake(SessionId session) const {
  std::lock_guard lock(mutex_);
  if (leader_ != session)
    throw Error(BERTH_E_STATE, "peek_intake: only the leader takes submissions, and this backend instance does not "
                               "lead cluster '" + name_ + "'; " + describe_leader());
  return intake_;
}

void Cluster::settle_intake(const std::vector<uint64_t>& seqs) {
  std::lock_guard lock(mutex_);
  for (uint64_t seq : seqs) intake_.erase(seq);
}

// A new first candidate is a new leader, with the next epoch; even the same instance coming back
// after a gap gets a new one, so nothing it prepared under the old epoch can be published.
uint32_t Cluster::settle_leadership() {
  SessionId first = candidates_.empty() ? 0 : candidates_.front();
  if (first == leader_) return 0;
  leader_ = first;
  if (first != 0) ++epoch_;
  return BERTH_CHANGED_LEADER;
}

uint32_t Cluster::withdraw(SessionId session) {
  auto it = std::find(candidates_.begin(), candidates_.end(), session);
  if (it == candidates_.end()) return 0;
  candidates_.erase(it);
  return settle_leadership();
}

std::string Cluster::describe(SessionId session) const {
  std::string out = "backend instance #" + std::to_string(session);
  std::string owned;
  int shown = 0;
  for (const auto& [id, member] : members_) {
    if (member.owner != session) continue;
    if (shown++ == 3) {
      owned += ", ...";
      break;
    }
    owned += (owned.empty() ? "" : ", ") + id;
  }
  return owned.empty() ? out : out + " with members " + owned;
}

std::string Cluster::describe_leader() const {
  if (leader_ == 0) return "no instance leads cluster '" + name_ + "' now";
  return describe(leader_) + " leads cluster '" + name_ + "' at epoch " + std::to_string(epoch_);
}

void Cluster::notify_all(std::unique_lock<std::mutex>& lock, uint32_t what) {
  if (what == 0) return;
  // A new leader hears of records already pending: nobody told it while it followed.
  if ((what & BERTH_CHANGED_LEADER) != 0 && leader_ != 0 && !intake_.empty()) what |= BERTH_CHANGED_INTAKE;
  std::vector<std::pair<std::shared_ptr<backend::WatchRelay>, uint32_t>> targets;
  targets.reserve(sessions_.size());
  for (const auto& [session, entry] : sessions_) {
    const uint32_t bits = session == leader_ ? what : what & ~static_cast<uint32_t>(BERTH_CHANGED_INTAKE);
    if (entry.watch != nullptr && bits != 0) targets.emplace_back(entry.watch, bits);
  }
  lock.unlock();
  for (const auto& [target, bits] : targets) target->notify(bits);
}

}  // namespace berth::memory
