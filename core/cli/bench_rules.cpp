#include "cli/bench_rules.h"

#include <ctime>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tools/median.h"
#include "tools/rules_workload.h"

namespace berth::cli {
namespace {

using tools::median;
using tools::RulesWorkload;

double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

struct Figures {
  double wall_ms, cpu_ms;
  uint32_t classes;
};

Figures measure(RulesWorkload& w, const char* script, uint32_t repetitions) {
  auto rules = rules::RuleSet::compile("bench.lua", script);
  rules::Input input = w.input();
  std::vector<double> wall, cpu;
  uint32_t classes = 0;
  for (uint32_t r = 0; r < repetitions; ++r) {
    auto started = std::chrono::steady_clock::now();
    double cpu_started = cpu_ms();
    rules::Evaluation e = rules->evaluate(input);
    cpu.push_back(cpu_ms() - cpu_started);
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    if (e.problem_count > 0) throw Error(BERTH_E_INTERNAL, "the benchmark's rules report problems:\n" + e.report());
    classes = e.constraints.class_count();
  }
  return {median(wall), median(cpu), classes};
}

}  // namespace

int run_rules_bench(const RulesBenchOptions& o) {
  if (o.tenants == 0 || o.servers < 3 || o.repetitions == 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, "--rules needs at least 1 tenant, 3 servers and 1 repetition");
  RulesWorkload w = tools::make_rules_workload(o.streams, o.tenants, o.servers);
  Figures per_tenant = measure(w, tools::kPerTenantRules, o.repetitions);
  Figures spread = measure(w, tools::kSpreadRules, o.repetitions);
  if (o.json) {
    nlohmann::json j = {{"streams", o.streams},
                        {"tenants", o.tenants},
                        {"servers", o.servers},
                        {"rules_eval_ms", per_tenant.wall_ms},
                        {"rules_eval_cpu_ms", per_tenant.cpu_ms},
                        {"rules_eval_ms_spread", spread.wall_ms},
                        {"rules_eval_cpu_ms_spread", spread.cpu_ms},
                        {"repetitions", o.repetitions}};
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("berth bench --rules: {} streams across {} tenants on {} servers, medians of {} runs\n", o.streams,
                           o.tenants, o.servers, o.repetitions)
            << fmt::format("  tenant rules (zone, ssd preference, scale, dedicated): {:>8.1f} ms ({:.1f} ms CPU), {} classes\n",
                           per_tenant.wall_ms, per_tenant.cpu_ms, per_tenant.classes)
            << fmt::format("  the same with a zone spread for every tenant:          {:>8.1f} ms ({:.1f} ms CPU), {} classes\n",
                           spread.wall_ms, spread.cpu_ms, spread.classes);
  return 0;
}

}  // namespace berth::cli
