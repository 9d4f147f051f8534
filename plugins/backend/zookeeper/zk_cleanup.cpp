// The zookeeper backend's collection of old snapshot versions, started by the worker once
// publications pause: asynchronous calls whose answers arrive on the client's completion thread,
// so neither a publication nor the backend's mutex waits for it. What fails stays for the next pass.
//
// What may go: a version below the one the committed pointer names, other than its base. Every
// later pointer names a newer version, based on the version or the base this one names (the
// publication admission's rule 3), so nothing a pointer names, now or later, is ever below that
// floor: a pass started after any commit may run beside any later publication. A version of a
// commit whose reply was lost is never below the pointer that was committed before it.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

constexpr size_t kMaxOpsPerMulti = 1000;  // 1000 deletes stay far below jute.maxbuffer

// A failure the next pass repairs without anyone being told: the node went already, or the
// session is closing or reconnecting.
bool quiet(int rc) {
  return rc == ZOK || rc == ZNONODE || rc == ZCLOSING || rc == ZCONNECTIONLOSS || rc == ZSESSIONEXPIRED ||
         rc == ZINVALIDSTATE || rc == ZOPERATIONTIMEOUT;
}

struct Pass {
  zhandle_t* zh;
  const berth_host_api* host;
  std::string versions;  // the versions/ node
  uint64_t latest;       // what the committed pointer names
  uint64_t base;         // 0: none

  void warn(int rc, const std::string& what) const {
    if (!quiet(rc)) plugin::log(host, BERTH_LOG_WARN, "zookeeper: removing old snapshot versions: " + what + ": " + zerror(rc));
  }
};

// One version's node and its chunks, deleted in one multi (chunks first).
struct Removal {
  std::shared_ptr<const Pass> pass;
  std::string dir;
  std::vector<std::string> paths;
  std::vector<zoo_op_t> ops;
  std::vector<zoo_op_result_t> results;
};

void on_removed(int rc, const void* data) {
  std::unique_ptr<Removal> removal(static_cast<Removal*>(const_cast<void*>(data)));
  removal->pass->warn(rc, "delete " + removal->dir);
}

void on_chunks(int rc, const String_vector* names, const void* data) {
  std::unique_ptr<Removal> removal(static_cast<Removal*>(const_cast<void*>(data)));
  if (rc != ZOK) return removal->pass->warn(rc, "list the children of " + removal->dir);
  if (static_cast<size_t>(names->count) + 1 > kMaxOpsPerMulti)
    return removal->pass->warn(ZAPIERROR, removal->dir + " holds more chunks than one request may delete");
  for (int32_t i = 0; i < names->count; ++i) removal->paths.push_back(removal->dir + "/" + names->data[i]);
  removal->paths.push_back(removal->dir);
  removal->ops.resize(removal->paths.size());
  removal->results.resize(removal->paths.size());
  for (size_t i = 0; i < removal->paths.size(); ++i) zoo_delete_op_init(&removal->ops[i], removal->paths[i].c_str(), -1);
  zhandle_t* zh = removal->pass->zh;
  Removal* pending = removal.release();
  rc = zoo_amulti(zh, static_cast<int>(pending->ops.size()), pending->ops.data(), pending->results.data(), on_removed,
                  pending);
  if (rc != ZOK) on_removed(rc, pending);  // never queued: no answer will come
}

void on_versions(int rc, const String_vector* names, const void* data) {
  std::shared_ptr<const Pass> pass(static_cast<const Pass*>(data));
  if (rc != ZOK) return pass->warn(rc, "list the children of " + pass->versions);
  std::vector<std::string> doomed = versions_to_remove(
      std::vector<std::string>(names->data, names->data + names->count), pass->latest, pass->base);
  for (std::string& name : doomed) {
    auto* removal = new Removal{pass, pass->versions + "/" + name, {}, {}, {}};
    rc = zoo_aget_children(pass->zh, removal->dir.c_str(), 0, on_chunks, removal);
    if (rc != ZOK) {
      pass->warn(rc, "list the children of " + removal->dir);
      delete removal;
    }
  }
}

}  // namespace

void ZkBackend::collect_garbage_after_locked(const Latest& committed) {
  // Once publications pause for kQuiet, and at the latest kMaxDelay after the first of them.
  constexpr int64_t kQuiet = 100'000'000, kMaxDelay = 1'000'000'000;
  const int64_t now = static_cast<int64_t>(monotonic_ns());
  if (!collect_after_) collect_first_ns_ = now;
  collect_after_ = committed;
  collect_due_ns_.store(std::min(now + kQuiet, collect_first_ns_ + kMaxDelay));
  {
    std::lock_guard lock(events_.mutex);  // the worker waits until then
  }
  events_.wake.notify_all();
}

void ZkBackend::collect_garbage_if_due_locked() {
  if (!collect_after_ || static_cast<int64_t>(monotonic_ns()) < collect_due_ns_.load()) return;
  const Latest committed = *collect_after_;
  collect_after_.reset();
  collect_due_ns_.store(0);
  auto* pass = new Pass{handle(), host_, versions_, committed.version, committed.base};
  int rc = zoo_aget_children(pass->zh, versions_.c_str(), 0, on_versions, pass);
  if (rc != ZOK) {
    pass->warn(rc, "list the children of " + versions_);
    delete pass;
  }
}

}  // namespace berth::zk
