#include "ownership/tracker.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "berth/abi.h"

namespace berth::ownership {

namespace {

constexpr uint64_t kEndless = std::numeric_limits<uint64_t>::max();

// A claim ended now, or at the lease deadline if that already passed (holds() said no since).
uint64_t end_time(const std::atomic<uint64_t>& deadline) {
  const uint64_t now = monotonic_now_ns();
  const uint64_t until = deadline.load(std::memory_order_acquire);
  return until != 0 ? std::min(now, until) : now;
}

// Server ids are sorted (index order is name order).
uint32_t index_of(const ServerColumns& servers, std::string_view id) {
  uint32_t low = 0;
  uint32_t high = static_cast<uint32_t>(std::min<uint64_t>(servers.size(), servers.ids.size()));
  while (low < high) {
    const uint32_t middle = low + (high - low) / 2;
    if (servers.ids.at(middle) < id) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low < servers.size() && low < servers.ids.size() && servers.ids.at(low) == id ? low : BERTH_NO_SERVER;
}

}  // namespace

Tracker::Tracker(uint64_t margin_ns) : margin_ns_(margin_ns) {}

Tracker::~Tracker() = default;

void Tracker::add(std::string_view server, uint64_t incarnation) {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  if (it == servers_.end()) {
    auto claims = std::make_shared<ServerClaims>(std::string(server), deadline_);
    servers_.emplace(std::string(server), Registered{incarnation, claims});
    return;
  }
  Registered& registered = it->second;
  if (registered.incarnation != incarnation) {
    registered.claims->revoke_all(end_time(deadline_));
    registered.incarnation = incarnation;
    registered.stale = false;
  }
}

std::shared_ptr<ServerClaims> Tracker::open(std::string_view server, const Snapshot* current) {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  if (it == servers_.end()) return nullptr;
  Registered& registered = it->second;
  if (!registered.opened) {
    registered.opened = true;
    if (current != nullptr) apply_locked(*current, &registered);
  }
  return registered.claims;
}

void Tracker::set_incarnation(std::string_view server, uint64_t incarnation) {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  if (it == servers_.end() || it->second.incarnation == incarnation) return;
  it->second.claims->revoke_all(end_time(deadline_));
  it->second.incarnation = incarnation;
  it->second.stale = false;
}

void Tracker::remove(std::string_view server) {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  if (it == servers_.end()) return;
  it->second.claims->close(end_time(deadline_));
  servers_.erase(it);
}

std::shared_ptr<ServerClaims> Tracker::find(std::string_view server) const {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  return it == servers_.end() || !it->second.opened ? nullptr : it->second.claims;
}

std::map<std::string, uint64_t, std::less<>> Tracker::servers() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, uint64_t, std::less<>> out;
  for (const auto& [id, registered] : servers_) out.emplace(id, registered.incarnation);
  return out;
}

void Tracker::apply(const Snapshot& snapshot) {
  std::lock_guard lock(mutex_);
  apply_locked(snapshot, nullptr);
}

void Tracker::apply_locked(const Snapshot& snapshot, const Registered* only) {
  const uint64_t deadline = deadline_.load(std::memory_order_acquire);
  const bool leased = !lapsed_ && monotonic_now_ns() < deadline;
  // Each opened server's index in the snapshot, and its rows found in one pass over the holders.
  struct Target {
    const Registered* registered;
    uint32_t index;
    std::vector<uint64_t> rows;
  };
  std::vector<Target> targets;
  const uint32_t server_count = snapshot.servers != nullptr ? snapshot.servers->size() : 0;
  std::vector<uint32_t> target_of(server_count, UINT32_MAX);
  for (const auto& [id, registered] : servers_) {
    if (!registered.opened || (only != nullptr && only != &registered)) continue;
    const uint32_t index = snapshot.servers != nullptr ? index_of(*snapshot.servers, id) : BERTH_NO_SERVER;
    if (index < server_count) target_of[index] = static_cast<uint32_t>(targets.size());
    targets.push_back({&registered, index, {}});
  }
  if (targets.empty()) return;
  for (uint64_t i = 0; i < snapshot.holder.size(); ++i) {
    const uint32_t holder = snapshot.holder[i];
    if (holder < server_count && target_of[holder] != UINT32_MAX) targets[target_of[holder]].rows.push_back(i);
  }
  for (const Target& t : targets) {
    // Incarnation 0 takes nothing up, and ends the claims the snapshot shows (they lapse anyway).
    const uint64_t incarnation = leased && !t.registered->stale ? t.registered->incarnation : 0;
    t.registered->claims->apply(snapshot, t.index, incarnation, t.rows);
  }
}

void Tracker::lapse(uint64_t ended_ns) {
  // holds() turns false for every server before any revocation is queued.
  deadline_.store(0, std::memory_order_release);
  lapsed_ = true;
  for (auto& [id, registered] : servers_) {
    registered.claims->revoke_all(ended_ns);
    registered.stale = true;
  }
}

bool Tracker::lease(bool held, uint64_t valid_until_ns, uint64_t session) {
  std::lock_guard lock(mutex_);
  const uint64_t now = monotonic_now_ns();
  uint64_t next = 0;
  if (held && session != 0) {
    if (valid_until_ns == kEndless) {
      next = kEndless;
    } else if (valid_until_ns > margin_ns_) {
      next = valid_until_ns - margin_ns_;
    }
  }
  if (!lapsed_) {
    const uint64_t current = deadline_.load(std::memory_order_relaxed);
    if (next <= now || session != session_ || now >= current) {
      lapse(std::min(current, now));
      return true;
    }
    deadline_.store(next, std::memory_order_release);
    return false;
  }
  if (next > now) {
    session_ = session;
    lapsed_ = false;
    deadline_.store(next, std::memory_order_release);
  }
  return false;
}

void Tracker::close_all(uint64_t ended_ns) {
  std::lock_guard lock(mutex_);
  deadline_.store(0, std::memory_order_release);
  lapsed_ = true;
  for (auto& [id, registered] : servers_) {
    registered.claims->close(ended_ns);
    registered.stale = true;
  }
}

}  // namespace berth::ownership
