#include "ownership/lapsing_holds.h"

#include <string>

namespace berth::ownership {

LapsingHolds::LapsingHolds(const Snapshot* base, Snapshot& next, LapseClock clock)
    : base_(base), next_(next), clock_(clock) {
  if (base_ == nullptr) return;
  for (size_t k = 0; k < base_->lapsing_holds.size(); ++k) open_.emplace(base_->lapsing_holds[k].stream, k);
}

bool LapsingHolds::ended(const LapsingHold& h) const {
  // Another leader's clock says nothing here: it waits anew (carry() restarts it).
  return clock_.wait_ns == 0 || (h.epoch == next_.meta.epoch && h.until_ns <= clock_.now_ns);
}

void LapsingHolds::carry(LapsingHold h) {
  // An end beyond one wait from now (corrupt bytes, or a clock that went back) restarts at one
  // wait from now: no lapse outlasts the wait.
  const uint64_t latest = clock_.now_ns + clock_.wait_ns;
  if (h.epoch != next_.meta.epoch || h.until_ns > latest) {
    h.epoch = next_.meta.epoch;
    h.until_ns = latest;
  }
  out_.push_back(std::move(h));
}

bool LapsingHolds::release(std::string_view stream, std::string_view server, uint64_t token) {
  auto it = open_.find(stream);
  if (it == open_.end()) return false;
  const LapsingHold& h = base_->lapsing_holds[it->second];
  if (h.server != server || h.token != token) return false;
  open_.erase(it);
  return true;
}

bool LapsingHolds::begin(std::string_view stream, const ServerColumns& base_servers, uint32_t holder, uint64_t token) {
  if (clock_.wait_ns == 0) return false;
  open_.erase(stream);
  out_.push_back(LapsingHold{std::string(stream), std::string(base_servers.ids.at(holder)),
                             base_servers.incarnation_of(holder), token, next_.meta.epoch,
                             clock_.now_ns + clock_.wait_ns});
  return true;
}

LapsingHolds::State LapsingHolds::settle(std::string_view stream, bool grant, uint32_t* back) {
  if (open_.empty()) return State::none;
  auto it = open_.find(stream);
  if (it == open_.end()) return State::none;
  const LapsingHold& h = base_->lapsing_holds[it->second];
  open_.erase(it);
  if (ended(h)) return State::none;
  if (grant) {
    // Servers are sorted by id.
    const ServerColumns& servers = *next_.servers;
    uint32_t lo = 0, hi = servers.size();
    while (lo < hi) {
      const uint32_t mid = lo + (hi - lo) / 2;
      if (servers.ids.at(mid) < h.server) lo = mid + 1;
      else hi = mid;
    }
    if (lo < servers.size() && servers.ids.at(lo) == h.server && servers.incarnation_of(lo) == h.incarnation) {
      *back = lo;
      return State::back;
    }
  }
  carry(h);
  return State::lapsing;
}

void LapsingHolds::finish() {
  if (base_ != nullptr)
    for (const LapsingHold& h : base_->lapsing_holds)
      if (auto it = open_.find(h.stream); it != open_.end() && &base_->lapsing_holds[it->second] == &h && !ended(h))
        carry(h);
  count_ = out_.size();
  for (const LapsingHold& h : out_)
    if (first_end_ns_ == 0 || h.until_ns < first_end_ns_) first_end_ns_ = h.until_ns;
  next_.lapsing_holds = std::move(out_);
}

}  // namespace berth::ownership
