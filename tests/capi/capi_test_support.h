// What the host C API tests share: an error's code and message, an engine opened on a memory
// cluster of its own, and a page nobody may read (an id placed on it proves a call checks the
// length before touching the bytes).
#pragma once

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "berth/berth.h"

namespace berth_capi_test {

constexpr size_t kLongestId = size_t{64} << 10;  // berth.h: ids longer than 64 KiB are refused

struct Failure {
  int32_t code = BERTH_OK;
  std::string message;
};

// The code and message of a call's error (freed here).
template <class Call>
Failure failure_of(Call&& call) {
  berth_error* err = nullptr;
  Failure f;
  f.code = call(&err);
  if (err != nullptr) {
    f.message = berth_error_message(err);
    berth_error_free(err);
  }
  return f;
}

inline std::string text_of(berth_error* err) {
  std::string text = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return text;
}

using Setting = std::pair<const char*, std::string>;

// Opens *engine on the memory backend, on a cluster no other engine of this process shares
// (named `name`-pid-run), with `settings` on top; a failure names the call or setting and why.
inline ::testing::AssertionResult open_memory_engine(const std::string& name,
                                                     std::initializer_list<Setting> settings,
                                                     berth_engine** engine) {
  static std::atomic<int> runs{0};
  std::vector<Setting> all{{"backend.name", "memory"},
                           {"backend.cluster", name + "-" + std::to_string(::getpid()) + "-" + std::to_string(runs++)}};
  all.insert(all.end(), settings);
  berth_options* o = nullptr;
  berth_error* err = nullptr;
  if (berth_options_new(&o, &err) != BERTH_OK) return ::testing::AssertionFailure() << "berth_options_new: " << text_of(err);
  for (const auto& [key, value] : all) {
    if (berth_options_set(o, key, value.c_str(), &err) != BERTH_OK) {
      berth_options_free(o);
      return ::testing::AssertionFailure() << key << ": " << text_of(err);
    }
  }
  const int32_t rc = berth_engine_open(o, engine, &err);
  berth_options_free(o);
  if (rc != BERTH_OK) return ::testing::AssertionFailure() << "berth_engine_open: " << text_of(err);
  return ::testing::AssertionSuccess();
}

// A page nobody may read: a call that reads an id placed here dies of SIGSEGV.
class Unreadable {
 public:
  Unreadable() {
    page_ = ::mmap(nullptr, size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(page_, MAP_FAILED) << "mmap of a PROT_NONE page failed";
  }
  ~Unreadable() {
    if (page_ != MAP_FAILED) ::munmap(page_, size_);
  }
  Unreadable(const Unreadable&) = delete;
  Unreadable& operator=(const Unreadable&) = delete;
  const char* data() const { return static_cast<const char*>(page_); }

 private:
  size_t size_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* page_;
};

}  // namespace berth_capi_test
