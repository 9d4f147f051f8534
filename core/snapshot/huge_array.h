// A fixed-size, zero-filled array of trivially copyable T for large, randomly probed tables:
// big ones are mapped directly and advised onto transparent huge pages, so a probe costs a cache
// miss but rarely a TLB miss as well.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace berth {

template <class T>
class HugeArray {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr size_t kHugePage = size_t{2} << 20;

 public:
  HugeArray() = default;
  explicit HugeArray(size_t count) : size_(count) {
    size_t bytes = count * sizeof(T);
    if (bytes == 0) return;
    if (bytes >= kHugePage) {
      bytes_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      madvise(p, bytes_, MADV_HUGEPAGE);  // advice only: fine if the kernel declines
      data_ = static_cast<T*>(p);
    } else {
      data_ = static_cast<T*>(std::aligned_alloc(alignof(T) < 64 ? 64 : alignof(T), (bytes + 63) / 64 * 64));
      if (data_ == nullptr) throw std::bad_alloc();
      for (size_t i = 0; i < count; ++i) new (&data_[i]) T{};
    }
  }
  ~HugeArray() { release(); }
  HugeArray(HugeArray&& other) noexcept { swap(other); }
  HugeArray& operator=(HugeArray&& other) noexcept {
    HugeArray(std::move(other)).swap(*this);
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T& operator[](size_t i) noexcept { return data_[i]; }
  const T& operator[](size_t i) const noexcept { return data_[i]; }
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  void swap(HugeArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(bytes_, other.bytes_);
  }
  void release() noexcept {
    if (data_ == nullptr) return;
    if (bytes_ > 0)
      munmap(data_, bytes_);
    else
      std::free(data_);
    data_ = nullptr;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;  // non-zero when mapped
};

}  // namespace berth
