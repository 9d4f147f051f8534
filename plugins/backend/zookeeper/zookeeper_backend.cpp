#include "zookeeper_backend.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace berth::zk {
namespace {

using plugin::Error;

constexpr size_t kChunkBytes = 512u << 10;  // a chunk and its request stay well below 1 MB
constexpr size_t kMaxRecordBytes = 1000u << 10;  // a record, or a member's info: one request < 1 MB
constexpr size_t kMaxIdBytes = 4096;
constexpr size_t kKeepVersions = 2;
constexpr uint32_t kAllChanges = BERTH_CHANGED_MEMBERS | BERTH_CHANGED_LEADER | BERTH_CHANGED_SNAPSHOT |
                                 BERTH_CHANGED_INTAKE | BERTH_CHANGED_CONNECTION;
// Internal flags in Events::pending, above the BERTH_CHANGED_* bits.
constexpr uint32_t kExpired = 1u << 16;
constexpr uint32_t kPredecessor = 1u << 17;

bool is_connection_error(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE ||
         rc == ZCLOSING || rc == ZSESSIONMOVED;
}

int32_t code_of(int rc) {
  if (is_connection_error(rc)) return BERTH_E_UNAVAILABLE;
  if (rc == ZNOAUTH || rc == ZAUTHFAILED) return BERTH_E_PERMISSION;
  return BERTH_E_INTERNAL;
}

[[noreturn]] void fail(int rc, std::string_view what, const std::string& path) {
  if (rc == ZNOAUTH)
    throw Error(BERTH_E_PERMISSION, "zookeeper: " + std::string(what) + " " + path +
                                        ": refused by the znode's ACL (ZNOAUTH): this instance's credential "
                                        "(backend.auth) is missing or is not the one the cluster's nodes were created with");
  throw Error(code_of(rc), "zookeeper: " + std::string(what) + " " + path + ": " + zerror(rc));
}

// zoo_add_auth's answer, on the client's completion thread: only recorded.
void on_auth(int rc, const void* context) {
  auto* events = static_cast<Events*>(const_cast<void*>(context));
  {
    std::lock_guard lock(events->mutex);
    events->auth_rc = rc;
  }
  events->wake.notify_all();
}

// The digest scheme splits "user:password" at the first ':'; the user part names the ACL.
std::string auth_of(plugin::Config& config) {
  const berth_kv* kv = config.find("auth");
  if (kv == nullptr) return "";
  std::string auth = kv->value;
  size_t colon = auth.find(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < auth.size();
  for (unsigned char c : auth)
    if (c < 0x20 || c == 0x7f) ok = false;
  // Never echo the value: it holds a password.
  if (!ok)
    throw Error(BERTH_E_CONFIG, config.where(*kv) + "is not a digest credential \"user:password\" "
                                                    "(a non-empty user, a ':', a non-empty password, no control characters)");
  return auth;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string hex_session(int64_t id) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%" PRIx64, static_cast<uint64_t>(id));
  return buffer;
}

void on_event(zhandle_t*, int type, int state, const char* path, void* context) {
  auto* events = static_cast<Events*>(context);
  uint32_t bits = 0;
  std::string_view p = path != nullptr ? path : "";
  if (type == ZOO_SESSION_EVENT) {
    bits = BERTH_CHANGED_CONNECTION;
    if (state == ZOO_EXPIRED_SESSION_STATE) bits |= kExpired;
  } else if (type == ZOO_NOTWATCHING_EVENT) {
    return;
  } else if (p == events->members) {
    bits = BERTH_CHANGED_MEMBERS;
  } else if (p == events->epoch) {
    bits = BERTH_CHANGED_LEADER;
  } else if (p.size() > events->election.size() && p.substr(0, events->election.size()) == events->election) {
    bits = BERTH_CHANGED_LEADER | kPredecessor;
  } else if (p == events->latest) {
    bits = BERTH_CHANGED_SNAPSHOT;
  } else if (p == events->intake) {
    bits = BERTH_CHANGED_INTAKE;
  } else {
    return;
  }
  {
    std::lock_guard lock(events->mutex);
    events->pending |= bits;
    if (type == ZOO_SESSION_EVENT) events->session_state = state;
  }
  events->wake.notify_all();
}

std::string root_of(plugin::Config& config) {
  const berth_kv* kv = config.find("root");
  if (kv == nullptr) return "/berth";
  std::string root = kv->value;
  bool ok = root.size() > 1 && root[0] == '/' && root.back() != '/' && root.find("//") == std::string::npos &&
            root.find("/./") == std::string::npos && root.find("/../") == std::string::npos;
  for (unsigned char c : root)
    if (c < 0x20 || c == 0x7f) ok = false;
  if (!ok)
    throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + root +
                                    "' is not a znode path (write e.g. \"/berth\" or \"/berth/cluster-a\")");
  return root;
}

}  // namespace

ZkBackend::ZkBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch)
    : host_(host), relay_(watch) {
  const berth_kv* connect = config.find("connect");
  if (connect == nullptr)
    throw Error(BERTH_E_CONFIG,
                "backend.connect: missing: the zookeeper backend needs `connect`, e.g. \"zk1:2181,zk2:2181\"");
  connect_ = connect->value;
  if (connect_.empty()) throw Error(BERTH_E_CONFIG, config.where(*connect) + "must not be empty");
  root_ = root_of(config);
  if (const berth_kv* kv = config.find("session_timeout")) {
    auto ms = parse_duration_ms(kv->value, 100, 600000);
    if (!ms)
      throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value +
                                      "' is not a duration between 100ms and 600s (write e.g. \"4s\" or \"400ms\")");
    timeout_ms_ = static_cast<int>(*ms);
  }
  auth_ = auth_of(config);
  if (!auth_.empty()) {
    // "auth" stands for the digest id of whoever creates the node, as authenticated by auth_.
    acl_entries_[0] = ACL{ZOO_PERM_ALL, ZOO_AUTH_IDS};
    acl_entries_[1] = ACL{ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE};
    acl_ = ACL_vector{2, acl_entries_};
  }
  config.reject_unknown();  // before connecting: a rejected instance leaves no trace

  members_ = root_ + "/members";
  election_ = root_ + "/election";
  epoch_ = root_ + "/epoch";
  snapshots_ = root_ + "/snapshots";
  latest_ = snapshots_ + "/latest";
  versions_ = snapshots_ + "/versions";
  intake_ = root_ + "/intake";
  events_.members = members_;
  events_.election = election_ + "/";
  events_.epoch = epoch_;
  events_.latest = latest_;
  events_.intake = intake_;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  description_ = "pid " + std::to_string(::getpid()) + " on " + hostname;

  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  std::lock_guard lock(mutex_);
  try {
    connect_locked();
    ensure_layout_locked();
    arm_watches_locked(kAllChanges);
  } catch (...) {
    if (zh_ != nullptr) zookeeper_close(zh_);
    zh_ = nullptr;
    throw;
  }
  worker_ = std::thread([this] { run_worker(); });
}

ZkBackend::~ZkBackend() {
  {
    std::lock_guard lock(events_.mutex);
    events_.stop = true;
  }
  events_.wake.notify_all();
  if (worker_.joinable()) worker_.join();
  relay_.close();
  std::lock_guard lock(mutex_);
  // Closing the session removes its ephemeral members and candidacy at once.
  if (zh_ != nullptr) zookeeper_close(zh_);
  zh_ = nullptr;
}

zhandle_t* ZkBackend::handle() const {
  if (zh_ == nullptr)
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: no session with " + connect_ + " (reconnecting after expiry)");
  return zh_;
}

void ZkBackend::connect_locked() {
  {
    std::lock_guard lock(events_.mutex);
    events_.session_state = 0;
  }
  errno = 0;
  zh_ = zookeeper_init(connect_.c_str(), on_event, timeout_ms_, nullptr, &events_, 0);
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
    zookeeper_close(zh_);
    zh_ = nullptr;
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: could not connect to '" + connect_ + "' within " +
                                         std::to_string(wait.count()) + " ms");
  }
  lock.unlock();
  try {
    authenticate_locked();
  } catch (...) {
    zookeeper_close(zh_);
    zh_ = nullptr;
    throw;
  }
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

void ZkBackend::ensure_layout_locked() {
  // Ancestors of root are shared with other clusters: created open. Root and below: acl_.
  std::vector<std::pair<std::string, const ACL_vector*>> paths;
  for (size_t slash = root_.find('/', 1); slash != std::string::npos; slash = root_.find('/', slash + 1))
    paths.emplace_back(root_.substr(0, slash), &ZOO_OPEN_ACL_UNSAFE);
  paths.emplace_back(root_, &acl_);
  for (const std::string* p : {&members_, &election_, &epoch_, &snapshots_, &latest_, &versions_, &intake_})
    paths.emplace_back(*p, &acl_);
  for (const auto& [path, acl] : paths) {
    // Look before creating: ZooKeeper checks the parent's ACL before whether the node exists, so
    // an instance without the credential could not even open on a layout that is all there.
    Stat stat;
    int rc = zoo_exists(handle(), path.c_str(), 0, &stat);
    if (rc == ZOK) continue;
    if (rc != ZNONODE) fail(rc, "read", path);
    rc = zoo_create(handle(), path.c_str(), "", 0, acl, ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) fail(rc, "create", path);
  }
  if (!auth_.empty()) warn_if_open_locked();
}

// A root made earlier without a credential keeps its open ACL: say so rather than pretend.
void ZkBackend::warn_if_open_locked() {
  ACL_vector acl{};
  Stat stat;
  int rc = zoo_get_acl(handle(), root_.c_str(), &acl, &stat);
  if (rc != ZOK) return;
  bool open = false;
  for (int32_t i = 0; i < acl.count; ++i)
    if (std::strcmp(acl.data[i].id.scheme, "world") == 0 && (acl.data[i].perms & ~ZOO_PERM_READ) != 0) open = true;
  deallocate_ACL_vector(&acl);
  if (open)
    plugin::log(host_, BERTH_LOG_WARN, "zookeeper: " + root_ + " was created without a credential and anyone may "
                                           "change it; backend.auth protects only clusters created with it");
}

void ZkBackend::arm_watches_locked(uint32_t what) {
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
    rc = zoo_wexists(zh, epoch_.c_str(), on_event, &events_, &stat);
    if (rc != ZOK) fail(rc, "watch", epoch_);
  }
  if ((what & BERTH_CHANGED_SNAPSHOT) != 0) {
    rc = zoo_wexists(zh, latest_.c_str(), on_event, &events_, &stat);
    if (rc != ZOK) fail(rc, "watch", latest_);
  }
  if ((what & BERTH_CHANGED_INTAKE) != 0) {
    names = {};
    rc = zoo_wget_children(zh, intake_.c_str(), on_event, &events_, &names);
    if (rc == ZOK) deallocate_String_vector(&names);
    else fail(rc, "watch the children of", intake_);
  }
}

bool ZkBackend::get_locked(const std::string& path, std::string* data, Stat* stat) {
  std::string buffer(4096, '\0');
  for (int attempt = 0; attempt < 5; ++attempt) {
    int len = static_cast<int>(buffer.size());
    int rc = zoo_get(handle(), path.c_str(), 0, buffer.data(), &len, stat);
    if (rc == ZNONODE) return false;
    if (rc != ZOK) fail(rc, "read", path);
    if (stat->dataLength <= static_cast<int32_t>(buffer.size())) {
      buffer.resize(len < 0 ? 0 : static_cast<size_t>(len));
      *data = std::move(buffer);
      return true;
    }
    buffer.assign(static_cast<size_t>(stat->dataLength), '\0');  // grew: read again, large enough
  }
  throw Error(BERTH_E_UNAVAILABLE, "zookeeper: read " + path + ": its size kept changing");
}

std::vector<std::string> ZkBackend::children_locked(const std::string& path) {
  String_vector names{};
  int rc = zoo_get_children(handle(), path.c_str(), 0, &names);
  if (rc != ZOK) fail(rc, "list the children of", path);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(names.count));
  for (int32_t i = 0; i < names.count; ++i) out.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  std::sort(out.begin(), out.end());
  return out;
}

void ZkBackend::delete_tree_locked(const std::string& path) {
  String_vector names{};
  int rc = zoo_get_children(handle(), path.c_str(), 0, &names);
  if (rc == ZNONODE) return;
  if (rc != ZOK) fail(rc, "list the children of", path);
  std::vector<std::string> children;
  for (int32_t i = 0; i < names.count; ++i) children.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  for (const std::string& child : children) {
    std::string child_path = path + "/" + child;
    rc = zoo_delete(handle(), child_path.c_str(), -1);
    if (rc == ZNOTEMPTY) delete_tree_locked(child_path);
    else if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", child_path);
  }
  rc = zoo_delete(handle(), path.c_str(), -1);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", path);
}

int64_t ZkBackend::session_id_locked() const {
  const clientid_t* id = zoo_client_id(handle());
  return id != nullptr ? id->client_id : 0;
}

std::string ZkBackend::candidate_name() const { return candidate_.empty() ? std::string() : basename_of(candidate_); }

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
    rc = zoo_multi(handle(), 2, ops, results);
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
  campaigning_ = true;
  if (!candidate_.empty()) return;
  create_candidate_locked();
  try_lead_locked();
}

void ZkBackend::create_candidate_locked() {
  const std::string prefix = election_ + "/c_";
  std::string created(prefix.size() + 64, '\0');
  int rc = zoo_create(handle(), prefix.c_str(), description_.data(), static_cast<int>(description_.size()),
                      &acl_, ZOO_EPHEMERAL_SEQUENTIAL, created.data(), static_cast<int>(created.size()));
  if (rc != ZOK) fail(rc, "create a candidate under", election_);
  candidate_ = created.c_str();
  my_epoch_ = 0;
}

void ZkBackend::resign() {
  std::lock_guard lock(mutex_);
  campaigning_ = false;
  my_epoch_ = 0;
  if (candidate_.empty()) return;
  int rc = zoo_delete(handle(), candidate_.c_str(), -1);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", candidate_);
  candidate_.clear();
}

void ZkBackend::try_lead_locked() {
  if (candidate_.empty() || zh_ == nullptr) return;
  const std::string mine = candidate_name();
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<std::string> candidates = children_locked(election_);
    auto it = std::find(candidates.begin(), candidates.end(), mine);
    if (it == candidates.end()) {  // our ephemeral candidacy is gone (session expiry)
      candidate_.clear();
      my_epoch_ = 0;
      return;
    }
    if (it != candidates.begin()) {
      // Watch only the predecessor; when it goes, look again.
      const std::string predecessor = election_ + "/" + *(it - 1);
      Stat stat;
      int rc = zoo_wexists(handle(), predecessor.c_str(), on_event, &events_, &stat);
      if (rc == ZNONODE) continue;
      if (rc != ZOK) fail(rc, "watch", predecessor);
      my_epoch_ = 0;
      return;
    }
    std::string owner;
    Stat stat;
    if (!get_locked(epoch_, &owner, &stat))
      throw Error(BERTH_E_CORRUPT, "zookeeper: " + epoch_ + " is missing");
    if (owner == mine) {
      my_epoch_ = static_cast<uint64_t>(stat.version);
      return;
    }
    // Take over: a new epoch, only while our candidacy still exists.
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    zoo_check_op_init(&ops[0], candidate_.c_str(), -1);
    zoo_set_op_init(&ops[1], epoch_.c_str(), mine.data(), static_cast<int>(mine.size()), stat.version, nullptr);
    int rc = zoo_multi(handle(), 2, ops, results);
    if (rc == ZOK) {
      my_epoch_ = static_cast<uint64_t>(stat.version) + 1;
      last_epoch_ = my_epoch_;
      return;
    }
    if (rc != ZBADVERSION && rc != ZNONODE) fail(rc, "take over the epoch at", epoch_);
  }
}

std::string ZkBackend::who_leads_locked(uint64_t* epoch) {
  *epoch = 0;
  std::vector<std::string> candidates = children_locked(election_);
  std::string owner;
  Stat stat;
  if (!get_locked(epoch_, &owner, &stat)) return "nobody (" + epoch_ + " is missing)";
  if (candidates.empty()) return "nobody";
  *epoch = static_cast<uint64_t>(stat.version);
  std::string who = election_ + "/" + candidates.front();
  std::string description;
  Stat candidate_stat;
  if (get_locked(who, &description, &candidate_stat)) who += " (" + description + ")";
  if (owner != candidates.front()) who += ", taking over from epoch " + std::to_string(stat.version);
  return who;
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
    std::vector<std::string> candidates = children_locked(election_);
    if (candidates.empty()) {
      if (!candidate_.empty()) {
        candidate_.clear();
        my_epoch_ = 0;
      }
      last_epoch_ = 0;
      return now;
    }
    const std::string mine = candidate_name();
    if (!mine.empty() && candidates.front() == mine && my_epoch_ == 0) try_lead_locked();
    std::string owner;
    Stat stat;
    if (!get_locked(epoch_, &owner, &stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: " + epoch_ + " is missing");
    now.epoch = static_cast<uint64_t>(stat.version);
    now.is_leader = my_epoch_ != 0 && my_epoch_ == now.epoch && owner == mine && candidates.front() == mine;
    if (my_epoch_ != 0 && !now.is_leader) my_epoch_ = 0;
    last_epoch_ = now.epoch;
    return now;
  } catch (const Error& e) {
    if (e.code() != BERTH_E_UNAVAILABLE) throw;
    now.epoch = last_epoch_;
    now.connected = false;
    return now;
  }
}

[[noreturn]] void ZkBackend::fenced_locked(uint64_t epoch, const std::string& why) {
  uint64_t leader_epoch = 0;
  std::string who = who_leads_locked(&leader_epoch);
  throw Error(BERTH_E_FENCED, "publish at epoch " + std::to_string(epoch) + " is fenced: " + why + "; leader: " + who +
                                  (leader_epoch != 0 ? " at epoch " + std::to_string(leader_epoch) : std::string()));
}

// ----------------------------------------------------------------------------- publication --

void ZkBackend::publish(uint64_t epoch, uint64_t version, std::string_view bytes) {
  publish_based(epoch, version, 0, bytes);
}

void ZkBackend::publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (candidate_.empty()) fenced_locked(epoch, "this instance is not a candidate");
  if (my_epoch_ == 0) {
    try_lead_locked();
    if (my_epoch_ == 0) fenced_locked(epoch, "this instance does not lead");
  }
  if (epoch != my_epoch_) fenced_locked(epoch, "this instance leads at epoch " + std::to_string(my_epoch_));
  if (version == 0) throw Error(BERTH_E_STATE, "publish: version 0 cannot be published (versions start at 1)");

  std::string text;
  Stat latest_stat;
  if (!get_locked(latest_, &text, &latest_stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " is missing");
  auto latest = parse_latest(text);
  if (!latest) throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " does not hold a snapshot pointer");
  if (version <= latest->version)
    throw Error(BERTH_E_STATE, "publish: version " + std::to_string(version) + " is not newer than the latest, " +
                                   std::to_string(latest->version) + " (" + latest_ + ")");

  // The base must be kept from now on: the latest (when self-contained) or the latest's base. The
  // multi below checks `latest` did not change since, so this still holds when it commits.
  Latest next{version, epoch, (bytes.size() + kChunkBytes - 1) / kChunkBytes, bytes.size()};
  if (base_version != 0 && base_version == latest->version && latest->base == 0) {
    next.base = latest->version;
    next.base_epoch = latest->epoch;
    next.base_chunks = latest->chunks;
    next.base_size = latest->size;
  } else if (base_version != 0 && base_version == latest->base) {
    next.base = latest->base;
    next.base_epoch = latest->base_epoch;
    next.base_chunks = latest->base_chunks;
    next.base_size = latest->base_size;
  } else if (base_version != 0) {
    throw Error(BERTH_E_NOT_FOUND, "publish: version " + std::to_string(version) + "'s base, version " +
                                       std::to_string(base_version) + ", is not kept (" + latest_ + " names version " +
                                       std::to_string(latest->version) +
                                       (latest->base != 0 ? " based on version " + std::to_string(latest->base) : "") + ")");
  }

  // 1. The chunks, under a node no other publication can share.
  const std::string dir = versions_ + "/" + version_node_name(version, epoch);
  delete_tree_locked(dir);  // a leftover of an earlier failed attempt of ours
  bool committed = false;
  try {
    int rc = zoo_create(handle(), dir.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK) fail(rc, "create", dir);
    for (uint64_t i = 0; i < next.chunks; ++i) {
      const std::string chunk_path = dir + "/" + std::to_string(i);
      std::string_view chunk = bytes.substr(i * kChunkBytes, kChunkBytes);
      rc = zoo_create(handle(), chunk_path.c_str(), chunk.data(), static_cast<int>(chunk.size()), &acl_,
                      ZOO_PERSISTENT, nullptr, 0);
      if (rc != ZOK) fail(rc, "create", chunk_path);
    }
    // 2. One multi: still a candidate, still at our epoch, and latest unchanged since we read it.
    const std::string pointer = format_latest(next);
    zoo_op_t ops[3];
    zoo_op_result_t results[3];
    zoo_check_op_init(&ops[0], candidate_.c_str(), -1);
    zoo_check_op_init(&ops[1], epoch_.c_str(), static_cast<int>(my_epoch_));
    zoo_set_op_init(&ops[2], latest_.c_str(), pointer.data(), static_cast<int>(pointer.size()), latest_stat.version,
                    nullptr);
    rc = zoo_multi(handle(), 3, ops, results);
    if (rc == ZOK) {
      committed = true;
    } else if (rc == ZNONODE || rc == ZBADVERSION) {
      // Which check failed? Trust only the return code, so look again.
      Stat stat;
      int candidate_rc = zoo_exists(handle(), candidate_.c_str(), 0, &stat);
      std::string owner;
      Stat epoch_stat;
      bool have_epoch = get_locked(epoch_, &owner, &epoch_stat);
      if (candidate_rc == ZNONODE) {
        candidate_.clear();
        my_epoch_ = 0;
        fenced_locked(epoch, "this instance's candidacy is gone (its session expired)");
      }
      if (!have_epoch || static_cast<uint64_t>(epoch_stat.version) != my_epoch_) {
        my_epoch_ = 0;
        fenced_locked(epoch, "a newer leader took over");
      }
      throw Error(BERTH_E_STATE, "publish: " + latest_ + " changed while version " + std::to_string(version) +
                                     " was being written; nothing was published");
    } else {
      fail(rc, "publish (multi on " + candidate_ + ", " + epoch_ + ",", latest_ + ")");
    }
  } catch (...) {
    if (!committed) {
      try {
        delete_tree_locked(dir);
      } catch (...) {
        // Best effort: the garbage collector of a later publication removes it.
      }
    }
    throw;
  }
  // 3. Old versions go (best effort: a failure here does not undo the publication).
  try {
    collect_garbage_locked();
  } catch (const Error& e) {
    plugin::log(host_, BERTH_LOG_WARN, std::string("zookeeper: removing old snapshot versions: ") + e.what());
  }
}

// Keeps the newest kKeepVersions versions and the base of the latest, as the pointer names it now
// (read again, so a successor's newer publication is respected).
void ZkBackend::collect_garbage_locked() {
  std::string text;
  Stat stat;
  if (!get_locked(latest_, &text, &stat)) return;
  auto latest = parse_latest(text);
  if (!latest) return;
  const std::string base = latest->base != 0 ? version_node_name(latest->base, latest->base_epoch) : std::string();
  std::vector<std::pair<uint64_t, std::string>> versions;
  for (const std::string& name : children_locked(versions_))
    if (auto v = version_of_node_name(name)) versions.emplace_back(*v, name);
  std::sort(versions.begin(), versions.end());
  if (versions.size() <= kKeepVersions) return;
  for (size_t i = 0; i + kKeepVersions < versions.size(); ++i)
    if (versions[i].second != base) delete_tree_locked(versions_ + "/" + versions[i].second);
}

// The chunks of one version node; false when some are gone (collected after a newer publication).
bool ZkBackend::read_chunks_locked(uint64_t version, uint64_t epoch, uint64_t chunks, uint64_t size, std::string* bytes) {
  const std::string dir = versions_ + "/" + version_node_name(version, epoch);
  bytes->clear();
  bytes->reserve(size);
  for (uint64_t i = 0; i < chunks; ++i) {
    std::string chunk;
    Stat chunk_stat;
    if (!get_locked(dir + "/" + std::to_string(i), &chunk, &chunk_stat)) return false;
    *bytes += chunk;
  }
  if (bytes->size() != size)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + dir + " holds " + std::to_string(bytes->size()) + " bytes, " + latest_ +
                                     " says " + std::to_string(size));
  return true;
}

Latest ZkBackend::read_latest_locked() {
  std::string text;
  Stat stat;
  if (!get_locked(latest_, &text, &stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " is missing");
  auto latest = parse_latest(text);
  if (!latest) throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " does not hold a snapshot pointer");
  return *latest;
}

uint64_t ZkBackend::fetch(uint64_t known_version, const plugin::Sink& out) {
  return fetch_latest(known_version, out).version;
}

plugin::Fetched ZkBackend::fetch_latest(uint64_t known_version, const plugin::Sink& out) {
  std::string bytes;
  plugin::Fetched found;
  {
    std::lock_guard lock(mutex_);
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      Latest latest = read_latest_locked();
      found = {latest.version, latest.base};
      if (latest.version == 0 || latest.version <= known_version) return found;
      // Incomplete: collected meanwhile, so a newer version is out: start again.
      done = read_chunks_locked(latest.version, latest.epoch, latest.chunks, latest.size, &bytes);
    }
    if (!done) throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + latest_ + " kept moving faster than it could be read");
  }
  out.write(bytes.data(), bytes.size());
  return found;
}

void ZkBackend::fetch_version(uint64_t version, const plugin::Sink& out) {
  std::string bytes;
  {
    std::lock_guard lock(mutex_);
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      Latest latest = read_latest_locked();
      if (version != 0 && version == latest.version)
        done = read_chunks_locked(latest.version, latest.epoch, latest.chunks, latest.size, &bytes);
      else if (version != 0 && version == latest.base)
        done = read_chunks_locked(latest.base, latest.base_epoch, latest.base_chunks, latest.base_size, &bytes);
      else
        throw Error(BERTH_E_NOT_FOUND, "zookeeper: version " + std::to_string(version) + " is not kept (" + latest_ +
                                           " names version " + std::to_string(latest.version) +
                                           (latest.base != 0 ? " based on version " + std::to_string(latest.base) : "") +
                                           ")");
    }
    if (!done) throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + latest_ + " kept moving faster than it could be read");
  }
  out.write(bytes.data(), bytes.size());
}

// ---------------------------------------------------------------------------------- intake --

void ZkBackend::submit(std::string_view record) {
  if (record.size() > kMaxRecordBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, "submit: a record of " + std::to_string(record.size()) +
                                              " bytes is larger than the zookeeper backend's limit of " +
                                              std::to_string(kMaxRecordBytes));
  const std::string prefix = intake_ + "/r_";
  std::lock_guard lock(mutex_);
  int rc = zoo_create(handle(), prefix.c_str(), record.data(), static_cast<int>(record.size()), &acl_,
                      ZOO_PERSISTENT_SEQUENTIAL, nullptr, 0);
  if (rc != ZOK) fail(rc, "create a record under", intake_);
}

void ZkBackend::check_leads_locked(const char* operation) {
  if (candidate_.empty() || my_epoch_ == 0)
    throw Error(BERTH_E_STATE, std::string(operation) + ": only the leader takes submissions, and this instance does not lead");
  Stat epoch_stat;
  std::string owner;
  if (!get_locked(epoch_, &owner, &epoch_stat) || static_cast<uint64_t>(epoch_stat.version) != my_epoch_) {
    my_epoch_ = 0;
    throw Error(BERTH_E_STATE, std::string(operation) + ": this instance no longer leads (" + epoch_ + " moved on)");
  }
}

void ZkBackend::drain(const plugin::Sink& out) {
  std::vector<std::string> records;
  {
    std::lock_guard lock(mutex_);
    check_leads_locked("drain");
    for (const std::string& name : children_locked(intake_)) {
      const std::string path = intake_ + "/" + name;
      std::string record;
      Stat stat;
      if (!get_locked(path, &record, &stat)) continue;
      int rc = zoo_delete(handle(), path.c_str(), -1);
      if (rc == ZNONODE) continue;  // taken by someone else
      if (rc != ZOK) {
        if (records.empty()) fail(rc, "delete", path);
        break;  // hand over what was taken; the rest stays for the next drain
      }
      records.push_back(std::move(record));
    }
  }
  for (const std::string& record : records) out.item("", record.data(), record.size());
}

void ZkBackend::peek_intake(const plugin::Sink& out) {
  std::vector<std::pair<std::string, std::string>> records;
  {
    std::lock_guard lock(mutex_);
    check_leads_locked("peek_intake");
    // Sorted names are oldest first: r_ and a zero-padded sequence number (ZooKeeper's counter
    // wraps past 2^31 creations under intake/; as for drain(), order is then lost once).
    for (const std::string& name : children_locked(intake_)) {
      std::string record;
      Stat stat;
      if (get_locked(intake_ + "/" + name, &record, &stat)) records.emplace_back(name, std::move(record));
    }
  }
  for (const auto& [name, record] : records) out.item(name, record.data(), record.size());
}

void ZkBackend::settle_intake(const std::vector<std::string_view>& keys) {
  // A key is a node name under intake/; nothing that could name a node elsewhere is deleted.
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string_view key = keys[i];
    bool valid = key.size() > 2 && key.size() <= 16 && key.substr(0, 2) == "r_";
    for (size_t at = 2; valid && at < key.size(); ++at) valid = (key[at] >= '0' && key[at] <= '9') || key[at] == '-';
    if (!valid)
      throw Error(BERTH_E_INVALID_ARGUMENT, "zookeeper: settle_intake: key #" + std::to_string(i) + " '" +
                                                std::string(key.substr(0, 64)) + "' is not a record under " + intake_);
  }
  std::lock_guard lock(mutex_);
  for (std::string_view key : keys) {
    const std::string path = intake_ + "/" + std::string(key);
    int rc = zoo_delete(handle(), path.c_str(), -1);
    if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", path);
  }
}

// ------------------------------------------------------------------------- sessions, worker --

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
  my_epoch_ = 0;
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
      events_.wake.wait_for(lock, std::chrono::milliseconds(retry ? 250 : 1000), [&] { return events_.stop || events_.pending != 0; });
      if (events_.stop) return;
      bits = events_.pending;
      events_.pending = 0;
    }
    uint32_t notify = bits & kAllChanges;
    try {
      std::lock_guard lock(mutex_);
      if ((bits & kExpired) != 0 || need_session) {
        // The session is gone, and with it every ephemeral registration: start a new one.
        if (zh_ != nullptr) zookeeper_close(zh_);  // on our thread, never inside a callback
        zh_ = nullptr;
        candidate_.clear();
        my_epoch_ = 0;
        need_session = true;
        connect_locked();
        need_session = false;
        unarmed = kAllChanges;
        ensure_layout_locked();
        arm_watches_locked(kAllChanges);
        unarmed = 0;
        register_locked();
        notify |= kAllChanges;
      } else if (zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE) {
        uint32_t want = bits | unarmed;
        if ((bits & BERTH_CHANGED_CONNECTION) != 0 || unarmed != 0) {
          // Back from a disconnection: every watch again (the client drops a duplicate), and the
          // host looks at the snapshot and the election, in case a change fell into the gap.
          want |= kAllChanges;
          notify |= BERTH_CHANGED_SNAPSHOT | BERTH_CHANGED_LEADER;
        }
        unarmed = want & (kAllChanges | kPredecessor);
        arm_watches_locked(want);
        // The predecessor went, or the epoch moved: look at the election again (only then, so
        // followers do not poll).
        if ((want & (BERTH_CHANGED_LEADER | kPredecessor)) != 0 && campaigning_ && my_epoch_ == 0) try_lead_locked();
        unarmed = 0;
      } else {
        unarmed |= bits & (kAllChanges | kPredecessor) & ~static_cast<uint32_t>(BERTH_CHANGED_CONNECTION);
      }
    } catch (const std::exception& e) {
      plugin::log(host_, BERTH_LOG_WARN, std::string("zookeeper: ") + e.what());
    } catch (...) {
    }
    relay_.notify(notify);
  }
}

}  // namespace berth::zk

BERTH_DEFINE_BACKEND_PLUGIN(berth::zk::ZkBackend, "zookeeper", "1.1.0")
