#include "engine/grant_refresh.h"

#include <fmt/format.h>

#include "common/error.h"

namespace berth {

RefreshResult compute_grant_refresh(const Snapshot& base, const std::vector<ownership::Release>& releases,
                                    const Policy* policy, Provenance meta, std::shared_ptr<ServerNames> names,
                                    bool soft_handoff, ownership::LapseClock lapse) {
  if (meta.version <= base.meta.version)
    throw Error(BERTH_E_INTERNAL, fmt::format("grant refresh: version {} is not above its base's {}", meta.version,
                                              base.meta.version));
  auto next = std::make_shared<Snapshot>();
  meta.policy = base.meta.policy;
  meta.behaviour_version = base.meta.behaviour_version;
  meta.rules_hash = base.meta.rules_hash;
  meta.soft_handoff = soft_handoff;
  next->meta = std::move(meta);
  next->servers = base.servers;
  next->streams = base.streams;
  next->load = base.load;
  next->owner = base.owner;
  next->tombstones = base.tombstones;
  carry_catalogue(*next, base);
  RefreshResult result;
  result.ownership = ownership::assign_holders(&base, *next, releases, soft_handoff, true, lapse);
  finish_snapshot(*next, policy, std::move(names), &base);  // owners unchanged: the base's table is shared
  result.snapshot = std::move(next);
  return result;
}

}  // namespace berth
