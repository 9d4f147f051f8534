#include "common/heap_return.h"

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
// engines finishing a refresh together were enough. So one trim runs at a time; each locks every
// arena while it walks it anyway, so this takes no concurrency the host had.
std::mutex trim_mutex;

}  // namespace

void return_free_heap() noexcept {
#if defined(__GLIBC__)
  std::lock_guard lock(trim_mutex);
  malloc_trim(0);
#endif
}

}  // namespace berth
