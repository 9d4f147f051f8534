#include "common/heap_return.h"

#include <pthread.h>

#include <cstdlib>  // defines __GLIBC__ on glibc
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace berth {

namespace {

// glibc sets its malloc up on the first call into it. In a process whose malloc is another
// allocator's (a host linking jemalloc or tcmalloc, or a sanitizer's), that first call may be an
// engine's trim, and glibc 2.36 does not guard it: a second trim running at the same time sees
// the set-up as done, walks the arena's bins before they are set and reads a null pointer. Two
// engines finishing a refresh together were enough. So one trim runs at a time: trims come once
// per version, and each locks every arena it walks anyway.
std::mutex trim_mutex;

// A fork while another thread trims would leave the mutex locked for good in the child.
void before_fork() { trim_mutex.lock(); }
void after_fork() { trim_mutex.unlock(); }
[[maybe_unused]] const int fork_handlers = pthread_atfork(&before_fork, &after_fork, &after_fork);

}  // namespace

void return_free_heap() noexcept {
#if defined(__GLIBC__)
  std::lock_guard lock(trim_mutex);
  malloc_trim(0);
#endif
}

}  // namespace berth
