// Giving the memory a refresh or an install freed back to the system.
//
// A leader's refresh allocates several times what the new version keeps (the policy's sort,
// the encoded bytes, the columns being built), and a follower's install decodes a version next
// to the one it replaces. glibc's malloc keeps most of that once freed: it raises its mmap
// threshold after the first large free, so later large blocks come from the heap, whose free
// pages stay resident. Measured at 1M streams: a leader held 285-300 MB instead of ~175 MB.
#pragma once

namespace berth {

// Returns the free pages of every malloc arena to the system (malloc_trim(0) on glibc; nothing
// elsewhere). It costs about a millisecond per 10 MB returned and little when there is little to
// return, but it locks each arena while it walks it: the host's allocations wait meanwhile.
// Calls from several threads run one at a time (heap_return.cpp says why).
void return_free_heap() noexcept;

}  // namespace berth
