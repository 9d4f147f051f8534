#include "engine/metrics_registry.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "engine/engine.h"
#include "engine/metrics_families.h"

namespace berth::metrics {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<const Engine*> engines;  // in the order they opened
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: engines may close during static destruction
  return *r;
}

// The node label of each engine, unique within the process.
std::vector<std::string> labels_of(const std::vector<const Engine*>& engines) {
  std::unordered_map<std::string, int> seen;
  std::vector<std::string> out;
  for (const Engine* e : engines) {
    int n = ++seen[e->node_id()];
    out.push_back(n == 1 ? e->node_id() : e->node_id() + "#" + std::to_string(n));
  }
  return out;
}

}  // namespace

void Registration::join(const Engine* engine) {
  leave();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.engines.push_back(engine);
  engine_ = engine;
}

void Registration::leave() {
  if (engine_ == nullptr) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.engines.erase(std::remove(r.engines.begin(), r.engines.end(), engine_), r.engines.end());
  engine_ = nullptr;
}

std::string process_text() {
  Exposition out;
  add_build_info(out);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> labels = labels_of(r.engines);
  for (size_t i = 0; i < r.engines.size(); ++i) {
    const Engine& e = *r.engines[i];
    auto served = e.snapshot();
    add_engine(out, e.metrics(), served.get(), labels[i]);
  }
  return out.text();
}

std::vector<EngineHealth> process_health() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> labels = labels_of(r.engines);
  std::vector<EngineHealth> out;
  for (size_t i = 0; i < r.engines.size(); ++i) {
    EngineStatus s = r.engines[i]->status();
    out.push_back({labels[i], s.is_leader, s.degraded, s.version, s.epoch});
  }
  return out;
}

}  // namespace berth::metrics
