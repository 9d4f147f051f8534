// What the host C API tests share: an error's code and message, and a page nobody may read (an
// id placed on it proves a call checks the length before touching the bytes).
#pragma once

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

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
