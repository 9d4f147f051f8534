// The `zookeeper` backend's side of snapshot deltas, seen from outside: the pointer names the
// base, the base's chunks outlive every garbage collection while the pointer names it, and go
// once a new checkpoint no longer needs them.
#include <cinttypes>
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "backend/zk_test_support.h"
#include "plugin/instances.h"
#include "plugin/loader.h"

namespace berth::test {
namespace {

class ZooKeeperDeltaTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(const std::string& codec = "") {
    std::vector<PluginConfig::Entry> entries = {{"connect", zk_connect(), "test"}, {"root", root_, "test"}};
    if (!codec.empty()) entries.push_back({"snapshot_codec", codec, "test"});
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)), nullptr);
  }
  uint64_t lead(Backend& backend) {
    backend.campaign();
    for (int i = 0; i < 2000 && backend.leadership().is_leader != 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(backend.leadership().is_leader, 1);
    return backend.leadership().epoch;
  }
  std::string pointer(RawClient& raw) {
    std::string text(256, '\0');
    int len = static_cast<int>(text.size());
    Stat stat;
    EXPECT_EQ(zoo_get(raw.zh(), (root_ + "/snapshots/latest").c_str(), 0, text.data(), &len, &stat), ZOK);
    text.resize(len < 0 ? 0 : static_cast<size_t>(len));
    return text;
  }
  // The version nodes once the collection after the last publication is done (it runs on the
  // client's completion thread), i.e. once there are `count` of them; what is there at the end.
  std::vector<std::string> versions_once(RawClient& raw, size_t count) {
    std::vector<std::string> versions;
    for (int i = 0; i < 2000 && (versions = raw.children(root_ + "/snapshots/versions")).size() != count; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return versions;
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  std::string root_ = fresh_zk_root();
};

TEST_F(ZooKeeperDeltaTest, TheBasesChunksStayWhileThePointerNamesItAndGoAfter) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  const std::string checkpoint = incompressible_bytes(300u << 10);  // three chunks of at most 128 KiB
  leader->publish(epoch, 1, checkpoint);
  for (uint64_t v = 2; v <= 6; ++v) leader->publish_based(epoch, v, 1, "delta " + std::to_string(v));
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  std::string text = pointer(raw);
  EXPECT_EQ(text.rfind("berth-zk-latest 4 6 ", 0), 0u) << "format 4 (compressed, based), which older readers refuse: " << text;
  std::vector<std::string> versions = versions_once(raw, 3);
  ASSERT_EQ(versions.size(), 3u) << "the newest two and the base";
  EXPECT_EQ(versions.front().substr(0, 20), "00000000000000000001");
  EXPECT_EQ(raw.children(root_ + "/snapshots/versions/" + versions.front()).size(), 3u);
  EXPECT_TRUE(leader->fetch_version(1) == checkpoint);

  leader->publish(epoch, 7, "checkpoint seven");
  leader->publish_based(epoch, 8, 7, "delta eight");
  EXPECT_EQ(pointer(raw).rfind("berth-zk-latest 4 8 ", 0), 0u);
  versions = versions_once(raw, 2);
  ASSERT_EQ(versions.size(), 2u) << "version 1 is collected once nothing is based on it";
  EXPECT_EQ(versions.front().substr(0, 20), "00000000000000000007");
  leader->publish(epoch, 9, "full nine");
  EXPECT_EQ(pointer(raw).rfind("berth-zk-latest 3 9 ", 0), 0u) << "a self-contained compressed version is format 3";
}

// What a build predating compression left: a version stored raw under a format 1 pointer, in
// 512 KiB chunks. It reads as it is, and a delta published on it names it with the raw codec.
TEST_F(ZooKeeperDeltaTest, AVersionStoredRawByAnOlderBuildStillReadsAndADeltaOnItToo) {
  auto leader = open();
  const uint64_t epoch = lead(*leader);
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string old = incompressible_bytes(600u << 10, 7);
  char name[64];
  std::snprintf(name, sizeof name, "%020" PRIu64 "-%020" PRIu64, uint64_t{1}, epoch);
  const std::string dir = root_ + "/snapshots/versions/" + name;
  ASSERT_EQ(zoo_create(raw.zh(), dir.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  for (size_t i = 0, at = 0; at < old.size(); ++i, at += 512u << 10) {
    const std::string piece = old.substr(at, 512u << 10), path = dir + "/" + std::to_string(i);
    ASSERT_EQ(zoo_create(raw.zh(), path.c_str(), piece.data(), static_cast<int>(piece.size()), &ZOO_OPEN_ACL_UNSAFE, 0,
                         nullptr, 0),
              ZOK);
  }
  const std::string format1 = "berth-zk-latest 1 1 " + std::to_string(epoch) + " 2 " + std::to_string(old.size());
  ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/snapshots/latest").c_str(), format1.data(), static_cast<int>(format1.size()), -1),
            ZOK);
  EXPECT_EQ(open()->fetch(0), (std::pair<uint64_t, std::string>{1, old}));

  leader->publish_based(epoch, 2, 1, "delta two");
  const std::string text = pointer(raw);
  EXPECT_EQ(text.rfind("berth-zk-latest 4 2 ", 0), 0u) << text;
  EXPECT_EQ(text.substr(text.size() - 2), " 0") << "the base's codec is raw: " << text;
  auto reader = open();
  EXPECT_EQ(reader->fetch(0), (std::pair<uint64_t, std::string>{2, "delta two"}));
  EXPECT_TRUE(reader->fetch_version(1) == old);
}

// During a rolling upgrade (docs/limits.md) a leader set to `snapshot_codec = "raw"` writes the
// pointer formats builds predating compression read (1 and 2), in 128 KiB raw chunks.
TEST_F(ZooKeeperDeltaTest, ARawCodecLeaderWritesThePointerFormatsOlderBuildsRead) {
  auto leader = open("raw");
  const uint64_t epoch = lead(*leader);
  const std::string checkpoint = incompressible_bytes(300u << 10, 3);
  leader->publish(epoch, 1, checkpoint);
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string full = "berth-zk-latest 1 1 " + std::to_string(epoch) + " 3 " + std::to_string(checkpoint.size());
  EXPECT_EQ(pointer(raw), full) << "format 1: version, epoch, chunks of 128 KiB, the raw size";
  leader->publish_based(epoch, 2, 1, "delta two");
  EXPECT_EQ(pointer(raw), "berth-zk-latest 2 2 " + std::to_string(epoch) + " 1 9 " + full.substr(18));
  auto reader = open();  // a zstd-configured node reads raw versions
  EXPECT_EQ(reader->fetch(0), (std::pair<uint64_t, std::string>{2, "delta two"}));
  EXPECT_EQ(reader->fetch_version(1).size(), checkpoint.size());
  EXPECT_TRUE(reader->fetch_version(1) == checkpoint);
}

// A pointer of a format this build does not know was written by a newer one: the node is told
// to upgrade rather than that the pointer is garbage.
TEST_F(ZooKeeperDeltaTest, APointerOfANewerFormatAsksForAnUpgrade) {
  auto leader = open();
  const uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "one");
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string newer = "berth-zk-latest 5 2 " + std::to_string(epoch) + " 1 3 1 7";
  ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/snapshots/latest").c_str(), newer.data(), static_cast<int>(newer.size()), -1), ZOK);
  const Failure failure = failure_of([&] { open()->fetch(0); });
  EXPECT_EQ(failure.code, BERTH_E_CORRUPT);
  EXPECT_NE(failure.message.find("written by a newer build of Berth"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("upgrade this node"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find(root_ + "/snapshots/latest"), std::string::npos) << failure.message;
}

// Snapshot bytes repeat a lot (ids, server names): stored compressed, they take fewer chunks and
// fewer bytes on the server, and read back whole.
TEST_F(ZooKeeperDeltaTest, ACompressibleVersionIsStoredInFewerBytesAndReadsBackWhole) {
  auto leader = open();
  const uint64_t epoch = lead(*leader);
  std::string bytes;
  for (int i = 0; bytes.size() < (1u << 20); ++i) bytes += "tenant-" + std::to_string(i % 97) + "/stream-" + std::to_string(i) + ";";
  leader->publish(epoch, 1, bytes);
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  EXPECT_EQ(pointer(raw).rfind("berth-zk-latest 3 1 ", 0), 0u) << pointer(raw);
  size_t stored = 0, chunks = 0;
  raw.walk(root_ + "/snapshots/versions", [&](const std::string&, const Stat& stat) {
    stored += static_cast<size_t>(stat.dataLength);
    chunks += stat.numChildren == 0 && stat.dataLength > 0 ? 1 : 0;
  });
  EXPECT_LT(stored, bytes.size()) << "compressed";
  EXPECT_LT(chunks, (bytes.size() + (128u << 10) - 1) / (128u << 10));
  EXPECT_EQ(open()->fetch(0), (std::pair<uint64_t, std::string>{1, bytes}));
}

// Nodes of versions above the latest (a commit whose reply was lost and that did not happen, a
// deposed leader's attempt) sort above what the pointer names: the collection still keeps the
// latest and its base, whatever the number of such nodes, and removes them only once a pointer
// names a newer version.
TEST_F(ZooKeeperDeltaTest, TheCollectionNeverRemovesWhatThePointerNamesWhateverLiesAboveIt) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "checkpoint one");
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  for (const char* leftover : {"00000000000000000004-00000000000000000999", "00000000000000000005-00000000000000000999"}) {
    const std::string dir = root_ + "/snapshots/versions/" + leftover;
    ASSERT_EQ(zoo_create(raw.zh(), dir.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0), ZOK);
    ASSERT_EQ(zoo_create(raw.zh(), (dir + "/0").c_str(), "x", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0), ZOK);
  }
  leader->publish_based(epoch, 2, 1, "delta two");
  leader->publish_based(epoch, 3, 1, "delta three");
  // Versions 1 (the base), 2, 3 (the latest) and the two leftovers: only 2 may go.
  std::vector<std::string> versions = versions_once(raw, 4);
  ASSERT_EQ(versions.size(), 4u);
  EXPECT_EQ(versions[0].substr(0, 20), "00000000000000000001");
  EXPECT_EQ(versions[1].substr(0, 20), "00000000000000000003");
  EXPECT_EQ(leader->fetch_version(1), "checkpoint one");
  EXPECT_EQ(leader->fetch_version(3), "delta three");
  EXPECT_EQ(leader->fetch(0).second, "delta three");

  leader->publish(epoch, 6, "checkpoint six");
  leader->publish(epoch, 7, "checkpoint seven");
  versions = versions_once(raw, 2);
  ASSERT_EQ(versions.size(), 2u) << "below a pointer naming version 7, the leftovers go too";
  EXPECT_EQ(versions[0].substr(0, 20), "00000000000000000006");
  EXPECT_EQ(leader->fetch(0).second, "checkpoint seven");
}

}  // namespace
}  // namespace berth::test
