// The leader's bookkeeping for keyed intake (a backend with ABI 1.3 peek_intake/settle_intake).
//
// Records stay pending in the backend until a published version includes them, so a leader that
// dies mid-refresh loses nothing: whoever leads next reads them again. This node reads the whole
// pending list on every refresh, so it must know which records it has already applied:
//   - taken: applied to PendingChanges, not yet in a published version (dropped with them when
//     this node stops leading, or when its epoch changed under it: the records are still pending
//     in the backend, for whoever leads now);
//   - unsettled: in a published version, their removal from the backend not yet confirmed
//     (retried at the next refresh and at close);
//   - ignored: records the backend refuses to settle (a backend bug), never applied again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace berth {

class IntakeKeys {
 public:
  // Records `key` as taken and says whether it is new to this node (neither taken nor unsettled).
  bool take(const std::string& key) {
    if (unsettled_set_.count(key) != 0 || ignored_.count(key) != 0) return false;
    if (!taken_set_.insert(key).second) return false;
    taken_.push_back(key);
    return true;
  }
  // The version that includes every taken record is published.
  void published() {
    for (std::string& key : taken_) {
      unsettled_set_.insert(key);
      unsettled_.push_back(std::move(key));
    }
    forget_taken();
  }
  // PendingChanges were dropped: the taken records are pending in the backend, for the next leader.
  void forget_taken() {
    taken_.clear();
    taken_set_.clear();
  }
  bool has_taken() const { return !taken_.empty(); }
  size_t taken_count() const { return taken_.size(); }
  const std::vector<std::string>& taken() const { return taken_; }

  const std::vector<std::string>& unsettled() const { return unsettled_; }
  void settled() {
    unsettled_.clear();
    unsettled_set_.clear();
  }
  // A record the backend will not settle: never taken again.
  void ignore(const std::string& key) { ignored_.insert(key); }

  // The epoch the taken records were applied under (0: none taken yet).
  uint64_t epoch() const { return epoch_; }
  void set_epoch(uint64_t epoch) { epoch_ = epoch; }

 private:
  std::vector<std::string> taken_;  // in the order they were applied
  std::unordered_set<std::string> taken_set_;
  std::vector<std::string> unsettled_;
  std::unordered_set<std::string> unsettled_set_;
  std::unordered_set<std::string> ignored_;
  uint64_t epoch_ = 0;
};

}  // namespace berth
