// `berth bench --rules`: how long evaluating tenant rules takes at scale (1M streams across 10k
// tenants on 1000 labeled servers by default), wall clock and CPU, medians.
#pragma once

#include <cstdint>

namespace berth::cli {

struct RulesBenchOptions {
  uint64_t streams = 1000000;
  uint32_t servers = 1000;
  uint32_t tenants = 10000;
  uint32_t repetitions = 5;
  bool json = false;
};

int run_rules_bench(const RulesBenchOptions& options);

}  // namespace berth::cli
