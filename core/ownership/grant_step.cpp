#include "ownership/grant_step.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.h"
#include "common/hash.h"

namespace berth::ownership {
namespace {

constexpr uint64_t kNone = UINT64_MAX;

// The index of the stream whose id starts at `offset` in `streams`' arena, or kNone, searched
// from `from` onwards when the id lies there (galloping: a removal skips a few streams), else in
// the whole column. Several ids start at one offset only when empty ids precede the one asked
// for, hence the check of `id`.
uint64_t index_at_offset(const StreamColumns& streams, uint64_t offset, std::string_view id, uint64_t from) {
  const auto& offsets = streams.ids.offsets;
  const uint64_t n = streams.size();
  uint64_t lo = 0, hi = n;
  if (from < n && offsets[from] <= offset) {
    lo = from;
    for (uint64_t step = 1; lo + step < n && offsets[lo + step] <= offset; step *= 2) lo += step;
    hi = std::min(n, lo + (lo - from) + 2);
  }
  auto begin = offsets.begin() + static_cast<std::ptrdiff_t>(lo);
  auto it = std::lower_bound(begin, offsets.begin() + static_cast<std::ptrdiff_t>(hi), offset);
  for (uint64_t k = static_cast<uint64_t>(it - offsets.begin()); k < n && offsets[k] == offset; ++k)
    if (streams.ids.at(k) == id) return k;
  return kNone;
}

// `id`'s index in the base, through the base's lookup table.
uint64_t find_in(const Snapshot& base, std::string_view id, uint64_t hash, uint64_t from = kNone) {
  if (!base.table) return kNone;
  const LookupTable::Slot* slot = base.table->find(hash, id, base.streams->ids.arena.data());
  return slot == nullptr ? kNone : index_at_offset(*base.streams, slot->offset, id, from);
}

// Next stream -> its index in the base (kNone: new since), asked in stream order. The next
// columns are usually the base's (same object), or the base's minus removals plus additions at
// the end, so a cursor over the base guesses right and the table is consulted only where not.
class BaseIndex {
 public:
  BaseIndex(const Snapshot& base, const StreamColumns& next)
      : base_(base), old_(*base.streams), next_(next), same_(&old_ == &next), kept_(same_ ? 0 : old_.size(), false) {}

  uint64_t of(uint64_t i) {
    if (same_) return i;
    std::string_view id = next_.ids.at(i);
    uint64_t b = kNone;
    if (cursor_ < old_.size() && old_.hash[cursor_] == next_.hash[i] && old_.ids.at(cursor_) == id) {
      b = cursor_++;
    } else {
      b = find_in(base_, id, next_.hash[i], cursor_);
      if (b != kNone) cursor_ = b + 1;
    }
    if (b != kNone) kept_[b] = true;
    return b;
  }

  // Whether base stream `b` is in next (after every next stream was asked for).
  bool kept(uint64_t b) const { return same_ || kept_[b]; }

 private:
  const Snapshot& base_;
  const StreamColumns& old_;
  const StreamColumns& next_;
  const bool same_;
  std::vector<bool> kept_;
  uint64_t cursor_ = 0;
};

// Base server index -> next server index, for holders still registered under the same
// incarnation; BERTH_NO_SERVER for the others. Both lists are sorted by id.
std::vector<uint32_t> surviving_servers(const ServerColumns& base, const ServerColumns& next) {
  std::vector<uint32_t> out(base.size(), BERTH_NO_SERVER);
  for (uint32_t b = 0, j = 0; b < base.size(); ++b) {
    std::string_view id = base.ids.at(b);
    while (j < next.size() && next.ids.at(j) < id) ++j;
    if (j < next.size() && next.ids.at(j) == id && next.incarnation_of(j) == base.incarnation_of(b)) out[b] = j;
  }
  return out;
}

// Marks, per base stream, a release that names its holder and token. Everything else is a late
// or duplicate acknowledgement (or one for a stream the base does not know) and changes nothing.
// `removed` (the base's removed holds by stream) gets the releases of removed streams: erased.
// A release of a lapsing stream ends its lapse.
std::vector<bool> matching_releases(const Snapshot& base, const std::vector<Release>& releases, StepCounts& counts,
                                    std::unordered_map<std::string_view, size_t>& removed, LapsingHolds& lapses) {
  std::vector<bool> released;
  if (releases.empty()) return released;
  released.assign(base.stream_count(), false);
  for (const Release& r : releases) {
    if (auto it = removed.find(r.stream); it != removed.end()) {
      const RemovedHold& h = base.removed_holds[it->second];
      if (h.token == r.token && h.holder < base.server_count() && base.servers->ids.at(h.holder) == r.server) {
        removed.erase(it);
        continue;
      }
    }
    if (lapses.release(r.stream, r.server, r.token)) continue;
    uint64_t b = base.holder.empty() ? kNone : find_in(base, r.stream, stream_hash(r.stream));
    uint32_t holder = b == kNone ? BERTH_NO_SERVER : base.holder[b];
    if (holder >= base.server_count() || released[b] || base.token[b] != r.token || base.servers->ids.at(holder) != r.server) {
      ++counts.releases_ignored;
      continue;
    }
    released[b] = true;
  }
  return released;
}

}  // namespace

StepCounts assign_holders(const Snapshot* base, Snapshot& next, const std::vector<Release>& releases, bool soft,
                          bool grant, LapseClock lapse) {
  StepCounts counts;
  const uint64_t n = next.stream_count();
  const uint32_t m = next.server_count();
  const uint64_t version = next.meta.version;
  if (!next.streams || !next.servers || next.streams->size() != n)
    throw Error(BERTH_E_CORRUPT, fmt::format("version {}: stream columns disagree with its {} owners", version, n));
  next.removed_holds.clear();
  next.lapsing_holds.clear();
  // Version 0 is never published (plans, benchmarks, tools build such snapshots): it grants
  // nothing, since 0 is no token.
  if (version == 0) {
    next.holder.clear();
    next.token.clear();
    return counts;
  }
  // Columns of the wrong size cannot say who holds what; granting as if nobody did could grant
  // a stream twice.
  if (base != nullptr && !base->holder.empty() &&
      (base->holder.size() != base->stream_count() || base->token.size() != base->stream_count()))
    throw Error(BERTH_E_CORRUPT, fmt::format("version {}: holder/token columns of {}/{} entries for {} streams",
                                             base->meta.version, base->holder.size(), base->token.size(),
                                             base->stream_count()));
  next.holder.assign(n, BERTH_NO_SERVER);
  next.token.assign(n, 0);

  // Nothing is held in a base without holder columns (or without a base).
  // (Removed holds exist only where holders do, also when no stream is left.)
  bool held_before = base != nullptr && (!base->holder.empty() || (base->stream_count() == 0 && !base->removed_holds.empty()) ||
                                         !base->lapsing_holds.empty());
  LapsingHolds lapses(held_before ? base : nullptr, next, lapse);
  if (!held_before) counts.releases_ignored = releases.size();
  std::optional<BaseIndex> from;
  std::vector<uint32_t> server_map;
  std::vector<bool> released;
  std::unordered_map<std::string_view, size_t> removed;  // the base's removed holds not released
  if (held_before) {
    from.emplace(*base, *next.streams);
    server_map = surviving_servers(*base->servers, *next.servers);
    for (size_t k = 0; k < base->removed_holds.size(); ++k) removed.emplace(base->removed_holds[k].stream, k);
    released = matching_releases(*base, releases, counts, removed, lapses);
  }
  const uint32_t base_m = held_before ? base->server_count() : 0;
  // The holder a removed hold names, if it is still registered as it was.
  auto surviving = [&](const RemovedHold& h) { return h.holder < base_m ? server_map[h.holder] : BERTH_NO_SERVER; };

  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t owner = next.owner[i];
    uint32_t holder = BERTH_NO_SERVER;
    uint64_t token = 0;
    bool was_released = false;
    bool was_asked = false;  // the base already asked its holder to release it
    bool regrant = false;    // added again while its holder kept it: back to that holder first
    bool lapsing = false;    // its holder vanished: granted to nobody for now
    uint64_t b = held_before ? from->of(i) : kNone;
    if (b != kNone && !base->holder.empty() && base->holder[b] < base_m) {
      uint32_t before = base->holder[b];
      was_asked = base->owner[b] != before;
      if (!released.empty() && released[b]) {
        was_released = true;
      } else if (server_map[before] == BERTH_NO_SERVER) {
        ++counts.holders_lost;
        lapsing = lapses.begin(next.streams->ids.at(i), *base->servers, before, base->token[b]);
      } else {
        holder = server_map[before];
        token = base->token[b];
      }
    } else if (b == kNone && !removed.empty()) {
      if (auto it = removed.find(next.streams->ids.at(i)); it != removed.end()) {
        const RemovedHold& h = base->removed_holds[it->second];
        removed.erase(it);
        if (surviving(h) == BERTH_NO_SERVER) {
          ++counts.holders_lost;
          lapsing = lapses.begin(h.stream, *base->servers, h.holder, h.token);
        } else {
          holder = surviving(h);
          token = h.token;
          regrant = grant;
        }
      }
    }
    if (holder == BERTH_NO_SERVER && !lapsing && !was_released && held_before) {
      uint32_t back = BERTH_NO_SERVER;
      switch (lapses.settle(next.streams->ids.at(i), grant, &back)) {
        case LapsingHolds::State::lapsing:
          lapsing = true;
          break;
        case LapsingHolds::State::back:
          holder = back;
          regrant = true;
          break;
        case LapsingHolds::State::none:
          break;
      }
    }
    if (regrant) {
      // A new grant to the holder it had (tokens only grow per stream): whether or not its node
      // saw the removal, nobody else can hold it.
      token = version;
      if (!soft || holder == owner) ++counts.granted;  // soft: granted to the owner below instead
    }
    if (holder != BERTH_NO_SERVER && holder != owner) {
      if (!was_asked) ++counts.handoffs_started;
      if (soft && grant) {
        // The new owner takes it now; the previous holder's node asks its host to stop.
        holder = BERTH_NO_SERVER;
        was_released = true;
      }
    }
    // A server nobody serves is granted nothing: it only routes (docs/ownership.md).
    const bool serves = owner < m && next.servers->serving_of(owner);
    if (holder == BERTH_NO_SERVER && serves && !lapsing) {
      if (grant) {
        holder = owner;
        token = version;
        ++counts.granted;
        if (was_released) ++counts.handoffs_completed;
      } else {
        ++counts.withheld;
      }
    }
    if (holder == BERTH_NO_SERVER) {
      if (serves || owner >= m) ++counts.unheld;
      token = 0;
    } else if (holder != owner) {
      ++counts.releasing;
    }
    next.holder[i] = holder;
    next.token[i] = token;
  }

  // Held streams removed, and removed ones still held, keep their holder while they stay removed.
  if (held_before) {
    // `before`: the holder's index in the base; `holder`: in next (BERTH_NO_SERVER: it vanished).
    auto keep = [&](std::string_view id, uint32_t before, uint32_t holder, uint64_t token) {
      if (holder == BERTH_NO_SERVER) {
        ++counts.holders_lost;
        lapses.begin(id, *base->servers, before, token);
      } else if (next.tombstones && next.tombstones->contains(id)) {
        next.removed_holds.push_back(RemovedHold{std::string(id), holder, token});
      }
    };
    for (size_t k = 0; k < base->removed_holds.size(); ++k) {
      const RemovedHold& h = base->removed_holds[k];
      auto it = removed.find(h.stream);
      if (it != removed.end() && it->second == k) keep(h.stream, h.holder, surviving(h), h.token);
    }
    for (uint64_t b = 0; b < base->stream_count() && base->streams != next.streams; ++b) {
      if (from->kept(b) || base->holder.empty() || base->holder[b] >= base_m || (!released.empty() && released[b]))
        continue;
      keep(base->streams->ids.at(b), base->holder[b], server_map[base->holder[b]], base->token[b]);
    }
  }
  lapses.finish();
  counts.removed_held = next.removed_holds.size();
  counts.lapsing = lapses.lapsing();
  counts.lapse_ends_ns = lapses.first_end_ns();
  return counts;
}

}  // namespace berth::ownership
