// Answers to asynchronous calls issued together and awaited together: a reader sends every
// request of a step in one go, so the step costs one round trip, not one per node. And the
// multi-operation call, sent asynchronously and awaited.
#pragma once

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace berth::zk {

// Counts the answers still to come. While the handle is open the client answers every call it
// queued, with an error when the connection is lost, so wait() returns. Closing the handle may
// drop them instead: the 3.8 client's completion thread can stop before it runs the ZCLOSING
// answers it queued, and what they would have freed leaks.
class Outstanding {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void done() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) all_done_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [&] { return count_ == 0; });
  }
  // The answers still to come after `limit`; 0 once all came.
  size_t wait_for(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    all_done_.wait_for(lock, limit, [&] { return count_ == 0; });
    return count_;
  }
  // Once the handle is closed: what did not come by then never will.
  void forget() {
    std::lock_guard lock(mutex_);
    count_ = 0;
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_done_;
  size_t count_ = 0;
};

struct DataAnswer {
  int rc = ZSYSTEMERROR;
  std::string value;
  Stat stat{};
};

struct ChildrenAnswer {
  int rc = ZSYSTEMERROR;
  std::vector<std::string> names;
};

// zoo_multi, through the asynchronous call: returns once the client answered. The 3.8 client's
// zoo_multi leaks the completion entries of its operations (one per op, 168 bytes each) when the
// connection is lost or a reconnection fails with it in flight: free_completions() answers the
// synchronous caller and frees only the multi's own entry, not its list of sub-entries. The
// asynchronous answer goes through cleanup_failed_multi(), which frees them. Never call it on the
// client's completion thread (a callback), nor while the handle may be closed: it waits for that
// thread, which closing may stop before it answers.
int multi(zhandle_t* zh, int count, const zoo_op_t* ops, zoo_op_result_t* results);

// Each queues one read whose answer fills `answer` (which must outlive `outstanding.wait()`).
void get_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, DataAnswer& answer);
void children_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, ChildrenAnswer& answer);

}  // namespace berth::zk
