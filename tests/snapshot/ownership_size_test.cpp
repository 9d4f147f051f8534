// What ownership adds to a published 1M-stream snapshot (1000 servers, packed), against the same
// snapshot without holders, and against holders and tokens written as plain per-stream lists:
//  - fresh: every stream held by its owner, all granted by one version;
//  - settled: held by their owners, granted over 1000 versions;
//  - hand-offs: settled, with 1% of the streams still held by their previous owner and 0.1% by
//    nobody (new, not granted yet);
// and a delta after it that completes those hand-offs.
// It prints the figures, with the processor time encoding and decoding take.
#include <gtest/gtest.h>

#include <ctime>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"
#include "tools/workload.h"

namespace berth::test {
namespace {

// Processor time, not wall time: the figures printed stay comparable on a busy machine.
struct Clock {
  static std::clock_t now() { return std::clock(); }
};

constexpr uint64_t kStreams = 1000000;
constexpr uint32_t kServers = 1000;

double ms_since(std::clock_t start) { return 1000.0 * static_cast<double>(Clock::now() - start) / CLOCKS_PER_SEC; }

Snapshot million() {
  Workload workload = make_workload(kStreams, LoadDistribution::lognormal, 11);
  Snapshot s = make_snapshot(5000, make_servers(make_server_ids(kServers)), workload.stream_ids);
  std::mt19937_64 random(5);
  for (uint64_t i = 0; i < kStreams; ++i) {
    s.load[i] = static_cast<float>(workload.loads[i]);
    s.owner[i] = static_cast<uint32_t>(random() % kServers);
  }
  return s;
}

// The same bytes with holders and tokens as one plain list each, the form without exceptions or table.
std::string as_plain_lists(const std::string& bytes, const Snapshot& s) {
  return edited(bytes, [&](schema::Snapshot::Builder root) {
    auto c = root.getStreams();
    c.setHoldersAreOwners(false);
    c.initHolderExceptionIndex(0);
    c.initHolderExceptionServer(0);
    c.initTokenTable(0);
    c.initTokenIndex(0);
    auto holder = c.initHolder(static_cast<unsigned>(kStreams));
    auto token = c.initToken(static_cast<unsigned>(kStreams));
    for (unsigned i = 0; i < kStreams; ++i) {
      holder.set(i, s.holder[i]);
      token.set(i, s.token[i]);
    }
  });
}

struct Figures {
  double per_stream = 0;        // bytes ownership adds per stream
  double plain_per_stream = 0;  // ... had it been written as plain lists
};

Figures measure(const char* name, Snapshot& s, size_t without) {
  finish(s);
  auto start = Clock::now();
  const std::string bytes = encode_snapshot(s);
  const double encode_ms = ms_since(start);
  start = Clock::now();
  Snapshot back = decode_snapshot(bytes);
  const double decode_ms = ms_since(start);
  EXPECT_EQ(back.holder, s.holder) << name;
  EXPECT_EQ(back.token, s.token) << name;
  const std::string plain = as_plain_lists(bytes, s);
  EXPECT_EQ(decode_snapshot(plain).token, s.token) << name << ": the plain form reads back too";
  Figures f{static_cast<double>(bytes.size() - without) / kStreams,
            static_cast<double>(plain.size() - without) / kStreams};
  std::printf("%-10s %zu bytes: +%zu (%.3f bytes a stream; as plain lists +%zu, %.3f a stream); encode %.1f ms, decode %.1f ms\n",
              name, bytes.size(), bytes.size() - without, f.per_stream, plain.size() - without, f.plain_per_stream,
              encode_ms, decode_ms);
  return f;
}

TEST(SnapshotOwnershipSize, HoldersAndTokensAddLittleToAMillionStreams) {
  Snapshot s = million();
  finish(s);
  auto start = Clock::now();
  const std::string bare = encode_snapshot(s);
  const double encode_ms = ms_since(start);
  start = Clock::now();
  EXPECT_TRUE(decode_snapshot(bare).holder.empty());
  const double decode_ms = ms_since(start);
  const size_t without = bare.size();
  std::printf("no holders %zu bytes (%.2f a stream); encode %.1f ms, decode %.1f ms\n", without,
              static_cast<double>(without) / kStreams, encode_ms, decode_ms);

  hold_by_owners(s, 4000);
  const Figures fresh = measure("fresh", s, without);

  std::mt19937_64 random(9);
  for (uint64_t i = 0; i < kStreams; ++i) s.token[i] = 4000 + random() % 1000;
  const Figures settled = measure("settled", s, without);

  for (uint64_t i = 0; i < kStreams; i += 100) s.holder[i] = (s.owner[i] + 1) % kServers;
  for (uint64_t i = 7; i < kStreams; i += 1000) {
    s.holder[i] = BERTH_NO_SERVER;
    s.token[i] = 0;
  }
  const Figures handoffs = measure("hand-offs", s, without);

  // The next version completes those hand-offs: 1% of the streams change holder and token only.
  Snapshot next = next_version(s, 5001);
  for (uint64_t i = 0; i < kStreams; i += 100) {
    next.holder[i] = next.owner[i];
    next.token[i] = 5001;
  }
  finish(next, &s);
  start = Clock::now();
  DeltaCounts counts;
  std::optional<std::string> delta = encode_delta(s, next, SIZE_MAX, &counts);
  const double delta_encode_ms = ms_since(start);
  ASSERT_TRUE(delta.has_value());
  start = Clock::now();
  Snapshot applied = apply_delta(s, decode_delta(*delta));
  const double delta_apply_ms = ms_since(start);
  EXPECT_EQ(counts.changed, kStreams / 100);
  EXPECT_EQ(applied.holder, next.holder);
  std::printf("a delta completing 1%% hand-offs: %zu bytes; encode %.1f ms, decode and apply %.1f ms\n", delta->size(),
              delta_encode_ms, delta_apply_ms);

  EXPECT_LT(fresh.per_stream, 0.05);
  EXPECT_LT(settled.per_stream, 2.2);
  EXPECT_LT(handoffs.per_stream, 2.3);
  EXPECT_LT(settled.per_stream, settled.plain_per_stream / 2);
}

}  // namespace
}  // namespace berth::test
