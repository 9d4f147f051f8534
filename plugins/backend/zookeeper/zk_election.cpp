// The zookeeper backend's membership and election: what this instance registers, ephemeral
// nodes that live exactly as long as its session.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

constexpr size_t kMaxIdBytes = 4096;

}  // namespace

std::string ZkBackend::candidate_name() const { return candidate_.empty() ? std::string() : basename_of(candidate_); }

// In the order they stood: by ZooKeeper's sequence suffix (the last ten digits), whatever the
// session prefix before it.
std::vector<std::string> ZkBackend::candidates_locked() {
  std::vector<std::string> names = children_locked(election_);
  const auto suffix = [](const std::string& name) {
    return std::string_view(name).substr(name.size() > 10 ? name.size() - 10 : 0);
  };
  std::stable_sort(names.begin(), names.end(),
                   [&](const std::string& a, const std::string& b) { return suffix(a) < suffix(b); });
  return names;
}

// ------------------------------------------------------------------------------ membership --

void ZkBackend::join(std::string_view member, std::string_view info) {
  if (member.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "join: the member id is empty");
  if (member.size() > kMaxIdBytes || info.size() > kMaxRecordBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, "join: a member id of " + std::to_string(member.size()) + " bytes (at most " +
                                              std::to_string(kMaxIdBytes) + ") or info of " + std::to_string(info.size()) +
                                              " bytes (at most " + std::to_string(kMaxRecordBytes) + ") is too large");
  const std::string path = members_ + "/" + encode_name(member);
  std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 10; ++attempt) {
    int rc = zoo_create(handle(), path.c_str(), info.data(), static_cast<int>(info.size()), &acl_,
                        ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZOK) {
      joined_[std::string(member)] = std::string(info);
      return;
    }
    if (rc != ZNODEEXISTS) fail(rc, "create", path);
    Stat stat;
    rc = zoo_exists(handle(), path.c_str(), 0, &stat);
    if (rc == ZNONODE) continue;
    if (rc != ZOK) fail(rc, "read", path);
    if (stat.ephemeralOwner != session_id_locked())
      throw Error(BERTH_E_STATE, "join: member '" + std::string(member) + "' is already registered by another instance (" +
                                     path + ", session " + hex_session(stat.ephemeralOwner) + ")");
    // Ours: replace it in one multi, so the members' child watch fires and everyone sees new info.
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    zoo_delete_op_init(&ops[0], path.c_str(), stat.version);
    zoo_create_op_init(&ops[1], path.c_str(), info.data(), static_cast<int>(info.size()), &acl_,
                       ZOO_EPHEMERAL, nullptr, 0);
    rc = multi(handle(), 2, ops, results);
    if (rc == ZOK) {
      joined_[std::string(member)] = std::string(info);
      return;
    }
    if (rc != ZNONODE && rc != ZBADVERSION && rc != ZNODEEXISTS) fail(rc, "replace", path);
  }
  throw Error(BERTH_E_UNAVAILABLE, "join: " + path + " kept changing under this instance");
}

void ZkBackend::leave(std::string_view member) {
  if (member.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "leave: the member id is empty");
  if (member.size() > kMaxIdBytes) return;  // join refuses such ids: it cannot be registered
  const std::string path = members_ + "/" + encode_name(member);
  std::lock_guard lock(mutex_);
  Stat stat;
  int rc = zoo_exists(handle(), path.c_str(), 0, &stat);
  if (rc == ZNONODE) {
    joined_.erase(std::string(member));
    return;
  }
  if (rc != ZOK) fail(rc, "read", path);
  if (stat.ephemeralOwner != session_id_locked())
    throw Error(BERTH_E_STATE, "leave: member '" + std::string(member) + "' is registered by another instance (" +
                                   path + ", session " + hex_session(stat.ephemeralOwner) + ")");
  rc = zoo_delete(handle(), path.c_str(), -1);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", path);
  joined_.erase(std::string(member));
}

void ZkBackend::members(const plugin::Sink& out) {
  std::vector<std::pair<std::string, std::string>> found;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& name : children_locked(members_)) {
      const std::string path = members_ + "/" + name;
      std::string info;
      Stat stat;
      if (!get_locked(path, &info, &stat)) continue;  // left meanwhile
      auto id = decode_name(name);
      if (!id) throw Error(BERTH_E_CORRUPT, "zookeeper: " + path + " is not a member name this backend writes");
      found.emplace_back(std::move(*id), std::move(info));
    }
  }
  for (const auto& [id, info] : found) out.item(id, info.data(), info.size());
}

// -------------------------------------------------------------------------------- election --

void ZkBackend::campaign() {
  std::lock_guard lock(mutex_);
  if (!candidate_.empty()) {
    campaigning_ = true;
    return;
  }
  create_candidate_locked();  // refused (an ACL): not campaigning, nothing to stand again for
  campaigning_ = true;
  try_lead_locked();
}

void ZkBackend::create_candidate_locked() {
  // The session in the name: a recreated election/ numbers from 0 again, and a name that may
  // repeat another session's would pass the publication's fence (a check that the node exists).
  char session[24];
  std::snprintf(session, sizeof session, "%016" PRIx64 "_", static_cast<uint64_t>(session_id_locked()));
  const std::string prefix = election_ + "/c_" + session;
  std::string created(prefix.size() + 64, '\0');
  int rc = zoo_create(handle(), prefix.c_str(), description_.data(), static_cast<int>(description_.size()),
                      &acl_, ZOO_EPHEMERAL_SEQUENTIAL, created.data(), static_cast<int>(created.size()));
  if (rc != ZOK) fail(rc, "create a candidate under", election_);
  candidate_ = created.c_str();
  taken_epoch_ = 0;
  set_epoch_locked(0);
  // Its own deletion (from outside, or with the whole layout) wakes the worker, which campaigns
  // again while campaigning_ holds: nobody else watches the last candidate.
  Stat stat;
  rc = zoo_wexists(handle(), candidate_.c_str(), on_event, &events_, &stat);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "watch", candidate_);
}

void ZkBackend::resign() {
  std::lock_guard lock(mutex_);
  campaigning_ = false;
  set_epoch_locked(0);
  if (candidate_.empty()) return;
  int rc = zoo_delete(handle(), candidate_.c_str(), -1);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", candidate_);
  candidate_.clear();
}

bool ZkBackend::own_candidate_locked() {
  if (candidate_.empty()) return false;
  Stat stat;
  int rc = zoo_exists(handle(), candidate_.c_str(), 0, &stat);
  if (rc == ZNONODE) return false;
  if (rc != ZOK) fail(rc, "read", candidate_);
  // A recreated election/ numbers its candidates from 0 again: the same name may be another's.
  return stat.ephemeralOwner == session_id_locked();
}

void ZkBackend::try_lead_locked() {
  if (zh_ == nullptr) return;
  if (candidate_.empty()) {
    if (!campaigning_) return;
    create_candidate_locked();  // ours went (deleted from outside, or found gone by a publication)
  }
  std::string mine = candidate_name();
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<std::string> candidates = candidates_locked();
    auto it = std::find(candidates.begin(), candidates.end(), mine);
    if (it == candidates.end() || !own_candidate_locked()) {  // gone: deleted from outside, or the session expired
      candidate_.clear();
      set_epoch_locked(0);
      // The session still answers (else the call above failed): a deletion from outside. Stand
      // again, behind whoever campaigns now.
      if (!campaigning_) return;
      plugin::log(host_, BERTH_LOG_WARN, "zookeeper: this instance's candidate " + election_ + "/" + mine +
                                             " was deleted while its session lives: campaigning again");
      create_candidate_locked();
      mine = candidate_name();
      continue;
    }
    if (it != candidates.begin()) {
      // Watch only the predecessor; when it goes, look again.
      const std::string predecessor = election_ + "/" + *(it - 1);
      Stat stat;
      int rc = zoo_wexists(handle(), predecessor.c_str(), on_event, &events_, &stat);
      if (rc == ZNONODE) continue;
      if (rc != ZOK) fail(rc, "watch", predecessor);
      set_epoch_locked(0);
      return;
    }
    std::string owner;
    Stat stat;
    if (!get_locked(epoch_, &owner, &stat))
      throw Error(BERTH_E_CORRUPT, "zookeeper: " + epoch_ + " is missing");
    max_epoch_seen_ = std::max(max_epoch_seen_, static_cast<uint64_t>(stat.version));
    // Only an epoch this candidacy took itself: a same-named candidate of an earlier election/
    // (before the layout was lost) may have taken the one the node names.
    if (owner == mine && static_cast<uint64_t>(stat.version) == taken_epoch_) {
      set_epoch_locked(static_cast<uint64_t>(stat.version));
      return;
    }
    // Never lead at or below an epoch this instance saw (a recreated epoch node starts at 0).
    if (static_cast<uint64_t>(stat.version) < max_epoch_seen_) {
      raise_epoch_locked();
      continue;
    }
    // Take over: a new epoch, only while our candidacy still exists.
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    zoo_check_op_init(&ops[0], candidate_.c_str(), -1);
    zoo_set_op_init(&ops[1], epoch_.c_str(), mine.data(), static_cast<int>(mine.size()), stat.version, nullptr);
    int rc = multi(handle(), 2, ops, results);
    if (rc == ZOK) {
      taken_epoch_ = static_cast<uint64_t>(stat.version) + 1;
      set_epoch_locked(taken_epoch_);
      last_epoch_ = my_epoch_;
      return;
    }
    if (rc != ZBADVERSION && rc != ZNONODE) fail(rc, "take over the epoch at", epoch_);
    // A recreated epoch node (the layout was lost) starts again at 0: never lead below an epoch
    // this instance saw.
    if (rc == ZBADVERSION || static_cast<uint64_t>(stat.version) < max_epoch_seen_) raise_epoch_locked();
  }
}

std::string ZkBackend::describe_leader_locked() {
  std::vector<std::string> candidates = candidates_locked();
  std::string owner;
  Stat stat;
  if (!get_locked(epoch_, &owner, &stat)) return "leader: nobody (" + epoch_ + " is missing)";
  if (candidates.empty()) return "leader: nobody";
  std::string who = election_ + "/" + candidates.front();
  std::string description;
  Stat candidate_stat;
  if (get_locked(who, &description, &candidate_stat)) who += " (" + description + ")";
  if (owner != candidates.front()) who += ", taking over from epoch " + std::to_string(stat.version);
  return "leader: " + who + (stat.version != 0 ? " at epoch " + std::to_string(stat.version) : std::string());
}

plugin::Leadership ZkBackend::leadership() {
  std::lock_guard lock(mutex_);
  plugin::Leadership now;
  if (zh_ == nullptr || zoo_state(zh_) != ZOO_CONNECTED_STATE) {
    now.epoch = last_epoch_;
    now.connected = false;
    return now;
  }
  try {
    std::vector<std::string> candidates = candidates_locked();
    if (campaigning_ && (candidate_.empty() ||
                         std::find(candidates.begin(), candidates.end(), candidate_name()) == candidates.end() ||
                         !own_candidate_locked())) {
      try_lead_locked();  // ours was deleted from outside: stand again
      candidates = candidates_locked();
    }
    if (candidates.empty()) {
      if (!candidate_.empty()) {
        candidate_.clear();
        set_epoch_locked(0);
      }
      last_epoch_ = 0;
      return now;
    }
    const std::string mine = candidate_name();
    if (!mine.empty() && candidates.front() == mine && my_epoch_ == 0) try_lead_locked();
    std::string owner;
    Stat stat;
    if (!get_locked(epoch_, &owner, &stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: " + epoch_ + " is missing");
    max_epoch_seen_ = std::max(max_epoch_seen_, static_cast<uint64_t>(stat.version));
    now.epoch = static_cast<uint64_t>(stat.version);
    now.is_leader = my_epoch_ != 0 && my_epoch_ == now.epoch && owner == mine && candidates.front() == mine;
    if (my_epoch_ != 0 && !now.is_leader) set_epoch_locked(0);
    last_epoch_ = now.epoch;
    return now;
  } catch (const Error& e) {
    // A layout deleted from outside reads as degraded until the worker has made it again.
    if (e.code() != BERTH_E_UNAVAILABLE && !layout_missing_locked()) throw;
    if (e.code() != BERTH_E_UNAVAILABLE) {
      {
        std::lock_guard events(events_.mutex);
        events_.pending |= BERTH_CHANGED_LEADER;
      }
      events_.wake.notify_all();
    }
    now.epoch = last_epoch_;
    now.connected = false;
    return now;
  }
}

}  // namespace berth::zk
