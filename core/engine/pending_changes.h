// What the leader has heard about streams since its last publish: additions, removals and
// measured loads, keyed by stream id, and holders' releases (a list of their own: a release is
// about a grant, not the stream's membership). Applied (and cleared) by the next successful
// refresh.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/intake.h"
#include "ownership/grant_step.h"

namespace berth {

struct StreamChange {
  bool present = true;      // false: removed
  bool added = false;       // an add was heard (tenant meaningful)
  bool seen_only = false;   // only lookups have mentioned it
  bool heard = false;       // an add, lookup or load report was heard, so a removal buries it (refresh.cpp)
  std::string tenant;
  double reported_load = std::numeric_limits<double>::quiet_NaN();
};

class PendingChanges {
 public:
  void apply(const IntakeRecord& r) {
    if (is_catalogue_op(r.op)) {
      // Operators' and hosts' catalogue records, each applied by its own step in the order heard.
      catalogue_.push_back(r);
      return;
    }
    if (r.op == IntakeOp::release) {
      // Checked against the holder by the grant step: one for a stream removed since, or
      // never known, or a duplicate, changes nothing there.
      releases_.push_back({r.stream, r.tenant, r.token});
      return;
    }
    if (r.op == IntakeOp::seen) {
      // Existence only: never overrides an add, a removal or a known tenant.
      auto [it, inserted] = changes_.try_emplace(r.stream);
      if (inserted) {
        order_.push_back(r.stream);
        it->second.seen_only = true;
      }
      it->second.heard = true;
      return;
    }
    auto [it, inserted] = changes_.try_emplace(r.stream);
    StreamChange& c = it->second;
    if (inserted) order_.push_back(r.stream);  // new streams join in the order they were heard
    switch (r.op) {
      case IntakeOp::add:
        c.present = true;
        c.added = true;
        c.heard = true;
        c.tenant = r.tenant;
        if (!std::isnan(r.load)) c.reported_load = r.load;
        break;
      case IntakeOp::remove:
        c.present = false;
        c.added = false;
        break;
      case IntakeOp::report:
        c.reported_load = r.load;
        c.heard = true;
        break;
      case IntakeOp::seen:
      case IntakeOp::release:
        break;
      default:  // catalogue records return above
        break;
    }
    c.seen_only = false;
  }
  // Nothing heard at all (no stream change, no release, no catalogue record).
  bool empty() const { return changes_.empty() && releases_.empty() && catalogue_.empty(); }
  bool no_stream_changes() const { return changes_.empty(); }
  const StreamChange* find(std::string_view id) const {
    auto it = changes_.find(std::string(id));
    return it == changes_.end() ? nullptr : &it->second;
  }
  const std::vector<std::string>& order() const { return order_; }
  const std::unordered_map<std::string, StreamChange>& all() const { return changes_; }
  // In the order heard, duplicates included.
  const std::vector<ownership::Release>& releases() const { return releases_; }
  // The catalogue's records (IntakeOp::server_set and after), in the order heard.
  const std::vector<IntakeRecord>& catalogue() const { return catalogue_; }
  // Releases the memory too: after a million additions the buckets would otherwise stay.
  void clear() {
    std::unordered_map<std::string, StreamChange>().swap(changes_);
    std::vector<std::string>().swap(order_);
    std::vector<ownership::Release>().swap(releases_);
    std::vector<IntakeRecord>().swap(catalogue_);
  }

 private:
  std::unordered_map<std::string, StreamChange> changes_;
  std::vector<std::string> order_;
  std::vector<ownership::Release> releases_;
  std::vector<IntakeRecord> catalogue_;
};

}  // namespace berth
