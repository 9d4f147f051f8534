#include "engine/handoff_mode.h"

#include "common/log.h"

namespace berth {

bool HandoffMode::installed(const Provenance& meta) {
  const bool changed = !published_ || *published_ != meta.soft_handoff;
  published_ = meta.soft_handoff;
  if (!changed || meta.soft_handoff == own_) return false;
  logger().warn("berth node {}: ownership.soft_handoff is {} here but {} in version {} from leader {}: the leader's "
                "mode is in force{}",
                node_id_, own_, meta.soft_handoff, meta.version, meta.leader,
                meta.soft_handoff ? " (moved streams are granted before their release: no at-most-one guarantee)" : "");
  return true;
}

}  // namespace berth
