#include "engine/snapshot_policies.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "common/log.h"

namespace berth {
namespace {

// What a plugin name may be (the part of berth_policy_<name>.so): never a path or a pattern.
bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool matches(const Policy& p, const std::string& name, uint32_t behaviour) {
  return p.plugin().name == name && p.behaviour_version() == behaviour && p.has_default_owners();
}

}  // namespace

std::optional<OwnerDefaults> owner_defaults(std::shared_ptr<const Policy> policy) {
  if (!policy || !policy->has_default_owners()) return std::nullopt;
  OwnerDefaults out;
  out.policy = policy->plugin().name;
  out.behaviour = policy->behaviour_version();
  out.owners = [policy](const berth_server_set& servers, uint64_t count, const uint64_t* hash, uint32_t* owner) {
    policy->default_owners(servers, count, hash, owner);
  };
  return out;
}

std::shared_ptr<const Policy> SnapshotPolicies::find(const std::string& name, uint32_t behaviour) {
  if (own_ && matches(*own_, name, behaviour)) return own_;
  if (!plain_name(name)) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = loaded_.find(name);
  if (it == loaded_.end()) {
    // Only plugins that load are kept (as many as are installed); a failure is tried again next
    // time, so a plugin installed meanwhile is found.
    try {
      auto policy = std::make_shared<const Policy>(registry_.load(BERTH_PLUGIN_POLICY, name), PluginConfig("policy", {}));
      it = loaded_.emplace(name, std::move(policy)).first;
    } catch (const Error& e) {
      logger().warn("cannot load policy '{}' to rebuild a snapshot's owners: {}", name, e.what());
      return nullptr;
    }
  }
  if (matches(*it->second, name, behaviour)) return it->second;
  logger().warn("policy '{}' here has behaviour version {}{}; a snapshot needs version {} with default owners", name,
                it->second->behaviour_version(), it->second->has_default_owners() ? "" : " without default owners",
                behaviour);
  return nullptr;
}

}  // namespace berth
