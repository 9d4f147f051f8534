// The zookeeper backend's collection of old snapshot versions, started by the worker once
// publications pause: asynchronous calls whose answers arrive on the client's completion thread,
// so neither a publication nor the backend's mutex waits for it. What fails stays for the next pass.
//
// What may go: a version below both the one the committed pointer names and the one `latest`
// names when the pass lists the versions, other than the base of either. Every later pointer a
// publication writes names a newer version, based on the version or the base the one before names
// (the publication admission's rule 3), so nothing such a pointer names is ever below that floor:
// a pass started after any commit may run beside any later publication. `latest` is read again in
// the listing's round trip because an operator may roll it back to an older version meanwhile;
// when it cannot be read or parsed, the pass deletes nothing. A version of a commit whose reply
// was lost is never below the pointer that was committed before it.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "zk_async.h"
#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

constexpr size_t kMaxOpsPerMulti = 1000;  // 1000 deletes stay far below jute.maxbuffer

// A failure the next pass repairs without anyone being told: the node went already, or the
// session is closing or reconnecting (a call made while the handle closes fails to marshal).
bool quiet(int rc) {
  return rc == ZOK || rc == ZNONODE || rc == ZCLOSING || rc == ZCONNECTIONLOSS || rc == ZSESSIONEXPIRED ||
         rc == ZINVALIDSTATE || rc == ZOPERATIONTIMEOUT || rc == ZMARSHALLINGERROR;
}

struct Pass {
  zhandle_t* zh;
  Outstanding* unanswered;  // counts the pass's calls until their answers came
  const berth_host_api* host;
  std::string versions;  // the versions/ node
  std::string latest;    // the snapshots/latest node
  uint64_t committed;    // what the committed pointer names
  uint64_t base;         // its base; 0: none

  void warn(int rc, const std::string& what) const {
    if (!quiet(rc)) plugin::log(host, BERTH_LOG_WARN, "zookeeper: removing old snapshot versions: " + what + ": " + zerror(rc));
  }
};

// Counts one answer as come when it goes out of scope: after whatever the answer sent next was
// counted, so the count never touches 0 while the pass still has a call to make.
class Answered {
 public:
  explicit Answered(Outstanding* unanswered) : unanswered_(unanswered) {}
  Answered(const Answered&) = delete;
  Answered& operator=(const Answered&) = delete;
  ~Answered() { unanswered_->done(); }

 private:
  Outstanding* unanswered_;
};

// The pass's two reads, sent together: the versions/ listing and `latest`. Whichever answer
// comes last decides and frees it.
struct Reads {
  std::shared_ptr<const Pass> pass;
  std::mutex mutex;
  int waiting = 2;
  int list_rc = ZSYSTEMERROR;
  std::vector<std::string> names;
  int latest_rc = ZSYSTEMERROR;
  std::string latest_text;
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
  const Answered answered(removal->pass->unanswered);
  removal->pass->warn(rc, "delete " + removal->dir);
}

void on_chunks(int rc, const String_vector* names, const void* data) {
  std::unique_ptr<Removal> removal(static_cast<Removal*>(const_cast<void*>(data)));
  const Answered answered(removal->pass->unanswered);
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
  pending->pass->unanswered->add();
  rc = zoo_amulti(zh, static_cast<int>(pending->ops.size()), pending->ops.data(), pending->results.data(), on_removed,
                  pending);
  if (rc != ZOK) on_removed(rc, pending);  // never queued: no answer will come
}

void remove_versions(const std::shared_ptr<const Pass>& pass, const std::vector<std::string>& doomed) {
  for (const std::string& name : doomed) {
    auto* removal = new Removal{pass, pass->versions + "/" + name, {}, {}, {}};
    pass->unanswered->add();
    int rc = zoo_aget_children(pass->zh, removal->dir.c_str(), 0, on_chunks, removal);
    if (rc != ZOK) on_chunks(rc, nullptr, removal);  // never queued: no answer will come
  }
}

void decide(std::unique_ptr<Reads> reads) {
  const Pass& pass = *reads->pass;
  if (reads->list_rc != ZOK) return pass.warn(reads->list_rc, "list the children of " + pass.versions);
  // Unless `latest` names a version now, nothing is known of what it needs: nothing goes.
  if (reads->latest_rc == ZNONODE)
    return plugin::log(pass.host, BERTH_LOG_WARN,
                       "zookeeper: removing old snapshot versions: " + pass.latest + " is missing; nothing removed");
  if (reads->latest_rc != ZOK) return pass.warn(reads->latest_rc, "read " + pass.latest);
  const std::optional<Latest> current = parse_latest(reads->latest_text);
  if (!current || current->version == 0)
    return plugin::log(pass.host, BERTH_LOG_WARN,
                       "zookeeper: removing old snapshot versions: " + pass.latest +
                           " names no version it can read; nothing removed");
  const uint64_t floor = std::min(pass.committed, current->version);
  remove_versions(reads->pass, versions_to_remove(std::move(reads->names), floor, {pass.base, current->base}));
}

void finish(Reads* raw) {
  {
    std::lock_guard lock(raw->mutex);
    if (--raw->waiting > 0) return;
  }
  decide(std::unique_ptr<Reads>(raw));
}

void on_versions(int rc, const String_vector* names, const void* data) {
  auto* reads = static_cast<Reads*>(const_cast<void*>(data));
  const Answered answered(reads->pass->unanswered);
  {
    std::lock_guard lock(reads->mutex);
    reads->list_rc = rc;
    if (rc == ZOK && names != nullptr) reads->names.assign(names->data, names->data + names->count);
  }
  finish(reads);
}

void on_latest(int rc, const char* value, int length, const Stat*, const void* data) {
  auto* reads = static_cast<Reads*>(const_cast<void*>(data));
  const Answered answered(reads->pass->unanswered);
  {
    std::lock_guard lock(reads->mutex);
    reads->latest_rc = rc;
    if (rc == ZOK && value != nullptr && length > 0) reads->latest_text.assign(value, static_cast<size_t>(length));
  }
  finish(reads);
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
  auto* reads = new Reads{};
  reads->pass = std::make_shared<const Pass>(Pass{handle(), &events_.unanswered, host_, versions_, latest_, committed.version, committed.base});
  zhandle_t* zh = reads->pass->zh;
  // In one round trip; the second answer frees `reads`, so it is not touched once both are queued.
  events_.unanswered.add();
  events_.unanswered.add();
  int rc = zoo_aget(zh, latest_.c_str(), 0, on_latest, reads);
  if (rc != ZOK) on_latest(rc, nullptr, 0, nullptr, reads);  // never queued: no answer will come
  rc = zoo_aget_children(zh, versions_.c_str(), 0, on_versions, reads);
  if (rc != ZOK) on_versions(rc, nullptr, reads);
}

}  // namespace berth::zk
