// Evaluating tenant rules at the size: 1M streams across 10k tenants on 1000 labeled
// servers, one core. Target: <= 100 ms per evaluation. Tenant rules run once per tenant; the
// per-stream work is assigning each stream its tenant's class (or, with a spread, its zone's).
// Per-stream rules are measured on 100k streams for comparison: they cost a Lua call each.
//
//   berth_rules_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "tools/rules_workload.h"

namespace {

using berth::tools::make_rules_workload;

void evaluate(benchmark::State& state, const char* script, uint64_t streams) {
  auto w = make_rules_workload(streams, 10000, 1000);
  auto rules = berth::rules::RuleSet::compile("bench.lua", script);
  berth::rules::Input input = w.input();
  uint64_t classes = 0, problems = 0;
  for (auto _ : state) {
    berth::rules::Evaluation e = rules->evaluate(input);
    classes = e.constraints.class_count();
    problems = e.problem_count;
    benchmark::DoNotOptimize(e);
  }
  state.counters["classes"] = static_cast<double>(classes);
  state.counters["problems"] = static_cast<double>(problems);
  state.counters["streams"] = static_cast<double>(streams);
}

void BM_PerTenantRules_1M_x_10k(benchmark::State& state) { evaluate(state, berth::tools::kPerTenantRules, 1000000); }
void BM_SpreadRules_1M_x_10k(benchmark::State& state) { evaluate(state, berth::tools::kSpreadRules, 1000000); }
void BM_PerStreamRules_100k(benchmark::State& state) {
  evaluate(state, "stream('*', function(s) if s.load > 2 then s:prefer{ssd = true} end end)", 100000);
}

BENCHMARK(BM_PerTenantRules_1M_x_10k)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SpreadRules_1M_x_10k)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PerStreamRules_100k)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
