// Answers to asynchronous calls issued together and awaited together: a reader sends every
// request of a step in one go, so the step costs one round trip, not one per node.
#pragma once

#include <zookeeper/zookeeper.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace berth::zk {

// Counts the answers still to come. The client answers every call it queued, with an error when
// the connection is lost or the session closes, so wait() returns.
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

// Each queues one read whose answer fills `answer` (which must outlive `outstanding.wait()`).
void get_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, DataAnswer& answer);
void children_async(zhandle_t* zh, const std::string& path, Outstanding& outstanding, ChildrenAnswer& answer);

}  // namespace berth::zk
