// Server ids interned for the life of an engine, so a lookup can hand out a `const char *` that
// stays valid across snapshot swaps without copying or reference counting.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth {

class ServerNames {
 public:
  const char* intern(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(std::string(id));
    if (it != index_.end()) return it->second;
    const std::string& stored = names_.emplace_back(id);  // deque: stable addresses
    index_.emplace(stored, stored.c_str());
    return stored.c_str();
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> names_;
  std::unordered_map<std::string, const char*> index_;
};

}  // namespace berth
