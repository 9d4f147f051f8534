// The zookeeper backend's session: connecting and authenticating, the layout under root, the
// watches, and the worker that re-arms them and replaces an expired session (registering this
// instance's members and candidacy again).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "zk_client.h"
#include "zk_test_hook.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

// zoo_add_auth's answer, on the client's completion thread: only recorded.
void on_auth(int rc, const void* context) {
  auto* events = static_cast<Events*>(const_cast<void*>(context));
  {
    std::lock_guard lock(events->mutex);
    events->auth_rc = rc;
  }
  events->wake.notify_all();
}


// The client requires a completion for every asynchronous call, even one nobody waits for; this
// one only counts the answer as come.
void count_answer(int, const void* context) {
  static_cast<Events*>(const_cast<void*>(context))->unanswered.done();
}

// The answer to re-arming the watch on `latest`: a failure is reported as a change to look at,
// so the worker sets it again and the host reads the pointer once more. A missing node is no
// failure: exists() sets the watch on it all the same, and its creation fires it.
void on_latest_rearmed(int rc, const Stat*, const void* context) {
  auto* events = static_cast<Events*>(const_cast<void*>(context));
  if (rc != ZOK && rc != ZNONODE) {
    {
      std::lock_guard lock(events->mutex);
      events->pending |= BERTH_CHANGED_SNAPSHOT;
    }
    events->wake.notify_all();
  }
  events->unanswered.done();
}

}  // namespace

void ZkBackend::connect_locked() {
  {
    std::lock_guard lock(events_.mutex);
    events_.session_state = 0;
  }
  errno = 0;
  const uint64_t sent_ns = monotonic_ns();  // the handshake is the lease's first round trip
  zh_ = zookeeper_init2(connect_.c_str(), on_event, timeout_ms_, nullptr, &events_, 0, &ClientLog::line);
  if (zh_ == nullptr) {
    int err = errno;
    throw Error(err == EINVAL ? BERTH_E_CONFIG : BERTH_E_UNAVAILABLE,
                "zookeeper: cannot start a session with '" + connect_ + "': " + std::strerror(err));
  }
  // Long enough for a server that is merely slow; an unreachable one fails within the timeout.
  const auto wait = std::chrono::milliseconds(std::clamp(timeout_ms_, 2000, 30000));
  std::unique_lock lock(events_.mutex);
  bool up = events_.wake.wait_for(lock, wait, [&] {
    return events_.session_state == ZOO_CONNECTED_STATE || events_.session_state == ZOO_EXPIRED_SESSION_STATE ||
           events_.session_state == ZOO_AUTH_FAILED_STATE;
  });
  if (!up || events_.session_state != ZOO_CONNECTED_STATE) {
    lock.unlock();
    close_locked();
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: could not connect to '" + connect_ + "' within " +
                                         std::to_string(wait.count()) + " ms");
  }
  lock.unlock();
  try {
    authenticate_locked();
  } catch (...) {
    close_locked();
    throw;
  }
  events_.lease.start(session_id_locked(), sent_ns, zoo_recv_timeout(zh_));
  write_session_for_tests(zh_, host_);
  intake_watched_ = false;
  {
    std::lock_guard beat(beat_mutex_);
    beat_zh_ = zh_;
  }
  beat_wake_.notify_all();
}

void ZkBackend::close_locked() noexcept {
  {
    std::lock_guard beat(beat_mutex_);
    beat_zh_ = nullptr;
  }
  events_.lease.end();
  if (zh_ != nullptr) {
    // While the handle is open, every call gets its answer within the session timeout: the
    // server's, or a failure once the client gives the connection up.
    const int timeout_ms = std::max(zoo_recv_timeout(zh_), 100);
    if (const size_t left = events_.unanswered.wait_for(std::chrono::milliseconds(timeout_ms)); left != 0) {
      try {
        plugin::log(host_, BERTH_LOG_WARN,
                    "zookeeper: closing the session with " + std::to_string(left) + " call(s) unanswered after " +
                        std::to_string(timeout_ms) + " ms");
      } catch (...) {  // closing matters more than the warning
      }
    }
    zookeeper_close(zh_);  // on our thread, never inside a callback
    events_.unanswered.forget();
  }
  zh_ = nullptr;
  intake_watched_ = false;
}

void ZkBackend::run_heartbeats() noexcept {
  std::unique_lock lock(beat_mutex_);
  for (;;) {
    const int timeout_ms = std::max(events_.lease.timeout_ms(), 40);
    beat_wake_.wait_for(lock, std::chrono::milliseconds(timeout_ms / 4), [&] { return beat_stop_; });
    if (beat_stop_) return;
    // Only while connected: a request queued during a disconnection would confirm nothing new.
    if (beat_zh_ != nullptr && zoo_state(beat_zh_) == ZOO_CONNECTED_STATE)
      send_heartbeat(beat_zh_, root_.c_str(), &events_.lease, events_.unanswered);
  }
}

void ZkBackend::became_leader_locked() {
  intake_listed_.clear();  // everything pending is news to a new leader
  // The worker sets the watch and tells the host: records may already be pending.
  {
    std::lock_guard lock(events_.mutex);
    events_.pending |= BERTH_CHANGED_INTAKE;
  }
  events_.wake.notify_all();
}

void ZkBackend::stopped_leading_locked() {
  intake_read_.clear();
  if (!intake_watched_ || zh_ == nullptr) return;
  intake_watched_ = false;
  // Asynchronous, and nobody waits for the answer: a watch that could not be removed fires once,
  // and the worker drops what it reports to a follower. Removing "all" child watches of intake/
  // (this client sets no other there) removes it on the server too, where removing one watcher
  // by function would only check it. The client declares the completion as void_completion_t*
  // but stores and calls the pointer's value as the function, as for every other completion.
  events_.unanswered.add();
  const int rc = zoo_aremove_all_watches(zh_, intake_.c_str(), ZWATCHTYPE_CHILD, 0,
                                         reinterpret_cast<void_completion_t*>(&count_answer), &events_);
  if (rc != ZOK) count_answer(rc, &events_);  // never queued: no answer will come
}

void ZkBackend::authenticate_locked() {
  if (auth_.empty()) return;
  {
    std::lock_guard lock(events_.mutex);
    events_.auth_rc = 1;
  }
  int rc = zoo_add_auth(zh_, "digest", auth_.data(), static_cast<int>(auth_.size()), on_auth, &events_);
  const std::string user = auth_.substr(0, auth_.find(':'));
  if (rc != ZOK) fail(rc, "authenticate as digest user '" + user + "' with", connect_);
  const auto wait = std::chrono::milliseconds(std::clamp(timeout_ms_, 2000, 30000));
  std::unique_lock lock(events_.mutex);
  if (!events_.wake.wait_for(lock, wait, [&] { return events_.auth_rc != 1; }))
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: no answer from '" + connect_ + "' to the credential of digest user '" +
                                         user + "' within " + std::to_string(wait.count()) + " ms");
  if (events_.auth_rc != ZOK)
    throw Error(code_of(events_.auth_rc) == BERTH_E_UNAVAILABLE ? BERTH_E_UNAVAILABLE : BERTH_E_PERMISSION,
                "zookeeper: '" + connect_ + "' refused the credential of digest user '" + user +
                    "' (backend.auth): " + zerror(events_.auth_rc));
}

void ZkBackend::ensure_layout_locked(bool after_loss) {
  // Ancestors of root are shared with other clusters: created open. Root and below: acl_.
  std::vector<std::pair<std::string, const ACL_vector*>> paths;
  for (size_t slash = root_.find('/', 1); slash != std::string::npos; slash = root_.find('/', slash + 1))
    paths.emplace_back(root_.substr(0, slash), &ZOO_OPEN_ACL_UNSAFE);
  paths.emplace_back(root_, &acl_);
  // After a loss, seeds/ comes before `latest`: a leader that finds nothing published then knows
  // to wait for the nodes' offers rather than publish from its own (perhaps older) version.
  if (after_loss) paths.emplace_back(seeds_, &acl_);
  for (const std::string* p : {&members_, &election_, &epoch_, &snapshots_, &latest_, &versions_, &intake_})
    paths.emplace_back(*p, &acl_);
  for (const auto& [path, acl] : paths) {
    // Look before creating: ZooKeeper checks the parent's ACL before whether the node exists, so
    // an instance without the credential could not even open on a layout that is all there.
    Stat stat;
    int rc = zoo_exists(handle(), path.c_str(), 0, &stat);
    if (rc != ZOK && rc != ZNONODE) fail(rc, "read", path);
    if (rc == ZNONODE) {
      rc = zoo_create(handle(), path.c_str(), "", 0, acl, ZOO_PERSISTENT, nullptr, 0);
      if (rc != ZOK && rc != ZNODEEXISTS) fail(rc, "create", path);
    }
    // Made by this instance or another: with a credential, only its holders may change it.
    if (!auth_.empty() && acl == &acl_) refuse_foreign_acl_locked(path);
  }
  // seeds/ exists only after a loss; read then, it must be as closed as the rest.
  if (!auth_.empty() && !after_loss) {
    Stat stat;
    int rc = zoo_exists(handle(), seeds_.c_str(), 0, &stat);
    if (rc == ZOK) refuse_foreign_acl_locked(seeds_);
    else if (rc != ZNONODE) fail(rc, "read", seeds_);
  }
  layout_ready_ = true;
}

void ZkBackend::arm_watches_locked(uint32_t what, bool host_reads_latest) {
  zhandle_t* zh = handle();
  Stat stat;
  String_vector names{};
  int rc = ZOK;
  if ((what & BERTH_CHANGED_MEMBERS) != 0) {
    rc = zoo_wget_children(zh, members_.c_str(), on_event, &events_, &names);
    if (rc == ZOK) deallocate_String_vector(&names);
    else fail(rc, "watch the children of", members_);
  }
  if ((what & BERTH_CHANGED_LEADER) != 0) {
    // A missing node is no failure, as for `latest`: the watch is set on it all the same and its
    // creation fires it; retrying meanwhile would only warn every few hundred ms.
    rc = zoo_wexists(zh, epoch_.c_str(), on_event, &events_, &stat);
    if (rc != ZOK && rc != ZNONODE) fail(rc, "watch", epoch_);
  }
  if ((what & BERTH_CHANGED_SNAPSHOT) != 0 && host_reads_latest) {
    // Without waiting: the host's read of `latest` follows this request on the same session, so
    // the server sets the watch first, and a change in between is what that read returns.
    events_.unanswered.add();
    rc = zoo_awexists(zh, latest_.c_str(), on_event, &events_, on_latest_rearmed, &events_);
    if (rc != ZOK) {
      events_.unanswered.done();  // never queued: no answer will come
      fail(rc, "watch", latest_);
    }
  } else if ((what & BERTH_CHANGED_SNAPSHOT) != 0) {
    rc = zoo_wexists(zh, latest_.c_str(), on_event, &events_, &stat);
    if (rc != ZOK && rc != ZNONODE) fail(rc, "watch", latest_);
  }
  if ((what & BERTH_CHANGED_INTAKE) != 0 && my_epoch_ != 0) {
    intake_watched_ = false;
    names = {};
    rc = zoo_wget_children(zh, intake_.c_str(), on_event, &events_, &names);
    if (rc != ZOK) fail(rc, "watch the children of", intake_);
    std::set<std::string> listed;
    for (int32_t i = 0; i < names.count; ++i) listed.emplace(names.data[i]);
    deallocate_String_vector(&names);
    ++intake_listings_;
    intake_news_ = intake_news_ || std::any_of(listed.begin(), listed.end(), [&](const std::string& name) {
                     return intake_listed_.count(name) == 0;
                   });
    intake_listed_ = std::move(listed);
    intake_watched_ = true;
  }
}

void ZkBackend::register_locked() {
  for (const auto& [id, info] : joined_) {
    const std::string path = members_ + "/" + encode_name(id);
    int rc = zoo_create(handle(), path.c_str(), info.data(), static_cast<int>(info.size()), &acl_,
                        ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZNODEEXISTS) {
      plugin::log(host_, BERTH_LOG_WARN, "zookeeper: after a new session, member '" + id +
                                             "' is registered by another instance; not registering it again");
    } else if (rc != ZOK) {
      fail(rc, "create", path);
    }
  }
  candidate_.clear();
  set_epoch_locked(0);
  if (campaigning_) {  // a new candidacy, behind whoever campaigned meanwhile; a new epoch if it leads
    create_candidate_locked();
    try_lead_locked();
  }
}

void ZkBackend::run_worker() noexcept {
  bool need_session = false;
  // Watches (and the election's predecessor watch) not set again yet: a watch fires once, and
  // re-arming it fails while the connection is lost. Kept and retried until it is set, or the
  // instance would never hear of a change again (found by the ensemble fault tests).
  uint32_t unarmed = 0;
  for (;;) {
    uint32_t bits = 0;
    {
      std::unique_lock lock(events_.mutex);
      const bool retry = need_session || unarmed != 0;
      auto wait = std::chrono::nanoseconds(std::chrono::milliseconds(retry ? 250 : 1000));
      for (const std::atomic<int64_t>* timer : {&collect_due_ns_, &regeneration_due_ns_})
        if (const int64_t due = timer->load(); due != 0)
          wait = std::min(wait, std::chrono::nanoseconds(std::max<int64_t>(due - static_cast<int64_t>(monotonic_ns()), 0)));
      events_.wake.wait_for(lock, wait, [&] {
        const auto due = [](const std::atomic<int64_t>& timer) {
          return timer.load() != 0 && static_cast<int64_t>(monotonic_ns()) >= timer.load();
        };
        return events_.stop || events_.pending != 0 || due(collect_due_ns_) || due(regeneration_due_ns_);
      });
      if (events_.stop) return;
      bits = events_.pending;
      events_.pending = 0;
    }
    uint32_t notify = bits & kAllChanges;
    // The regeneration window ended: the leader publishes now that the offers are in (as after a
    // membership change), rather than at its next periodic refresh.
    if (const int64_t due = regeneration_due_ns_.load(); due != 0 && static_cast<int64_t>(monotonic_ns()) >= due) {
      regeneration_due_ns_.store(0);
      notify |= BERTH_CHANGED_MEMBERS | BERTH_CHANGED_SNAPSHOT;
    }
    try {
      std::lock_guard lock(mutex_);
      if (!need_session && (bits & kExpired) == 0 && zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE)
        collect_garbage_if_due_locked();
      else if (collect_due_ns_.load() != 0)  // once connected again, not in a loop meanwhile
        collect_due_ns_.store(static_cast<int64_t>(monotonic_ns()) + 250'000'000);
      if ((bits & kExpired) != 0 || need_session) {
        // The session is gone, and with it every ephemeral registration: start a new one.
        close_locked();
        candidate_.clear();
        set_epoch_locked(0);
        need_session = true;
        connect_locked();
        need_session = false;
        unarmed = kAllChanges;
        // Deleted while no session was up: a loss all the same, so seeds/ comes first.
        ensure_layout_locked(layout_ready_ && layout_missing_locked());
        arm_watches_locked(kAllChanges);
        unarmed = 0;
        register_locked();
        notify |= kAllChanges;
      } else if (zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE) {
        uint32_t want = bits | unarmed;
        intake_news_ = false;
        const uint64_t listings = intake_listings_;
        if ((bits & BERTH_CHANGED_CONNECTION) != 0 || unarmed != 0) {
          // Back from a disconnection: every watch again (the client drops a duplicate), and the
          // host looks at the snapshot and the election, in case a change fell into the gap.
          want |= kAllChanges;
          notify |= BERTH_CHANGED_SNAPSHOT | BERTH_CHANGED_LEADER;
        }
        unarmed = want & (kAllChanges | kPredecessor);
        try {
          // The host is told of the snapshot whenever its watch is set here, and reads it after.
          arm_watches_locked(want, (notify & BERTH_CHANGED_SNAPSHOT) != 0);
          // The predecessor went, the epoch moved, or our own candidate went: look at the
          // election again (only then, so followers do not poll).
          if ((want & (BERTH_CHANGED_LEADER | kPredecessor)) != 0 && campaigning_) try_lead_locked();
          if ((want & BERTH_CHANGED_MEMBERS) != 0) register_members_again_locked();
        } catch (const Error&) {
          if (!layout_missing_locked()) throw;
          recover_layout_locked();
          want |= kAllChanges;
          notify |= kAllChanges;
          arm_watches_locked(kAllChanges, true);
        }
        unarmed = 0;
        if (my_epoch_ != 0 && !intake_watched_) {
          unarmed = BERTH_CHANGED_INTAKE;
          arm_watches_locked(BERTH_CHANGED_INTAKE);
          unarmed = 0;
        }
        // The intake was listed: the host hears of it exactly when a record is new to the
        // listings (a change that only removed records is no news).
        if (intake_listings_ != listings) {
          if (intake_news_) notify |= BERTH_CHANGED_INTAKE;
          else notify &= ~static_cast<uint32_t>(BERTH_CHANGED_INTAKE);
        }
      } else {
        unarmed |= bits & (kAllChanges | kPredecessor) & ~static_cast<uint32_t>(BERTH_CHANGED_CONNECTION);
      }
    } catch (const std::exception& e) {
      plugin::log(host_, BERTH_LOG_WARN, std::string("zookeeper: ") + e.what());
    } catch (...) {
    }
    bool leads = false;
    {
      std::lock_guard lock(mutex_);
      leads = my_epoch_ != 0;
    }
    // Submissions are the leader's business alone.
    if (!leads) notify &= ~static_cast<uint32_t>(BERTH_CHANGED_INTAKE);
    relay_.notify(notify);
  }
}

}  // namespace berth::zk
