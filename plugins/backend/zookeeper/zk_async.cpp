#include "zk_async.h"

namespace berth::zk {
namespace {

template <class Answer>
struct Slot {
  Outstanding* outstanding;
  Answer* answer;
};

void on_data(int rc, const char* value, int length, const Stat* stat, const void* data) {
  const auto* slot = static_cast<const Slot<DataAnswer>*>(data);
  slot->answer->rc = rc;
  if (rc == ZOK) {
    if (value != nullptr && length > 0) slot->answer->value.assign(value, static_cast<size_t>(length));
    if (stat != nullptr) slot->answer->stat = *stat;
  }
  Outstanding* outstanding = slot->outstanding;
  delete slot;
  outstanding->done();
}

void on_children(int rc, const String_vector* names, const void* data) {
  const auto* slot = static_cast<const Slot<ChildrenAnswer>*>(data);
  slot->answer->rc = rc;
  if (rc == ZOK && names != nullptr)
    for (int32_t i = 0; i < names->count; ++i) slot->answer->names.emplace_back(names->data[i]);
  Outstanding* outstanding = slot->outstanding;
  delete slot;
  outstanding->done();
}

struct MultiAnswer {
  std::mutex mutex;
  std::condition_variable came;
  bool done = false;
  int rc = ZSYSTEMERROR;
};

void on_multi(int rc, const void* data) {
  auto* answer = static_cast<MultiAnswer*>(const_cast<void*>(data));
  // Notified under the lock: the caller's frame holding `answer` ends as soon as it sees `done`.
  std::lock_guard lock(answer->mutex);
  answer->rc = rc;
  answer->done = true;
  answer->came.notify_all();
}

}  // namespace

int multi(zhandle_t* zh, int count, const zoo_op_t* ops, zoo_op_result_t* results) {
  MultiAnswer answer;
  const int rc = zoo_amulti(zh, count, ops, results, on_multi, &answer);
  // Not sent: no answer will come. (An allocation failing after the entry was queued is the one
  // exception; the client's own zoo_multi frees its waiter then too.)
  if (rc != ZOK) return rc;
  std::unique_lock lock(answer.mutex);
  answer.came.wait(lock, [&] { return answer.done; });
  return answer.rc;
}

void get_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, DataAnswer& answer) {
  outstanding.add();
  auto* slot = new Slot<DataAnswer>{&outstanding, &answer};
  int rc = zoo_aget(zh, path.c_str(), 0, on_data, slot);
  if (rc != ZOK) on_data(rc, nullptr, 0, nullptr, slot);  // never queued: no answer will come
}

void children_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, ChildrenAnswer& answer) {
  outstanding.add();
  auto* slot = new Slot<ChildrenAnswer>{&outstanding, &answer};
  int rc = zoo_aget_children(zh, path.c_str(), 0, on_children, slot);
  if (rc != ZOK) on_children(rc, nullptr, slot);
}

}  // namespace berth::zk
