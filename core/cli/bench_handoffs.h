// `berth bench --handoffs`: what a planned move costs a host (docs/ownership.md), on the memory
// backend or a real ZooKeeper ensemble. Two hosts (engines with one server each) and a leader;
// the hosts drain in turn, so their streams move back and forth; with `background`, a third host
// holding that many more streams is never drained. Each host acknowledges what it is asked to
// release at once. Per moved stream: the time from its holder's acknowledgement to
// the new owner's acquire event (medians and p99); per drain: the time until the drained host
// holds nothing and the others everything.
#pragma once

#include <cstdint>
#include <string>

namespace berth::cli {

struct HandoffBenchOptions {
  uint64_t streams = 10000;
  uint32_t rounds = 10;  // drains (each moves every stream once)
  // Streams held by a third host (of that many times a drained host's capacity) that is never
  // drained: the drained host then holds a small part of a large snapshot.
  uint64_t background = 0;
  std::string zk;        // "host:port,...": the zookeeper backend on that ensemble; empty: memory
  bool json = false;
};

int run_handoff_bench(const HandoffBenchOptions& options);

}  // namespace berth::cli
