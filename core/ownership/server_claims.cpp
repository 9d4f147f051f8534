#include "ownership/server_claims.h"

#include <time.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>

#include "berth/abi.h"
#include "common/hash.h"

namespace berth::ownership {

namespace {

uint64_t clock_ns(clockid_t clock) noexcept {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// A stream this server held at some point. The id never changes once the entry is reachable;
// the token does (0: not held). Entries live as long as the ServerClaims, so that a reader that
// found one never touches freed memory, and a stream held again reuses its entry.
struct Entry {
  Entry(std::string_view stream, uint64_t stream_tag) : tag(stream_tag), id(stream) {}
  std::atomic<uint64_t> token{0};
  const uint64_t tag;
  const std::string id;
};

// Equality of two ids of `size` bytes, inlined: the 64-bit tags already matched, so this almost
// always confirms, and a call to memcmp would cost as much as the rest of holds().
inline bool same_bytes(const char* a, const char* b, size_t size) noexcept {
  const auto word = [](const char* p) noexcept {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (size >= 8) {
    for (size_t i = 0; i + 8 <= size; i += 8) {
      if (word(a + i) != word(b + i)) return false;
    }
    return word(a + size - 8) == word(b + size - 8);  // the tail, overlapping
  }
  for (size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

__extension__ typedef unsigned __int128 Wide;

// The held table's own hash (it never leaves this file), never 0 so that 0 marks an empty slot.
// Ids of up to 16 bytes, the common case, take one 64x64->128 multiply of their first and last
// bytes and a final mix, inlined; the stream hash (XXH3) does the same work behind a call and a
// dispatch on the length, which holds() cannot afford. Longer ids use the stream hash.
inline uint64_t tag_of(std::string_view stream) noexcept {
  const size_t size = stream.size();
  if (size > 16) return stream_hash(stream) | 1u;
  const char* p = stream.data();
  uint64_t first = 0;
  uint64_t last = 0;
  if (size >= 8) {
    std::memcpy(&first, p, 8);
    std::memcpy(&last, p + size - 8, 8);
  } else if (size >= 4) {
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + size - 4, 4);
  } else if (size > 0) {
    first = static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
            static_cast<uint64_t>(static_cast<unsigned char>(p[size / 2])) << 8 |
            static_cast<uint64_t>(static_cast<unsigned char>(p[size - 1])) << 16;
  }
  const Wide product = static_cast<Wide>(first ^ 0xa0761d6478bd642fULL ^ size) * static_cast<Wide>(last ^ 0xe7037ed1a0b428dbULL);
  uint64_t h = static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  h ^= h >> 32;
  h *= 0x9fb21c651e98df25ULL;
  h ^= h >> 28;
  return h | 1u;
}

struct Slot {
  std::atomic<uint64_t> tag{0};  // written last (release): a reader that sees it sees `entry`
  std::atomic<Entry*> entry{nullptr};
};

// Open addressing with linear probing, at most half full, so every probe sequence ends on an
// empty slot. Slots are only ever filled, never emptied: a reader holding an old table sees a
// subset of the entries of the current one, with the same (shared) tokens.
class Table {
 public:
  static constexpr uintptr_t kBitsMask = 63;  // the low bits of a published word

  explicit Table(unsigned bits) : bits_(bits), slots_(static_cast<Slot*>(::operator new(sizeof(Slot) << bits, kAlign))) {
    for (size_t i = 0; i < capacity(); ++i) new (&slots_[i]) Slot();
  }
  ~Table() { ::operator delete(slots_, kAlign); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  unsigned bits() const noexcept { return bits_; }
  size_t capacity() const noexcept { return size_t{1} << bits_; }
  Slot* slots() const noexcept { return slots_; }
  uintptr_t published() const noexcept { return reinterpret_cast<uintptr_t>(slots_) | bits_; }

  // The first slot to probe for `tag` in a table of 2^bits slots: the tag's high bits.
  static size_t start(uint64_t tag, unsigned bits) noexcept { return static_cast<size_t>(tag >> (64 - bits)); }

 private:
  static constexpr std::align_val_t kAlign{kBitsMask + 1};
  const unsigned bits_;
  Slot* const slots_;
};

constexpr unsigned kFirstTableBits = 4;

}  // namespace

uint64_t coarse_now_ns() noexcept { return clock_ns(CLOCK_MONOTONIC_COARSE); }
uint64_t monotonic_now_ns() noexcept { return clock_ns(CLOCK_MONOTONIC); }

struct ServerClaims::State {
  explicit State(std::atomic<uintptr_t>& published) : table(published) {
    tables.push_back(std::make_unique<Table>(kFirstTableBits));
    table.store(tables.back()->published(), std::memory_order_release);
  }

  // What holds() reads: the newest table. Older tables stay allocated in `tables` until the
  // ServerClaims is destroyed, because a reader may still be probing one.
  std::atomic<uintptr_t>& table;

  // Everything below is guarded by `mutex`.
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::vector<std::unique_ptr<Table>> tables;
  size_t entry_count = 0;
  std::deque<Entry> entries;  // a deque never moves what it holds

  // Per stream that is held, has a given-up token to remember, or has events queued.
  struct Stream {
    Entry* entry = nullptr;
    uint64_t held = 0;       // the token held (0: none); mirrors entry->token
    uint64_t given_up = 0;   // highest token released or revoked that versions may still show
    bool release_asked = false;
    uint32_t queued = 0;     // events of this stream in `queue`
    std::list<Event>::iterator acquire_event;  // queue.end(): none undelivered for `held`
    std::list<Event>::iterator release_event;
    uint64_t shown = 0;       // the last apply() generation that showed this server as holder
    uint64_t shown_token = 0; // the token it showed
    uint64_t kept = 0;        // the last apply() generation that kept the claim
  };
  std::unordered_map<std::string_view, Stream> streams;  // keys view Entry::id
  std::list<Event> queue;
  size_t held_count = 0;
  uint64_t generation = 0;
  uint64_t last_incarnation = 0;
  uint64_t barred_incarnation = 0;
  bool closed = false;

  static void place(Table& table, Entry& entry) noexcept {
    const size_t mask = table.capacity() - 1;
    for (size_t i = Table::start(entry.tag, table.bits());; i = (i + 1) & mask) {
      Slot& slot = table.slots()[i];
      if (slot.tag.load(std::memory_order_relaxed) != 0) continue;
      slot.entry.store(&entry, std::memory_order_relaxed);
      slot.tag.store(entry.tag, std::memory_order_release);
      return;
    }
  }

  Entry* find_entry(std::string_view stream, uint64_t tag) const noexcept {
    const Table& current = *tables.back();
    const size_t mask = current.capacity() - 1;
    for (size_t i = Table::start(tag, current.bits());; i = (i + 1) & mask) {
      const Slot& slot = current.slots()[i];
      const uint64_t found = slot.tag.load(std::memory_order_relaxed);
      if (found == 0) return nullptr;
      Entry* entry = slot.entry.load(std::memory_order_relaxed);
      if (found == tag && entry->id == stream) return entry;
    }
  }

  Entry* entry_for(std::string_view stream) {
    const uint64_t tag = tag_of(stream);
    if (Entry* found = find_entry(stream, tag)) return found;
    Entry& entry = entries.emplace_back(stream, tag);
    if ((entry_count + 1) * 2 > tables.back()->capacity()) {
      // Build the larger table completely, then publish it: readers switch with one load.
      auto grown = std::make_unique<Table>(tables.back()->bits() + 1);
      for (Entry& old : entries) {
        if (&old != &entry) place(*grown, old);
      }
      tables.push_back(std::move(grown));
    }
    place(*tables.back(), entry);
    ++entry_count;
    table.store(tables.back()->published(), std::memory_order_release);
    return &entry;
  }

  Stream& stream_for(Entry* entry) {
    auto [it, added] = streams.try_emplace(std::string_view(entry->id));
    if (added) {
      it->second.entry = entry;
      it->second.acquire_event = queue.end();
      it->second.release_event = queue.end();
    }
    return it->second;
  }

  std::list<Event>::iterator push(Stream& stream, Event event) {
    ++stream.queued;
    queue.push_back(std::move(event));
    wake.notify_all();
    return std::prev(queue.end());
  }

  void drop(Stream& stream, std::list<Event>::iterator& event) {
    if (event == queue.end()) return;
    queue.erase(event);
    event = queue.end();
    --stream.queued;
  }

  void take_up(Stream& stream, uint64_t token, uint64_t version) {
    stream.held = token;
    stream.release_asked = false;
    stream.entry->token.store(token, std::memory_order_release);
    ++held_count;
    stream.acquire_event = push(stream, Event{EventKind::acquire, stream.entry->id, token, version, 0});
  }

  void ask_release(Stream& stream, uint64_t version) {
    if (stream.release_asked) return;
    stream.release_asked = true;
    stream.release_event = push(stream, Event{EventKind::release, stream.entry->id, stream.held, version, 0});
  }

  // The claim ends; from the return on holds() answers false.
  void give_up(Stream& stream) {
    stream.entry->token.store(0, std::memory_order_release);
    --held_count;
    stream.given_up = std::max(stream.given_up, stream.held);
    stream.held = 0;
    stream.release_asked = false;
  }

  // holds() turns false first, then the host is told, unless it was never told of the claim (its
  // acquire is still queued), in which case it hears of neither; a release request still queued
  // is moot.
  void revoke(Stream& stream, uint64_t version, uint64_t ended_ns) {
    const uint64_t token = stream.held;
    give_up(stream);
    drop(stream, stream.release_event);
    if (stream.acquire_event != queue.end()) {
      drop(stream, stream.acquire_event);
      return;
    }
    push(stream, Event{EventKind::revoked, stream.entry->id, token, version, ended_ns});
  }

  // Erases a record nothing needs any more.
  void tidy(std::unordered_map<std::string_view, Stream>::iterator it) {
    const Stream& stream = it->second;
    if (stream.held == 0 && stream.given_up == 0 && stream.queued == 0) streams.erase(it);
  }

  void revoke_all(uint64_t ended_ns) {
    for (auto it = streams.begin(); it != streams.end();) {
      auto next = std::next(it);
      if (it->second.held != 0) revoke(it->second, 0, ended_ns);
      tidy(it);
      it = next;
    }
    barred_incarnation = last_incarnation;
  }
};

ServerClaims::ServerClaims(std::string server, const std::atomic<uint64_t>& lease_until)
    : server_(std::move(server)), lease_until_(lease_until), state_(std::make_unique<State>(table_)) {}

ServerClaims::~ServerClaims() = default;

bool ServerClaims::holds(std::string_view stream, uint64_t* token) const noexcept {
  // The clock first: nothing below depends on it, so its read overlaps the probe.
  const uint64_t now = coarse_now_ns();
  const uint64_t tag = tag_of(stream);
  const uintptr_t word = table_.load(std::memory_order_acquire);
  const auto* slots = reinterpret_cast<const Slot*>(word & ~Table::kBitsMask);
  const auto bits = static_cast<unsigned>(word & Table::kBitsMask);
  const size_t mask = (size_t{1} << bits) - 1;
  for (size_t i = Table::start(tag, bits);; i = (i + 1) & mask) {
    const Slot& slot = slots[i];
    const uint64_t found = slot.tag.load(std::memory_order_acquire);
    if (found == 0) return false;
    if (found != tag) continue;
    const Entry* entry = slot.entry.load(std::memory_order_relaxed);
    if (entry->id.size() != stream.size() || !same_bytes(entry->id.data(), stream.data(), stream.size())) continue;
    const uint64_t held = entry->token.load(std::memory_order_acquire);
    if (held == 0 || now >= lease_until_.load(std::memory_order_acquire)) return false;
    if (token != nullptr) *token = held;
    return true;
  }
}

bool ServerClaims::release(std::string_view stream, uint64_t token) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  auto it = s.streams.find(stream);
  if (it == s.streams.end() || it->second.held == 0 || it->second.held != token) return false;
  // Past the lease deadline the claim has already ended (holds() says so): nothing is left to
  // release, and the revocation the lease loop delivers tells the host when it ended.
  if (coarse_now_ns() >= lease_until_.load(std::memory_order_acquire)) return false;
  State::Stream& record = it->second;
  s.give_up(record);
  // The host let go by itself: what it was not told yet about this claim no longer matters.
  s.drop(record, record.release_event);
  s.drop(record, record.acquire_event);
  return true;
}

std::optional<Event> ServerClaims::poll(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  const auto ready = [&] { return s.closed || cancel.load(std::memory_order_acquire) || !s.queue.empty(); };
  if (!s.wake.wait_until(lock, deadline, ready)) return std::nullopt;
  if (cancel.load(std::memory_order_acquire) || s.queue.empty()) return std::nullopt;
  Event event = std::move(s.queue.front());
  auto it = s.streams.find(event.stream);
  if (it != s.streams.end()) {
    State::Stream& record = it->second;
    if (record.acquire_event == s.queue.begin()) record.acquire_event = s.queue.end();
    if (record.release_event == s.queue.begin()) record.release_event = s.queue.end();
    --record.queued;
  }
  s.queue.pop_front();
  if (it != s.streams.end()) s.tidy(it);
  return event;
}

void ServerClaims::interrupt() {
  std::lock_guard lock(state_->mutex);
  state_->wake.notify_all();
}

bool ServerClaims::closed() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed;
}

std::vector<std::pair<std::string, uint64_t>> ServerClaims::held() const {
  std::lock_guard lock(state_->mutex);
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(state_->held_count);
  for (const auto& [id, record] : state_->streams) {
    if (record.held != 0) out.emplace_back(std::string(id), record.held);
  }
  return out;
}

size_t ServerClaims::held_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->held_count;
}

void ServerClaims::apply(const Snapshot& snapshot, uint32_t index, uint64_t incarnation) {
  std::vector<uint64_t> rows;
  if (index != BERTH_NO_SERVER)
    for (uint64_t i = 0; i < snapshot.holder.size(); ++i)
      if (snapshot.holder[i] == index) rows.push_back(i);
  apply(snapshot, index, incarnation, rows);
}

void ServerClaims::apply(const Snapshot& snapshot, uint32_t index, uint64_t incarnation,
                         std::span<const uint64_t> held_rows) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return;
  s.last_incarnation = incarnation;
  const uint64_t generation = ++s.generation;
  const uint64_t version = snapshot.meta.version;

  const ServerColumns* servers = snapshot.servers.get();
  const StreamColumns* streams = snapshot.streams.get();
  const bool present = index != BERTH_NO_SERVER && servers != nullptr && index < servers->size() &&
                       index < servers->ids.size() && servers->ids.at(index) == server_;
  const uint64_t count = streams != nullptr ? streams->ids.size() : 0;
  const bool columns = present && snapshot.holder.size() == count && snapshot.token.size() == count &&
                       snapshot.owner.size() == count;
  const bool take_up = present && incarnation != 0 && servers->incarnation_of(index) == incarnation &&
                       incarnation != s.barred_incarnation;

  // A claim the snapshot ends ended now, or when the lease did if that was earlier.
  uint64_t ended_ns = 0;
  const auto ended = [&] {
    if (ended_ns == 0) {
      ended_ns = monotonic_now_ns();
      const uint64_t lease = lease_until_.load(std::memory_order_acquire);
      if (lease != 0) ended_ns = std::min(ended_ns, lease);
    }
    return ended_ns;
  };

  if (columns) {
    for (const uint64_t i : held_rows) {
      if (i >= count || snapshot.holder[i] != index) continue;
      const std::string_view id = streams->ids.at(i);
      const uint64_t token = snapshot.token[i];
      const bool owned = snapshot.owner[i] == index;
      auto it = s.streams.find(id);
      if (it != s.streams.end()) {
        State::Stream& record = it->second;
        record.shown = generation;
        record.shown_token = token;
        if (record.held != 0) {
          if (take_up && token == record.held) {
            record.kept = generation;
            if (!owned) {
              s.ask_release(record, version);
            } else {
              // The owner came back: a request not delivered yet no longer stands.
              s.drop(record, record.release_event);
              record.release_asked = false;
            }
            continue;
          }
          // Another token, or this server under another registration: that claim is over.
          s.revoke(record, version, ended());
        }
      }
      if (!take_up || token == 0) continue;
      if (it != s.streams.end() && token <= std::max(it->second.given_up, it->second.held)) continue;
      State::Stream& record = s.stream_for(s.entry_for(id));
      record.shown = generation;
      record.shown_token = token;
      record.kept = generation;
      s.take_up(record, token, version);
      if (!owned) s.ask_release(record, version);
    }
  }

  for (auto it = s.streams.begin(); it != s.streams.end();) {
    auto next = std::next(it);
    State::Stream& record = it->second;
    if (record.held != 0 && record.kept != generation) s.revoke(record, version, ended());
    // Forget a given-up token once no version can show that grant again.
    if (record.given_up != 0 && (record.shown != generation || record.shown_token > record.given_up)) {
      record.given_up = 0;
    }
    s.tidy(it);
    it = next;
  }
}

void ServerClaims::revoke_all(uint64_t ended_ns) {
  std::lock_guard lock(state_->mutex);
  state_->revoke_all(ended_ns);
}

void ServerClaims::close(uint64_t ended_ns) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  s.revoke_all(ended_ns);
  s.closed = true;
  // The host still hears of every claim that ended (berth.h promises the revocations before the
  // feed reports it closed); nothing else is news any more.
  s.streams.clear();
  for (auto it = s.queue.begin(); it != s.queue.end();)
    it = it->kind == EventKind::revoked ? std::next(it) : s.queue.erase(it);
  s.wake.notify_all();
}

}  // namespace berth::ownership
