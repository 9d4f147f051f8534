// holds() from several threads while the node side grows the held table, the host releases, and
// every claim is revoked at the end (this suite also runs under TSan). Readers check what a host
// relies on: a claim held throughout never reads as lost while the table is replaced, and a
// release or revocation that returned is never followed by a "held".
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "claims_snapshots.h"
#include "ownership/server_claims.h"

namespace berth::ownership {
namespace {

using testing::make_snapshot;
using testing::StreamRow;

constexpr uint32_t kA = 0;
constexpr uint64_t kIncarnation = 7;
constexpr int kKept = 16;
constexpr int kBatch = 100;
constexpr int kBatches = 40;
constexpr int kReaders = 3;

std::string kept_id(int i) { return "kept-" + std::to_string(i); }
std::string grown_id(int i) { return "grown-" + std::to_string(i); }
uint64_t grown_token(int i) { return static_cast<uint64_t>(i / kBatch) + 2; }

struct Failures {
  std::atomic<uint64_t> kept_lost{0};
  std::atomic<uint64_t> wrong_token{0};
  std::atomic<uint64_t> held_after_release{0};
  std::atomic<uint64_t> grown_missing{0};
  std::atomic<uint64_t> held_after_revoke{0};
  std::atomic<uint64_t> never_held{0};
};

TEST(ClaimsConcurrencyTest, ReadersSeeConsistentClaimsWhileTheTableGrowsAndClaimsEnd) {
  std::atomic<uint64_t> lease{std::numeric_limits<uint64_t>::max()};
  ServerClaims claims("a", lease);
  std::vector<StreamRow> rows;
  for (int i = 0; i < kKept; ++i) rows.push_back({kept_id(i), kA, kA, 1});
  claims.apply(make_snapshot(1, {{"a", kIncarnation}}, rows), kA, kIncarnation);

  // Each end of a claim is announced before it happens ("ending") and after it returned
  // ("ended"): a reader may see a claim gone only after the first, and must after the second.
  std::atomic<int> acquired_upto{0};   // grown streams [0, acquired_upto) were taken up
  std::atomic<int> releasing_upto{0};  // grown streams [0, releasing_upto) may be released
  std::atomic<int> released_upto{0};   // grown streams [0, released_upto) were released
  std::atomic<bool> revoking{false};
  std::atomic<bool> revoked{false};
  std::atomic<bool> done{false};
  Failures failures;
  std::atomic<uint64_t> reads{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      uint64_t count = 0;
      uint64_t step = static_cast<uint64_t>(r) * 7919;
      while (!done.load(std::memory_order_acquire)) {
        const bool after_revoke = revoked.load(std::memory_order_acquire);
        const int released = released_upto.load(std::memory_order_acquire);
        const int releasing = releasing_upto.load(std::memory_order_acquire);
        const int acquired = acquired_upto.load(std::memory_order_acquire);
        ++step;
        uint64_t token = 0;
        const int kept = static_cast<int>(step % kKept);
        const bool kept_held = claims.holds(kept_id(kept), &token);
        if (after_revoke) {
          if (kept_held) failures.held_after_revoke++;
        } else if (!kept_held) {
          if (!revoking.load(std::memory_order_acquire)) failures.kept_lost++;
        } else if (token != 1) {
          failures.wrong_token++;
        }
        if (released > 0) {
          const int gone = static_cast<int>(step % static_cast<uint64_t>(released));
          if (claims.holds(grown_id(gone), nullptr)) failures.held_after_release++;
        }
        if (acquired > releasing) {
          const int live = releasing + static_cast<int>(step % static_cast<uint64_t>(acquired - releasing));
          token = 0;
          const bool held = claims.holds(grown_id(live), &token);
          const bool ending = releasing_upto.load(std::memory_order_acquire) > live || revoking.load(std::memory_order_acquire);
          if (!held && !ending) failures.grown_missing++;
          if (held && token != grown_token(live)) failures.wrong_token++;
        }
        if (claims.holds("never-" + std::to_string(step % 64), nullptr)) failures.never_held++;
        count += 4;
      }
      reads += count;
    });
  }

  for (int batch = 0; batch < kBatches; ++batch) {
    for (int i = batch * kBatch; i < (batch + 1) * kBatch; ++i) rows.push_back({grown_id(i), kA, kA, grown_token(i)});
    // Released streams stay in the rows: the leader has not seen those releases yet.
    claims.apply(make_snapshot(static_cast<uint64_t>(batch) + 2, {{"a", kIncarnation}}, rows), kA, kIncarnation);
    acquired_upto.store((batch + 1) * kBatch, std::memory_order_release);
    if (batch >= 2) {
      const int first = (batch - 2) * kBatch;
      releasing_upto.store(first + kBatch, std::memory_order_release);
      for (int i = first; i < first + kBatch; ++i) ASSERT_TRUE(claims.release(grown_id(i), grown_token(i))) << i;
      released_upto.store(first + kBatch, std::memory_order_release);
    }
  }
  EXPECT_EQ(claims.held_count(), static_cast<size_t>(kKept + 2 * kBatch));
  revoking.store(true, std::memory_order_release);
  claims.revoke_all(monotonic_now_ns());
  revoked.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  done.store(true, std::memory_order_release);
  for (std::thread& reader : readers) reader.join();

  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(failures.kept_lost.load(), 0u);
  EXPECT_EQ(failures.wrong_token.load(), 0u);
  EXPECT_EQ(failures.held_after_release.load(), 0u);
  EXPECT_EQ(failures.grown_missing.load(), 0u);
  EXPECT_EQ(failures.held_after_revoke.load(), 0u);
  EXPECT_EQ(failures.never_held.load(), 0u);
  EXPECT_EQ(claims.held_count(), 0u);
}

// Every apply() doubles the held set, so each one replaces the table by one twice its size while
// readers look up streams taken up earlier: not one lookup may miss. A few rounds, each with a
// new ServerClaims, because a replacement lasts only microseconds to a millisecond.
TEST(ClaimsConcurrencyTest, NoHeldStreamIsMissedWhileTheTableIsReplaced) {
  constexpr int kVersions = 12;
  constexpr int kRounds = 4;
  std::vector<Snapshot> versions;
  std::vector<StreamRow> rows;
  std::vector<std::string> ids;
  for (int v = 0; v < kVersions; ++v) {
    const int size = 16 << v;
    for (int i = static_cast<int>(rows.size()); i < size; ++i) {
      rows.push_back({grown_id(i), kA, kA, 1});
      ids.push_back(grown_id(i));
    }
    versions.push_back(make_snapshot(1, {{"a", kIncarnation}}, rows));
  }
  std::atomic<uint64_t> lease{std::numeric_limits<uint64_t>::max()};

  for (int round = 0; round < kRounds; ++round) {
    ServerClaims claims("a", lease);
    claims.apply(versions[0], kA, kIncarnation);
    std::atomic<int> acquired{16};
    std::atomic<int> started{0};
    std::atomic<bool> done{false};
    std::atomic<uint64_t> missed{0};
    std::atomic<uint64_t> reads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&, r] {
        started++;
        uint64_t step = static_cast<uint64_t>(r + 1) * 104729;
        uint64_t count = 0;
        while (!done.load(std::memory_order_acquire)) {
          const int upto = acquired.load(std::memory_order_acquire);
          step = step * 6364136223846793005u + 1442695040888963407u;
          // Half the lookups go to the streams taken up last, which a new table receives last.
          const int half = upto / 2;
          const uint64_t pick = step >> 34;
          const int i = (step >> 33) % 2 == 0 ? static_cast<int>(pick % static_cast<uint64_t>(upto))
                                              : half + static_cast<int>(pick % static_cast<uint64_t>(upto - half));
          if (!claims.holds(ids[static_cast<size_t>(i)], nullptr)) missed++;
          ++count;
        }
        reads += count;
      });
    }
    while (started.load() < kReaders) std::this_thread::yield();
    for (int v = 1; v < kVersions; ++v) {
      claims.apply(versions[static_cast<size_t>(v)], kA, kIncarnation);
      acquired.store(16 << v, std::memory_order_release);
    }
    done.store(true, std::memory_order_release);
    for (std::thread& reader : readers) reader.join();
    EXPECT_GT(reads.load(), 0u) << "round " << round;
    EXPECT_EQ(missed.load(), 0u) << "round " << round;
    EXPECT_EQ(claims.held_count(), ids.size()) << "round " << round;
  }
}

}  // namespace
}  // namespace berth::ownership
