// The policies a node can rebuild implicit owners with (codec.h, PolicyFinder): a snapshot of a
// policy with default owners (ABI 1.2) stores only the streams off them, and a reader needs that
// policy, at the snapshot's behaviour version, to answer for the rest.
//
// The node's own policy serves when it matches. Otherwise (a tool reading any cluster, a node
// whose configuration names another policy) the plugin of that name is loaded from the registry's
// search directories with its default configuration, which the ABI allows because default owners
// may not depend on configuration. A name from the bytes is never taken as a path.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "plugin/instances.h"
#include "plugin/loader.h"
#include "snapshot/codec.h"

namespace berth {

// The default owners of `policy` (kept alive by them), or nullopt when it has none or is null.
std::optional<OwnerDefaults> owner_defaults(std::shared_ptr<const Policy> policy);

class SnapshotPolicies {
 public:
  // `registry` must outlive this object; `own` may be null.
  SnapshotPolicies(PluginRegistry& registry, std::shared_ptr<const Policy> own)
      : registry_(registry), own_(std::move(own)) {}

  // The policy `name` at `behaviour`, or nullptr (logged) when it is not installed here, has
  // another behaviour version, or has no default owners.
  std::shared_ptr<const Policy> find(const std::string& name, uint32_t behaviour);
  PolicyFinder finder() {
    return [this](const std::string& name, uint32_t behaviour) { return owner_defaults(find(name, behaviour)); };
  }

 private:
  PluginRegistry& registry_;
  const std::shared_ptr<const Policy> own_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Policy>> loaded_;  // by name, those that loaded
};

}  // namespace berth
