// The metered appraiser's memory: one smoothed load per stream, in a flat open-addressing table
// keyed by the stream's 64-bit hash (XXH3 of its id, computed by the host) and checked against
// its id, so two ids whose hashes collide still get separate entries.
//
// Each appraise pass stamps the entries it touches with a new generation; end_pass() drops every
// entry the pass did not touch (a stream no longer in the stream set), so memory follows the
// live streams and a stream that comes back starts afresh.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::metered {

class SmoothedLoads {
 public:
  // The entry of (hash, id), or nullptr. Stamps a found entry as live in this pass.
  double* find(uint64_t hash, std::string_view id);
  // Adds (hash, id) with `value`; the id must not be in the table. Live in this pass.
  void insert(uint64_t hash, std::string_view id, double value);
  // Starts a pass; entries not touched (found or inserted) before end_pass() are dropped by it.
  void begin_pass();
  void end_pass();

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    double value = 0.0;
    uint32_t generation = 0;  // 0: empty
    std::string id;
  };

  size_t index_of(uint64_t hash) const;  // the home slot of `hash`
  void grow();
  // Moves the entries into a table of `capacity` slots: all of them, or only those of this pass.
  void rebuild(size_t capacity, bool only_live);

  std::vector<Slot> slots_;  // capacity a power of two, at most 1/2 full
  size_t size_ = 0;          // occupied slots
  size_t live_ = 0;          // of them, touched in this pass
  uint32_t generation_ = 1;
};

}  // namespace berth::metered
