// A host whose malloc is not glibc's (linked with jemalloc; in a sanitized build, the sanitizer's)
// in which several threads return the freed heap at once, as engines finishing a refresh
// together do. glibc's own malloc has never been called here, so these are its first calls.
//
// Prints "malloc: glibc" or "malloc: not glibc's" (what the test needs to be true), then, after
// the threads are done, "trimmed". A crash in a trim kills the process before that line.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/heap_return.h"

namespace {

// Whether the malloc this process calls is libc's own.
bool malloc_is_glibcs() {
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  if (libc == nullptr) return true;  // no glibc to compare with: nothing this test can show
  const bool same = dlsym(RTLD_DEFAULT, "malloc") == dlsym(libc, "malloc");
  dlclose(libc);
  return same;
}

}  // namespace

int main() {
  std::printf("malloc: %s\n", malloc_is_glibcs() ? "glibc" : "not glibc's");
  std::fflush(stdout);

  // Every thread waits until all are running, so the trims start as close together as they can.
  constexpr int kThreads = 4;
  std::atomic<int> running{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&running] {
      running.fetch_add(1);
      while (running.load() < kThreads) {
      }
      berth::return_free_heap();
    });
  }
  for (auto& t : threads) t.join();
  std::printf("trimmed\n");
  return 0;
}
