// The leader's grant step (ownership::assign_holders) over 1M streams and 100 servers, for the
// three shapes of change a refresh meets:
//   SameColumns    the same stream columns, 1% of the owners changed, 1000 releases
//   OneRemovedOneAdded  new stream columns: the first stream removed, one added at the end
//   Reordered      every stream at another index: each one found through the base's table
// The step is pure over (base, next, releases): each iteration redoes it on the same inputs.
//
//   berth_grant_step_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ownership/grant_step.h"
#include "ownership/grant_step_fixture.h"

namespace {

using berth::Snapshot;
using berth::StreamColumns;
using berth::ownership::assign_holders;
using berth::ownership::Release;
using berth::ownership::testing::Member;

constexpr uint64_t kStreams = 1'000'000;
constexpr uint32_t kServers = 100;

struct Inputs {
  std::vector<Member> members;
  std::vector<std::string> ids;
  std::shared_ptr<Snapshot> base;

  // Owners by index; every 100th stream shifted by `shift` servers.
  std::shared_ptr<Snapshot> build(uint64_t version, std::shared_ptr<const StreamColumns> streams, uint64_t shift) const {
    auto s = std::make_shared<Snapshot>();
    s->meta.version = version;
    s->servers = berth::ownership::testing::server_columns(members);
    s->streams = std::move(streams);
    s->owner.resize(s->streams->size());
    s->load.assign(s->streams->size(), 1.0f);
    for (uint64_t i = 0; i < s->owner.size(); ++i)
      s->owner[i] = static_cast<uint32_t>((i + (i % 100 == 0 ? shift : 0)) % kServers);
    return s;
  }
};

const Inputs& inputs() {
  static const Inputs made = [] {
    Inputs in;
    for (uint32_t j = 0; j < kServers; ++j) in.members.push_back({fmt::format("server-{:03}", j), 1});
    for (uint64_t i = 0; i < kStreams; ++i) in.ids.push_back(fmt::format("tenant/stream-{}", i));
    in.base = in.build(1, berth::ownership::testing::stream_columns(in.ids), 0);
    assign_holders(nullptr, *in.base, {});
    berth::finish_snapshot(*in.base, nullptr, std::make_shared<berth::ServerNames>());
    return in;
  }();
  return made;
}

void run(benchmark::State& state, Snapshot& next, const std::vector<Release>& releases) {
  const Inputs& in = inputs();
  for (auto _ : state) benchmark::DoNotOptimize(assign_holders(in.base.get(), next, releases));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * next.stream_count()));
}

void SameColumns(benchmark::State& state) {
  const Inputs& in = inputs();
  auto next = in.build(2, in.base->streams, 1);
  std::vector<Release> releases;
  for (uint64_t i = 0; i < 1000; ++i)
    releases.push_back({in.ids[i * 7], std::string(in.base->servers->ids.at(in.base->holder[i * 7])), 1});
  run(state, *next, releases);
}

void OneRemovedOneAdded(benchmark::State& state) {
  const Inputs& in = inputs();
  std::vector<std::string> changed(in.ids.begin() + 1, in.ids.end());
  changed.push_back("tenant/stream-new");
  auto next = in.build(2, berth::ownership::testing::stream_columns(changed), 0);
  run(state, *next, {});
}

void Reordered(benchmark::State& state) {
  const Inputs& in = inputs();
  std::vector<std::string> reversed(in.ids.rbegin(), in.ids.rend());
  auto next = in.build(2, berth::ownership::testing::stream_columns(reversed), 0);
  run(state, *next, {});
}

BENCHMARK(SameColumns)->Unit(benchmark::kMillisecond);
BENCHMARK(OneRemovedOneAdded)->Unit(benchmark::kMillisecond);
BENCHMARK(Reordered)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
