// One in-memory cluster: the state every backend instance naming the same cluster shares
// (members, the election, the latest snapshot, the intake queue), behind one mutex.
//
// Each backend instance is a session of the cluster, as with a ZooKeeper session: what it
// registers (members, candidacy) lives exactly as long as the session.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/plugin.hpp"
#include "watch_relay.h"

namespace berth::memory {

using SessionId = uint64_t;  // 0 means "nobody"

// A session's state as its backend instance reads it without any lock (the lease): the session
// id while the session lives, or the id with kSessionEnded set once the cluster ended it.
using SessionState = std::atomic<uint64_t>;
constexpr uint64_t kSessionEnded = uint64_t{1} << 63;

class Cluster {
 public:
  struct Published {
    uint64_t version = 0;                       // 0: nothing published yet
    std::shared_ptr<const std::string> bytes;   // shared: a snapshot may be tens of megabytes
    uint64_t base_version = 0;                  // the version these bytes are based on; 0: none
  };

  explicit Cluster(std::string name) : name_(std::move(name)) {}
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& name() const { return name_; }

  // `watch` receives every change of the cluster until the session ends; `state` is set to the
  // new session's id, and marked kSessionEnded if the cluster ends the session (expire_session).
  SessionId open_session(std::shared_ptr<backend::WatchRelay> watch, std::shared_ptr<SessionState> state);
  // Removes the session's members and candidacy, and its watch, and tells the others. A session
  // the cluster already ended is ignored.
  void close_session(SessionId session) noexcept;
  // Ends a live session as a ZooKeeper ensemble ends an expired one: its members and candidacy
  // go, its instance's state reads ended (its lease is lost) and its watch hears
  // BERTH_CHANGED_CONNECTION; the instance opens a new session on its next join or campaign.
  // A test hook (config key `expire_session`). BERTH_E_NOT_FOUND unless `session` is live.
  void expire_session(SessionId session);

  void join(SessionId session, std::string_view member, std::string_view info);
  void leave(SessionId session, std::string_view member);
  std::vector<std::pair<std::string, std::string>> members() const;

  void campaign(SessionId session);
  void resign(SessionId session);
  plugin::Leadership leadership(SessionId session) const;

  // `base_version` (0: self-contained) must be the latest version, if self-contained, or the
  // latest's base (BERTH_E_NOT_FOUND otherwise); it is then kept as long as the latest needs it.
  void publish(SessionId session, uint64_t epoch, uint64_t version, std::shared_ptr<const std::string> bytes,
               uint64_t base_version = 0);
  Published latest() const;
  // The latest version or its base, when `version` is one of them; version 0 otherwise.
  Published kept(uint64_t version) const;

  // Pending records by sequence number (the first is 1), oldest first; shared, so a peek copies
  // pointers, not the records (a bulk registration is tens of MB).
  using Intake = std::map<uint64_t, std::shared_ptr<const std::string>>;
  void submit(std::string record);
  // Leader only: every pending record; the queue is left empty.
  Intake take_intake(SessionId session);
  // Puts records taken by take_intake back (the host could not receive them).
  void give_back_intake(Intake records);
  // Leader only: a copy of every pending record; they stay pending.
  Intake peek_intake(SessionId session) const;
  // Removes the records numbered `seqs` that are still pending.
  void settle_intake(const std::vector<uint64_t>& seqs);

 private:
  struct Member {
    SessionId owner;
    std::string info;
  };

  struct Session {
    std::shared_ptr<backend::WatchRelay> watch;
    std::shared_ptr<SessionState> state;
  };

  // The functions below require mutex_ to be held.
  uint32_t settle_leadership();
  uint32_t withdraw(SessionId session);
  uint32_t remove_registrations(SessionId session);
  std::string describe(SessionId session) const;
  std::string describe_leader() const;
  // Releases `lock`, then tells every watcher (collected while locked) that `what` changed;
  // BERTH_CHANGED_INTAKE goes to the leader only (followers have nothing to do with the intake).
  void notify_all(std::unique_lock<std::mutex>& lock, uint32_t what);

  const std::string name_;
  mutable std::mutex mutex_;
  SessionId next_session_ = 1;
  std::map<SessionId, Session> sessions_;
  std::map<std::string, Member, std::less<>> members_;
  std::vector<SessionId> candidates_;  // in the order they campaigned; the first one leads
  SessionId leader_ = 0;
  uint64_t epoch_ = 0;  // leader_'s epoch; counts every leadership ever granted in this cluster
  Published latest_;
  Published base_;  // the self-contained version latest_ is based on; version 0 when none
  Intake intake_;
  uint64_t next_record_ = 1;
};

}  // namespace berth::memory
