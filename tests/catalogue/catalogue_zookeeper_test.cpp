// The catalogue on a real ZooKeeper server: a migration asked on a follower node reaches the
// leader, both nodes locate the stream alike, a delete wins over the running migration, and a new
// leader keeps the migrations and purges the last one published.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "config/options.h"
#include "engine/engine.h"
#include "snapshot/catalogue_entries.h"
#include "zookeeper/zk_harness.h"

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

std::unique_ptr<Engine> open_node(const std::string& connect, const std::string& root, const std::string& id) {
  Options o;
  o.set("backend.name", "zookeeper");
  o.set("backend.connect", connect);
  o.set("backend.root", root);
  o.set("policy.name", "sticky");
  o.set("engine.node_id", id);
  o.set("engine.refresh_interval", "1h");
  o.set("engine.intake_flush", "2ms");
  o.set("engine.intake_refresh_delay", "2ms");
  return std::make_unique<Engine>(o.resolve_for_open());
}

TEST(CatalogueZooKeeper, MigrationAndDeletionAgreeOnEveryNodeAndOutliveTheLeader) {
  berth::test::ZkServer zk;
  const std::string root = "/berth-catalogue-" + std::to_string(::getpid());
  auto a = open_node(zk.connect_string(), root, "node-a");
  ASSERT_TRUE(eventually([&] { return a->status().is_leader; }));
  auto b = open_node(zk.connect_string(), root, "node-b");
  for (int j = 0; j < 3; ++j) a->join("server-" + std::to_string(j), 1.0);
  for (int i = 0; i < 30; ++i) a->add_stream("stream-" + std::to_string(i), "t", 1.0);
  a->flush();
  ASSERT_TRUE(eventually([&] { return b->status().streams == 30 && b->status().servers == 3; }));

  const std::string source = b->locate("stream-5").owner;
  const std::string dest = source == "server-0" ? "server-1" : "server-0";
  b->migrate("stream-5", dest);
  b->migrate("stream-6", "");
  b->flush();
  ASSERT_TRUE(eventually([&] {
    return b->locate("stream-5").status == CatalogueStatus::migrating &&
           b->locate("stream-6").status == CatalogueStatus::migrating;
  }));
  ASSERT_TRUE(eventually([&] { return a->status().version == b->status().version; }));
  catalogue::StreamLocation on_a = a->locate("stream-5"), on_b = b->locate("stream-5");
  EXPECT_EQ(std::string(on_b.owner), dest);
  EXPECT_EQ(std::string(on_a.owner), std::string(on_b.owner));
  EXPECT_EQ(on_b.read_locations.size(), 2u);

  b->delete_stream("stream-6");
  b->flush();
  ASSERT_TRUE(eventually([&] { return b->locate("stream-6").status == CatalogueStatus::deleting; }));
  EXPECT_FALSE(b->locate("stream-6").known);
  EXPECT_EQ(b->locate("stream-6").read_locations.size(), 2u) << "both the source and the destination are to purge";

  auto before = b->snapshot();
  a->resign();
  ASSERT_TRUE(eventually([&] { return b->status().is_leader; }));
  b->report_load("stream-0", 2.0);  // something for the new leader to publish
  b->flush();
  ASSERT_TRUE(eventually([&] { return b->status().version > before->meta.version; }));
  auto after = b->snapshot();
  ASSERT_NE(after->catalogue, nullptr);
  EXPECT_EQ(after->catalogue->migrations, before->catalogue->migrations);
  EXPECT_EQ(after->catalogue->purges, before->catalogue->purges);
  EXPECT_EQ(b->locate("stream-5").status, CatalogueStatus::migrating);
}

}  // namespace
}  // namespace berth::testing
