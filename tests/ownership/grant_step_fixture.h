// Successive versions built the way a leader builds them (owners decided, then the grant step,
// then finish_snapshot), and a history checker that follows who holds what from the outside.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/hash.h"
#include "ownership/grant_step.h"
#include "snapshot/snapshot.h"
#include "snapshot/tombstones.h"

namespace berth::ownership::testing {

struct Member {
  std::string id;
  uint64_t incarnation = 1;
};

using Owners = std::vector<std::pair<std::string, std::string>>;  // stream id -> owner's server id, in stream order
using StepFn = StepCounts (*)(const Snapshot*, Snapshot&, const std::vector<Release>&, bool);

// The grant step as a leader runs it (grants allowed).
inline StepCounts leader_step(const Snapshot* base, Snapshot& next, const std::vector<Release>& releases, bool soft) {
  return assign_holders(base, next, releases, soft);
}

inline std::shared_ptr<const ServerColumns> server_columns(std::vector<Member> members) {
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.id < b.id; });
  auto out = std::make_shared<ServerColumns>();
  for (const Member& m : members) {
    out->ids.push_back(m.id);
    out->capacity.push_back(1.0);
    out->state.push_back(BERTH_SERVER_UP);
    out->incarnation.push_back(m.incarnation);
  }
  return out;
}

inline std::shared_ptr<const StreamColumns> stream_columns(const std::vector<std::string>& ids) {
  auto out = std::make_shared<StreamColumns>();
  out->tenants.push_back("");
  for (const std::string& id : ids) {
    out->ids.push_back(id);
    out->hash.push_back(stream_hash(id));
    out->tenant.push_back(0);
  }
  return out;
}

inline uint32_t server_index(const ServerColumns& servers, std::string_view id) {
  for (uint32_t j = 0; j < servers.size(); ++j)
    if (servers.ids.at(j) == id) return j;
  return BERTH_NO_SERVER;
}

inline uint64_t stream_index(const Snapshot& s, std::string_view id) {
  for (uint64_t i = 0; i < s.stream_count(); ++i)
    if (s.streams->ids.at(i) == id) return i;
  return UINT64_MAX;
}

// A leader's successive versions, numbered 1, 2, ...
class Versions {
 public:
  explicit Versions(StepFn step = &leader_step) : step_(step) {}

  // The next version: `owners` (every stream of it, in order) over `members`. Streams listed in
  // the same order as the last version's share its columns, as a refresh that added and removed
  // nothing does. Every stream of an earlier version that it lacks is among its tombstones, as
  // when a host removed it.
  StepCounts next(const std::vector<Member>& members, const Owners& owners, const std::vector<Release>& releases = {},
                  bool soft = false) {
    auto s = std::make_shared<Snapshot>();
    s->meta.version = ++version_;
    s->servers = server_columns(members);
    std::vector<std::string> ids;
    for (const auto& [stream, owner] : owners) ids.push_back(stream);
    s->streams = now_ && same_ids(*now_->streams, ids) ? now_->streams : stream_columns(ids);
    for (const auto& [stream, owner] : owners) {
      s->owner.push_back(server_index(*s->servers, owner));
      s->load.push_back(1.0f);
      ever_.insert(stream);
    }
    std::vector<std::string> removed;
    for (const std::string& id : ever_)
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) removed.push_back(id);
    if (!removed.empty()) s->tombstones = std::make_shared<const Tombstones>(std::move(removed));
    StepCounts counts = step_(now_.get(), *s, releases, soft);
    finish_snapshot(*s, nullptr, names_, now_.get());
    now_ = std::move(s);
    return counts;
  }

  const Snapshot& now() const { return *now_; }
  std::shared_ptr<const Snapshot> shared() const { return now_; }

  // The holder's server id ("" for nobody) and token.
  std::string holder(std::string_view stream) const {
    uint64_t i = stream_index(*now_, stream);
    if (i == UINT64_MAX || now_->holder[i] == BERTH_NO_SERVER) return "";
    return std::string(now_->servers->ids.at(now_->holder[i]));
  }
  uint64_t token(std::string_view stream) const {
    uint64_t i = stream_index(*now_, stream);
    return i == UINT64_MAX ? 0 : now_->token[i];
  }
  // The acknowledgement the current holder of `stream` would send.
  Release release_of(std::string_view stream) const { return {std::string(stream), holder(stream), token(stream)}; }

 private:
  static bool same_ids(const StreamColumns& columns, const std::vector<std::string>& ids) {
    if (columns.size() != ids.size()) return false;
    for (uint64_t i = 0; i < ids.size(); ++i)
      if (columns.ids.at(i) != ids[i]) return false;
    return true;
  }

  StepFn step_;
  std::set<std::string> ever_;  // every stream of every version
  uint64_t version_ = 0;
  std::shared_ptr<Snapshot> now_;
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
};

// Follows, version after version, which claims are live in the world the versions describe: a
// claim starts with a grant (a holder with a token not seen before) and ends when a release
// naming it reached the leader, or when its server's registration (id and incarnation) is gone
// from a version. A removed stream's claim lives on: its node may not have installed the
// removal yet. Reports, per version: two live claims on one stream (a grant while another
// claim lives; a new grant to the same registration replaces its claim), a token that does not
// exceed every earlier token of its stream, and a stream nobody holds though it is free.
class HistoryChecker {
 public:
  // `releases`: what the leader had heard when it built `next`.
  std::vector<std::string> observe(const Snapshot& next, const std::vector<Release>& releases) {
    std::vector<std::string> problems;
    std::map<std::string, uint64_t, std::less<>> members;
    for (uint32_t j = 0; j < next.server_count(); ++j) members[std::string(next.servers->ids.at(j))] = next.servers->incarnation_of(j);
    std::set<std::tuple<std::string, std::string, uint64_t>> acknowledged;
    for (const Release& r : releases) acknowledged.emplace(r.stream, r.server, r.token);
    std::set<std::string, std::less<>> present;
    for (uint64_t i = 0; i < next.stream_count(); ++i) present.emplace(next.streams->ids.at(i));

    for (auto it = live_.begin(); it != live_.end();) {
      const auto& [stream, claim] = *it;
      auto member = members.find(claim.server);
      bool ends = acknowledged.count({stream, claim.server, claim.token}) != 0 || member == members.end() ||
                  member->second != claim.incarnation;
      it = ends ? live_.erase(it) : std::next(it);
    }

    if (next.holder.size() != next.stream_count() || next.token.size() != next.stream_count()) {
      problems.push_back(fmt::format("version {}: holder/token columns of {}/{} entries for {} streams", next.meta.version,
                                     next.holder.size(), next.token.size(), next.stream_count()));
      return problems;
    }
    for (uint64_t i = 0; i < next.stream_count(); ++i) {
      std::string stream(next.streams->ids.at(i));
      uint32_t h = next.holder[i];
      auto live = live_.find(stream);
      if (h == BERTH_NO_SERVER) {
        if (live == live_.end() && next.owner[i] < next.server_count())
          problems.push_back(fmt::format("version {}: {} is free but not granted to its owner", next.meta.version, stream));
        continue;
      }
      if (h >= next.server_count()) {
        problems.push_back(fmt::format("version {}: {} held by server #{} of {}", next.meta.version, stream, h, next.server_count()));
        continue;
      }
      Claim claim{std::string(next.servers->ids.at(h)), next.servers->incarnation_of(h), next.token[i]};
      const bool regrant = live != live_.end() && live->second.server == claim.server &&
                           live->second.incarnation == claim.incarnation && claim.token > live->second.token;
      if (live != live_.end() && !regrant) {
        if (live->second.server != claim.server || live->second.token != claim.token)
          problems.push_back(fmt::format("version {}: {} granted to {} (token {}) while {} still holds it (token {})",
                                         next.meta.version, stream, claim.server, claim.token, live->second.server,
                                         live->second.token));
        continue;
      }
      auto last = last_token_.find(stream);
      if (last != last_token_.end() && claim.token <= last->second)
        problems.push_back(fmt::format("version {}: {} granted to {} with token {}, not above the earlier {}",
                                       next.meta.version, stream, claim.server, claim.token, last->second));
      last_token_[stream] = std::max(claim.token, last != last_token_.end() ? last->second : 0);
      live_[stream] = std::move(claim);
    }
    return problems;
  }

 private:
  struct Claim {
    std::string server;
    uint64_t incarnation;
    uint64_t token;
  };
  std::map<std::string, Claim, std::less<>> live_;
  std::unordered_map<std::string, uint64_t> last_token_;
};

}  // namespace berth::ownership::testing
