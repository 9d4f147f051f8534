// The engines open in this process, so one scrape renders them all as one exposition: each
// family once, each engine's samples labelled with its node id.
#pragma once

#include <string>
#include <vector>

namespace berth {
class Engine;
struct EngineStatus;
}  // namespace berth

namespace berth::metrics {

// An engine's place in the registry: joined once the engine is fully open, left before it
// starts to stop (leaving waits for a scrape that reads the engine to finish).
class Registration {
 public:
  Registration() = default;
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration() { leave(); }

  void join(const Engine* engine);
  void leave();

 private:
  const Engine* engine_ = nullptr;
};

// berth_build_info and every open engine's families. Two engines with the same node id get
// "#2", "#3" ... appended to the label of the later ones, in the order they opened.
std::string process_text();

struct EngineHealth {
  std::string node;  // as labelled in process_text()
  bool is_leader = false;
  bool degraded = false;
  uint64_t version = 0;
  uint64_t epoch = 0;
};

std::vector<EngineHealth> process_health();

}  // namespace berth::metrics
