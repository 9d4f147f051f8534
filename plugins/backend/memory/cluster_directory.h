// The process-wide directory of in-memory clusters, by name. It holds them weakly: a cluster,
// and everything published in it, disappears once no backend instance uses it.
#pragma once

#include <memory>
#include <string>

#include "cluster.h"

namespace berth::memory {

// The cluster named `name`, created on first use. Safe to call from any thread.
std::shared_ptr<Cluster> find_or_create_cluster(const std::string& name);

}  // namespace berth::memory
