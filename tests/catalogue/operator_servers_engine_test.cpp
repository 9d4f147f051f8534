// Servers an operator manages, through engines on the memory backend: a change made on any node
// reaches the leader and every node; registered servers take streams and are granted none; a new
// leader keeps every entry; a bad record changes nothing.
#include <limits>

#include "berth/abi.h"
#include "common/error.h"
#include "engine/engine_fixture.h"
#include "engine/intake.h"
#include "plugin/loader.h"
#include "snapshot/operator_servers.h"

namespace berth::testing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class OperatorServersEngine : public ClusterFixture {
 protected:
  Engine& follower() {
    Engine& l = leader();
    for (auto& n : nodes_)
      if (n.get() != &l) return *n;
    return *fleet_;
  }
  static uint32_t index_of(const Snapshot& s, std::string_view id) {
    for (uint32_t i = 0; i < s.server_count(); ++i)
      if (s.servers->ids.at(i) == id) return i;
    return UINT32_MAX;
  }
};

ServerChange change(const std::string& id, uint8_t fields, double capacity = kNaN, int32_t state = 0,
                    const std::string& labels = "") {
  ServerChange c;
  c.id = id;
  c.fields = fields;
  c.capacity = capacity;
  c.state = state;
  c.labels = parse_labels(labels);
  return c;
}

TEST_F(OperatorServersEngine, ChangeOnAFollowerReachesTheLeaderAndEveryNode) {
  start(3);
  add_servers(3);
  add_streams(30);
  refresh_and_converge();
  Engine& f = follower();
  f.set_server(change("server-1", kServerSetCapacity | kServerSetState | kServerSetLabels, 5.0,
                      BERTH_SERVER_DRAINING, "zone=a"));
  f.flush();
  uint64_t v = refresh_and_converge();
  for (auto* e : {nodes_[0].get(), nodes_[1].get(), nodes_[2].get(), fleet_.get()}) {
    e->wait_version(v, std::chrono::seconds(10));
    auto s = e->snapshot();
    ASSERT_TRUE(s->operator_servers) << e->node_id();
    const OperatorServer* o = s->operator_servers->find("server-1");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->capacity, 5.0);
    EXPECT_EQ(o->state, BERTH_SERVER_DRAINING);
    EXPECT_FALSE(o->registered);
    uint32_t i = index_of(*s, "server-1");
    ASSERT_NE(i, UINT32_MAX);
    EXPECT_EQ(s->servers->capacity[i], 5.0) << "the operator's capacity overrides the member's";
    EXPECT_EQ(s->servers->state[i], BERTH_SERVER_DRAINING);
    EXPECT_EQ(s->servers->labels_of(i), parse_labels("zone=a"));
    EXPECT_EQ(s->server_streams[i], 0u) << "a draining server owns nothing";
  }
}

TEST_F(OperatorServersEngine, CallerSideValidationRefusesBadChanges) {
  start(1);
  add_servers(1);
  refresh_and_converge();
  Engine& l = leader();
  auto refused = [&](const ServerChange& c, const char* what) {
    try {
      l.set_server(c);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << what << ": " << e.what();
    }
  };
  refused(change("", kServerSetRegister), "empty id");
  refused(change(std::string(4097, 'x'), kServerSetRegister), "long id");
  refused(change("a", 0), "no field");
  refused(change("a", 0x20), "unknown field");
  refused(change("a", kServerSetCapacity, 0.0), "zero capacity");
  refused(change("a", kServerSetCapacity, std::numeric_limits<double>::infinity()), "infinite capacity");
  refused(change("a", kServerSetState, kNaN, 3), "unknown state");
  try {
    l.remove_server("never-set");
    ADD_FAILURE() << "removing a server without an entry";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND) << e.what();
    EXPECT_NE(std::string(e.what()).find("never-set"), std::string::npos) << e.what();
  }
}

TEST_F(OperatorServersEngine, RegisteredServerTakesNewStreamsAndIsNeverGranted) {
  start(1);
  add_served_servers(2);
  add_streams(10);
  refresh_and_converge();
  Engine& l = leader();
  l.set_server(change("storage-x", kServerSetRegister | kServerSetCapacity, 10.0));
  l.flush();
  refresh_and_converge();
  add_streams(200, 1.0, "late-");
  refresh_and_converge();
  auto s = l.snapshot();
  uint32_t x = index_of(*s, "storage-x");
  ASSERT_NE(x, UINT32_MAX) << "a registered server without a member is a server";
  EXPECT_FALSE(s->servers->serving_of(x));
  EXPECT_EQ(s->servers->incarnation_of(x), 0u);
  EXPECT_GT(s->server_streams[x], 0u) << "it owns streams: they are routed to it";
  for (uint64_t i = 0; i < s->stream_count(); ++i) ASSERT_NE(s->holder[i], x) << "a server only routed to is granted nothing";
  int answered_x = 0;
  for (int i = 0; i < 300; ++i) answered_x += std::string(l.lookup("never-seen-" + std::to_string(i))) == "storage-x";
  EXPECT_GT(answered_x, 0) << "lookups of unknown streams answer the registered server too";

  // Removed, it leaves the cluster.
  l.remove_server("storage-x");
  l.flush();
  refresh_and_converge();
  EXPECT_EQ(index_of(*l.snapshot(), "storage-x"), UINT32_MAX);
  EXPECT_FALSE(l.snapshot()->operator_servers);
}

TEST_F(OperatorServersEngine, ANewLeaderKeepsEveryOperatorEntry) {
  start(2);
  add_servers(2);
  add_streams(20);
  refresh_and_converge();
  Engine& first = leader();
  first.set_server(change("server-0", kServerSetState, kNaN, BERTH_SERVER_READ_ONLY));
  first.set_server(change("registered-a", kServerSetRegister | kServerSetLabels, kNaN, 0, "zone=b"));
  first.flush();
  refresh_and_converge();
  auto before = first.snapshot()->operator_servers;
  ASSERT_TRUE(before);
  ASSERT_EQ(before->servers.size(), 2u);
  first.resign();
  Engine* next = nullptr;
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes_)
      if (n.get() != &first && n->status().is_leader) next = n.get();
    return next != nullptr;
  }));
  next->refresh();
  auto after = next->snapshot();
  ASSERT_TRUE(after->operator_servers);
  EXPECT_EQ(*after->operator_servers, *before);
  EXPECT_EQ(after->servers->state[index_of(*after, "server-0")], BERTH_SERVER_READ_ONLY);
  EXPECT_NE(index_of(*after, "registered-a"), UINT32_MAX);
}

TEST_F(OperatorServersEngine, ABadRawRecordChangesNothing) {
  start(1);
  add_servers(2);
  add_streams(10);
  refresh_and_converge();
  Engine& l = leader();
  l.set_server(change("server-0", kServerSetCapacity, 3.0));
  l.flush();
  refresh_and_converge();
  auto before = l.snapshot();
  const uint64_t rejected_before = l.metrics().intake_rejected;

  Options o;
  o.set("backend.name", "memory");
  o.set("backend.cluster", cluster_);
  EngineOptions resolved = o.resolve();
  PluginRegistry registry;
  Backend raw(registry.load(BERTH_PLUGIN_BACKEND, resolved.backend.name), resolved.backend.config, nullptr);
  ServerChange bad = change("server-0", kServerSetCapacity, 1.0);
  std::string batch;
  append_intake(batch, IntakeOp::server_set, "server-0", server_change_payload(bad), -4.0);  // capacity <= 0
  append_intake(batch, IntakeOp::server_set, "server-1", std::string("\x40\0", 2), kNaN);   // unknown field
  raw.submit(batch);
  uint64_t v = refresh_and_converge();
  auto after = l.snapshot();
  EXPECT_GT(v, before->meta.version);
  ASSERT_TRUE(after->operator_servers);
  EXPECT_EQ(*after->operator_servers, *before->operator_servers);
  EXPECT_EQ(after->servers->capacity[index_of(*after, "server-0")], 3.0);
  EXPECT_EQ(after->servers->capacity[index_of(*after, "server-1")], 1.0);
  EXPECT_EQ(l.metrics().intake_rejected, rejected_before + 2) << "each refused record counted";
}

}  // namespace
}  // namespace berth::testing
