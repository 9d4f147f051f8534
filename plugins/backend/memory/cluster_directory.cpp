#include "cluster_directory.h"

#include <map>
#include <mutex>

namespace berth::memory {
namespace {

struct Directory {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<Cluster>, std::less<>> clusters;
};

// Created on first use rather than at load time (no static-initializer registration). Backend
// instances hold their cluster directly, so none of them needs the directory to outlive them.
Directory& directory() {
  static Directory instance;
  return instance;
}

}  // namespace

std::shared_ptr<Cluster> find_or_create_cluster(const std::string& name) {
  Directory& dir = directory();
  std::lock_guard lock(dir.mutex);
  if (auto it = dir.clusters.find(name); it != dir.clusters.end())
    if (auto alive = it->second.lock()) return alive;
  // Forget clusters nobody uses any more, so names used once (tests, short-lived engines) do not pile up.
  std::erase_if(dir.clusters, [](const auto& entry) { return entry.second.expired(); });
  auto cluster = std::make_shared<Cluster>(name);
  dir.clusters[name] = cluster;
  return cluster;
}

}  // namespace berth::memory
