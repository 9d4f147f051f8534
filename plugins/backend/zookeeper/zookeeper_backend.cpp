// The zookeeper backend's object: its configuration, its lifetime, and the znode reads and
// deletions every part uses. The session, membership and election, publication and intake live
// in zk_session.cpp, zk_election.cpp, zk_publication.cpp and zk_intake.cpp.
#include "zookeeper_backend.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "berth/duration.hpp"
#include "zk_client.h"

namespace berth::zk {
namespace {

using plugin::Error;

// The digest scheme splits "user:password" at the first ':'; the user part names the ACL.
std::string auth_of(plugin::Config& config) {
  const berth_kv* kv = config.find("auth", plugin::kString, "a string (\"user:password\")");
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

std::string root_of(plugin::Config& config) {
  const berth_kv* kv = config.find("root", plugin::kString, "a string (a znode path)");
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

// "raw" writes what builds predating compression read, for a rolling upgrade (docs/limits.md).
Codec codec_of(plugin::Config& config) {
  const berth_kv* kv = config.find("snapshot_codec", plugin::kString, "a string (\"zstd\" or \"raw\")");
  if (kv == nullptr || std::string_view(kv->value) == "zstd") return Codec::zstd;
  if (std::string_view(kv->value) == "raw") return Codec::raw;
  throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value + "' is not a snapshot codec (write \"zstd\" or \"raw\")");
}

}  // namespace

ZkBackend::ZkBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch)
    : host_(host), client_log_(host), relay_(watch) {
  const berth_kv* connect = config.find("connect", plugin::kString, "a string (host:port,...)");
  if (connect == nullptr)
    throw Error(BERTH_E_CONFIG,
                "backend.connect: missing: the zookeeper backend needs `connect`, e.g. \"zk1:2181,zk2:2181\"");
  connect_ = connect->value;
  if (connect_.empty()) throw Error(BERTH_E_CONFIG, config.where(*connect) + "must not be empty");
  root_ = root_of(config);
  codec_ = codec_of(config);
  if (const berth_kv* kv = config.find("session_timeout", plugin::kDuration, "a duration")) {
    const plugin::ParsedDuration timeout = plugin::parse_duration(kv->value);
    if (!timeout.ok()) throw Error(BERTH_E_CONFIG, config.where(*kv) + timeout.problem);
    if (timeout.value < std::chrono::milliseconds(100) || timeout.value > std::chrono::seconds(600))
      throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value +
                                      "' is not a duration between 100ms and 600s (write e.g. \"4s\" or \"400ms\")");
    timeout_ms_ = static_cast<int>(timeout.value.count());
  }
  if (const berth_kv* kv = config.find("regeneration_window", plugin::kDuration, "a duration")) {
    const plugin::ParsedDuration window = plugin::parse_duration(kv->value);
    if (!window.ok()) throw Error(BERTH_E_CONFIG, config.where(*kv) + window.problem);
    if (window.value < std::chrono::milliseconds(0) || window.value > std::chrono::seconds(600))
      throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value +
                                      "' is not a duration between 0s and 600s (write e.g. \"2s\" or \"500ms\")");
    regeneration_window_ms_ = static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(window.value).count());
    // A node that has not offered by the window's end must have lost its session, and with it
    // its lease: else it could hold streams the leader grants again from an older offer.
    if (regeneration_window_ms_ < timeout_ms_)
      throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value + "' (" + std::to_string(regeneration_window_ms_) +
                                      " ms) is below backend.session_timeout (" + std::to_string(timeout_ms_) +
                                      " ms): a node holding a newer version could keep its lease past the window");
  } else {
    regeneration_window_ms_ = timeout_ms_ + 1000;
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
  seeds_ = root_ + "/seeds";
  events_.members = members_;
  events_.election = election_ + "/";
  events_.epoch = epoch_;
  events_.latest = latest_;
  events_.intake = intake_;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  description_ = "pid " + std::to_string(::getpid()) + " on " + hostname;

  // Not INFO: the client's INFO lines (its environment, each connection) are detail for Berth's
  // users. Lines it writes on the host's thread are safe at any level: the plugin is linked
  // -z nodelete (CMakeLists.txt), so the client's per-thread buffer keeps its destructor mapped.
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  std::lock_guard lock(mutex_);
  try {
    connect_locked();
    ensure_layout_locked();
    arm_watches_locked(kAllChanges);
  } catch (...) {
    close_locked();
    throw;
  }
  heartbeat_ = std::thread([this] { run_heartbeats(); });
  worker_ = std::thread([this] { run_worker(); });
}

ZkBackend::~ZkBackend() {
  {
    std::lock_guard lock(beat_mutex_);
    beat_stop_ = true;
  }
  beat_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  {
    std::lock_guard lock(events_.mutex);
    events_.stop = true;
  }
  events_.wake.notify_all();
  if (worker_.joinable()) worker_.join();
  relay_.close();
  std::lock_guard lock(mutex_);
  // Closing the session removes its ephemeral members and candidacy at once.
  close_locked();
}

zhandle_t* ZkBackend::handle() const {
  if (zh_ == nullptr)
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: no session with " + connect_ + " (reconnecting after expiry)");
  return zh_;
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
  // A flat node of a few children (a version's chunks) goes in one round trip; anything else
  // (a child of its own, one deleted meanwhile) one node at a time below.
  constexpr size_t kDeleteInOneMulti = 64;
  if (children.size() < kDeleteInOneMulti) {
    std::vector<std::string> paths;
    for (const std::string& child : children) paths.push_back(path + "/" + child);
    paths.push_back(path);
    std::vector<zoo_op_t> ops(paths.size());
    std::vector<zoo_op_result_t> results(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) zoo_delete_op_init(&ops[i], paths[i].c_str(), -1);
    if (multi(handle(), static_cast<int>(ops.size()), ops.data(), results.data()) == ZOK) return;
  }
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

}  // namespace berth::zk

BERTH_DEFINE_BACKEND_PLUGIN(berth::zk::ZkBackend, "zookeeper", "1.1.0")
