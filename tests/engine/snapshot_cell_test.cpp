// The lock-free current-snapshot cell: a snapshot a reader holds is never freed under it.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "snapshot/snapshot_cell.h"

namespace berth {
namespace {

std::shared_ptr<const Snapshot> make(uint64_t version) {
  auto s = std::make_shared<Snapshot>();
  s->meta.version = version;
  return s;
}

TEST(SnapshotCell, AReplacedSnapshotLivesWhileAReaderHoldsIt) {
  SnapshotCell cell;
  auto first = make(1);
  std::weak_ptr<const Snapshot> watch = first;
  cell.store(std::move(first));
  {
    SnapshotCell::Reader reader(cell);
    EXPECT_EQ(reader.get()->meta.version, 1u);
    cell.store(make(2));
    EXPECT_FALSE(watch.expired()) << "freed while a reader held it";
    EXPECT_EQ(reader.get()->meta.version, 1u);
  }
  cell.collect();
  EXPECT_TRUE(watch.expired()) << "kept after the last reader left";
  SnapshotCell::Reader now(cell);
  EXPECT_EQ(now.get()->meta.version, 2u);
}

TEST(SnapshotCell, NestedReadersOnOneThreadEachKeepTheirSnapshot) {
  SnapshotCell outer_cell, inner_cell;
  auto outer_first = make(1);
  std::weak_ptr<const Snapshot> watch = outer_first;
  outer_cell.store(std::move(outer_first));
  inner_cell.store(make(10));
  {
    SnapshotCell::Reader outer(outer_cell);
    {
      SnapshotCell::Reader inner(inner_cell);
      outer_cell.store(make(2));
      EXPECT_FALSE(watch.expired());
    }
    outer_cell.store(make(3));  // the inner reader is gone; the outer one still holds version 1
    EXPECT_FALSE(watch.expired()) << "the inner reader's exit unprotected the outer one";
    EXPECT_EQ(outer.get()->meta.version, 1u);
  }
  outer_cell.collect();
  EXPECT_TRUE(watch.expired());
}

TEST(SnapshotCell, ReadersOnManyThreadsWhileTheWriterSwaps) {
  SnapshotCell cell;
  cell.store(make(1));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!stop.load()) {
        SnapshotCell::Reader r(cell);
        uint64_t v = r.get()->meta.version;
        EXPECT_GE(v, last) << "a reader saw the version go backwards";
        last = v;
        reads.fetch_add(1);
      }
    });
  // Swap until the readers have really been reading across many swaps.
  for (uint64_t v = 2; v < 2000 || reads.load() < 10000; ++v) cell.store(make(v));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0u);
}

}  // namespace
}  // namespace berth
