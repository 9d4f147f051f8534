// Regeneration on a real ZooKeeper server (docs/catalogue.md, "Regeneration"): Berth's whole root
// is deleted from outside (a raw C client) while three engines run, with streams granted to
// servers whose hosts serve them, a migration in flight, a tombstone, an operator's server and
// pushed rules. Then a leader publishes again, above every version any node saw, and the
// assignment, the holders and their fencing tokens, the catalogue, the operator's servers and the
// rules are as before. A checker samples every server's claims throughout: no stream is ever
// held by two servers at once, and no node ever serves a version below one it served.
//
// Twice: first with the three nodes staying (the leader regenerates), then with the leader
// replaced by a node that starts empty after the deletion (it must seed from the followers'
// offers, not from its own nothing).
#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/labels.h"
#include "config/options.h"
#include "engine/engine.h"
#include "snapshot/catalogue_entries.h"
#include "snapshot/operator_servers.h"
#include "snapshot/shared_rules.h"
#include "snapshot/tombstones.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace berth::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kStreams = 60;
const std::string kRules = "tenant('acme', function(t) t:require { zone = 'a' } end)\n";

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 30s) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Deletes `path` and everything below it, as kazoo's recursive delete does; true when `path`
// itself was deleted (nodes recreating children meanwhile make it fail: the caller tries again).
bool delete_recursively(zhandle_t* zh, const std::string& path) {
  String_vector names{};
  int rc = zoo_get_children(zh, path.c_str(), 0, &names);
  if (rc == ZNONODE) return true;
  if (rc != ZOK) return false;
  std::vector<std::string> children;
  for (int32_t i = 0; i < names.count; ++i) children.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  for (const std::string& child : children) delete_recursively(zh, path + "/" + child);
  rc = zoo_delete(zh, path.c_str(), -1);
  return rc == ZOK || rc == ZNONODE;
}

// A plain C-client session, as an operator's tool would open.
class RawSession {
 public:
  explicit RawSession(const std::string& connect) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    zh_ = zookeeper_init(connect.c_str(), nullptr, 10000, nullptr, nullptr, 0);
    if (zh_ != nullptr) eventually([&] { return zoo_state(zh_) == ZOO_CONNECTED_STATE; }, 10s);
  }
  ~RawSession() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  RawSession(const RawSession&) = delete;
  RawSession& operator=(const RawSession&) = delete;
  zhandle_t* zh() const { return zh_; }

 private:
  zhandle_t* zh_ = nullptr;
};

struct Held {
  std::string owner;
  std::string holder;  // "" while nobody holds it
  uint64_t token = 0;
};

std::map<std::string, Held> assignment(const Snapshot& s) {
  std::map<std::string, Held> out;
  for (uint32_t i = 0; i < s.stream_count(); ++i) {
    Held h;
    h.owner = s.server_name[s.owner[i]];
    if (!s.holder.empty() && s.holder[i] != BERTH_NO_SERVER) {
      h.holder = s.server_name[s.holder[i]];
      h.token = s.token[i];
    }
    out[std::string(s.streams->ids.at(i))] = h;
  }
  return out;
}

class Regeneration : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> open_node(const std::string& id, bool campaign, const std::string& connect = "") {
    Options o;
    o.set("backend.name", "zookeeper");
    o.set("backend.connect", connect.empty() ? zk_.connect_string() : connect);
    o.set("backend.root", root_);
    o.set("backend.session_timeout", "2s");  // regeneration_window: its default, 3 s
    o.set("policy.name", "sticky");
    o.set("engine.node_id", id);
    o.set("engine.campaign", campaign ? "true" : "false");
    o.set("engine.refresh_interval", "1h");
    o.set("engine.intake_flush", "2ms");
    o.set("engine.intake_refresh_delay", "2ms");
    return std::make_unique<Engine>(o.resolve_for_open());
  }

  void SetUp() override {
    root_ = "/berth-regeneration-" + std::to_string(::getpid());
    nodes_.push_back(open_node("node-0", true));
    ASSERT_TRUE(eventually([&] { return nodes_[0]->status().is_leader; })) << "node-0 never led";
    // The followers reach ZooKeeper through proxies: a test can cut one off for a while.
    nodes_.push_back(open_node("node-1", false, proxy1_.connect_string()));
    nodes_.push_back(open_node("node-2", false, proxy2_.connect_string()));
    // Hosts serve servers on the followers: the leader can be replaced without moving a stream.
    const Labels zone = parse_labels("zone=a");
    for (const auto& [node, server] : std::vector<std::pair<int, std::string>>{{1, "server-a"}, {1, "server-b"}, {2, "server-c"}}) {
      nodes_[node]->join(server, 1.0, zone);
      claims_.push_back(nodes_[node]->claims(server));
    }
    for (int i = 0; i < kStreams; ++i) nodes_[1]->add_stream("stream-" + std::to_string(i), "acme", 1.0);
    nodes_[1]->flush();
    ASSERT_TRUE(eventually([&] {
      auto s = nodes_[0]->snapshot();
      if (!s || s->stream_count() != kStreams || s->holder.empty()) return false;
      return std::all_of(s->holder.begin(), s->holder.end(), [](uint32_t h) { return h != BERTH_NO_SERVER; });
    })) << "not every stream was granted";
    const uint64_t granted = nodes_[0]->status().version;
    for (auto& n : nodes_) n->wait_version(granted, 20s);

    // A migration in flight, a tombstone, an operator's server, pushed rules.
    const std::string source = nodes_[2]->locate("stream-5").owner;
    nodes_[2]->migrate("stream-5", source == "server-a" ? "server-c" : "server-a");
    nodes_[2]->remove_stream("stream-7");
    ServerChange storage;
    storage.id = "storage-x";
    storage.fields = kServerSetRegister | kServerSetCapacity | kServerSetState | kServerSetLabels;
    storage.capacity = 2.0;
    storage.state = BERTH_SERVER_READ_ONLY;  // registered, takes no stream: the holders stay put
    storage.labels = zone;
    nodes_[2]->set_server(storage);
    nodes_[2]->flush();
    const uint64_t rules = nodes_[2]->push_rules(kRules).hash;
    ASSERT_TRUE(eventually([&] {
      auto s = nodes_[0]->snapshot();
      return s->catalogue && !s->catalogue->migrations.empty() && s->tombstones && s->tombstones->contains("stream-7") &&
             s->operator_servers && s->operator_servers->find("storage-x") != nullptr && s->shared_rules &&
             s->shared_rules->hash == rules &&
             std::all_of(s->holder.begin(), s->holder.end(), [](uint32_t h) { return h != BERTH_NO_SERVER; });
    })) << "the catalogue's state never came together";
    const uint64_t v = nodes_[0]->status().version;
    for (auto& n : nodes_) n->wait_version(v, 20s);

    checker_ = std::thread([this] { check_holders(); });
  }

  void TearDown() override {
    stop_ = true;
    if (checker_.joinable()) checker_.join();
    EXPECT_EQ(double_holds_.load(), 0u) << "a stream was held by two servers at once: " << first_double_;
    EXPECT_EQ(backwards_.load(), 0u) << "a node went back to an older version: " << first_backwards_;
    std::printf("[ figure ] samples taken: %llu; node samples reporting degraded: %llu\n",
                static_cast<unsigned long long>(samples_.load()), static_cast<unsigned long long>(degraded_samples_.load()));
    claims_.clear();
    std::lock_guard lock(nodes_mutex_);
    nodes_.clear();
  }

  // Every stream, every server: never two holders at one sampled moment.
  void check_holders() {
    while (!stop_) {
      for (int i = 0; i < kStreams; ++i) {
        const std::string stream = "stream-" + std::to_string(i);
        int holders = 0;
        for (const auto& c : claims_)
          if (c->holds(stream, nullptr)) ++holders;
        if (holders > 1 && double_holds_.fetch_add(1) == 0) first_double_ = stream;
      }
      {
        std::lock_guard lock(nodes_mutex_);
        for (const auto& n : nodes_) {
          if (!n) continue;
          const EngineStatus status = n->status();
          if (status.degraded) degraded_samples_.fetch_add(1);
          const uint64_t v = status.version;
          uint64_t& last = served_[n->node_id()];
          if (v < last && backwards_.fetch_add(1) == 0)
            first_backwards_ = n->node_id() + " from " + std::to_string(last) + " to " + std::to_string(v);
          last = std::max(last, v);
        }
      }
      samples_.fetch_add(1);
      std::this_thread::sleep_for(1ms);
    }
  }

  uint64_t newest_seen() const {
    uint64_t v = 0;
    for (const auto& n : nodes_)
      if (n) v = std::max(v, n->status().version);
    return v;
  }

  Engine* leader() {
    for (auto& n : nodes_)
      if (n && n->status().is_leader) return n.get();
    return nullptr;
  }

  void delete_root() {
    RawSession raw(zk_.connect_string());
    ASSERT_TRUE(raw.zh() != nullptr && zoo_state(raw.zh()) == ZOO_CONNECTED_STATE) << "no session with ZooKeeper";
    bool gone = false;
    // Nodes that noticed make parts of the layout again meanwhile: try until one pass wins.
    for (int attempt = 0; attempt < 500 && !gone; ++attempt) gone = delete_recursively(raw.zh(), root_);
    ASSERT_TRUE(gone) << "could not delete " << root_;
    deleted_at_ = Clock::now();
  }

  // After regeneration: a leader, a newer version everywhere, and nothing lost.
  void expect_regenerated(const Snapshot& before, uint64_t seen_before) {
    Engine* l = nullptr;
    ASSERT_TRUE(eventually([&] { return (l = leader()) != nullptr && l->status().version > seen_before; }))
        << "no leader published above version " << seen_before << " (leader: " << (l ? l->node_id() : "none") << ", at "
        << (l ? l->status().version : 0) << ")";
    // The deletion took every member with it: their holds lapse for one session timeout
    // (docs/ownership.md, "Lapsing holds") before the streams are granted again.
    ASSERT_TRUE(eventually([&] {
      for (const auto& [stream, h] : assignment(*l->snapshot()))
        if (h.holder.empty()) return false;
      return true;
    })) << "streams were never all held again after the regeneration";
    const uint64_t now = l->status().version;
    std::printf("[ figure ] from the deletion to a leader's version above %llu: %.0f ms (regeneration_window 3 s)\n",
                static_cast<unsigned long long>(seen_before),
                std::chrono::duration<double, std::milli>(Clock::now() - deleted_at_).count());
    for (auto& n : nodes_)
      if (n) {
        EXPECT_NO_THROW(n->wait_version(now, 20s)) << n->node_id();
      }
    auto after = l->snapshot();
    std::printf("[ figure ] regenerated: version %llu -> %llu, epoch %llu -> %llu\n",
                static_cast<unsigned long long>(seen_before), static_cast<unsigned long long>(after->meta.version),
                static_cast<unsigned long long>(before.meta.epoch), static_cast<unsigned long long>(after->meta.epoch));
    EXPECT_GE(after->meta.epoch, before.meta.epoch) << "the epoch went backwards";
    const auto was = assignment(before), is = assignment(*after);
    ASSERT_EQ(is.size(), was.size());
    for (const auto& [stream, h] : was) {
      auto it = is.find(stream);
      ASSERT_NE(it, is.end()) << stream << " was lost";
      const Held& now_held = it->second;
      // A holder whose member vanished with the layout, or whose lease lapsed (a slow machine can
      // stall a 2 s session), is granted again under a token above every version seen: not a
      // loss, and as safe as the first grant.
      const bool regranted = now_held.token > seen_before;
      if (now_held.holder == h.holder && now_held.owner == h.owner && !regranted) {
        EXPECT_EQ(now_held.token, h.token) << stream << ": same holder, another token";
      } else {
        EXPECT_GT(now_held.token, seen_before) << stream << " moved from " << h.holder << " to " << now_held.holder
                                               << " with token " << now_held.token << ", not above every version seen";
      }
    }
    ASSERT_TRUE(after->catalogue && before.catalogue);
    EXPECT_EQ(after->catalogue->migrations, before.catalogue->migrations) << "the migration in flight";
    ASSERT_TRUE(after->tombstones);
    EXPECT_TRUE(after->tombstones->contains("stream-7")) << "the tombstone";
    ASSERT_TRUE(after->operator_servers && before.operator_servers);
    EXPECT_TRUE(*after->operator_servers == *before.operator_servers) << "the operator's servers";
    ASSERT_TRUE(after->shared_rules && before.shared_rules);
    EXPECT_EQ(after->shared_rules->hash, before.shared_rules->hash) << "the shared rules";
    EXPECT_EQ(after->shared_rules->version, before.shared_rules->version);
  }

  test::ZkServer zk_;
  test::TcpProxy proxy1_{"127.0.0.1", zk_.port()};
  test::TcpProxy proxy2_{"127.0.0.1", zk_.port()};
  std::string root_;
  std::vector<std::unique_ptr<Engine>> nodes_;
  std::vector<std::shared_ptr<ownership::ServerClaims>> claims_;
  std::thread checker_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> double_holds_{0};
  std::atomic<uint64_t> samples_{0};
  std::string first_double_;
  std::mutex nodes_mutex_;  // the checker reads nodes_ while a test replaces one
  std::map<std::string, uint64_t> served_;  // the checker's: each node's highest served version
  std::atomic<uint64_t> backwards_{0};
  std::atomic<uint64_t> degraded_samples_{0};
  Clock::time_point deleted_at_;
  std::string first_backwards_;
};

TEST_F(Regeneration, TheLeaderRegeneratesFromTheNewestVersionAndNothingIsLost) {
  auto before = nodes_[0]->snapshot();
  const uint64_t seen = newest_seen();
  delete_root();
  expect_regenerated(*before, seen);
}

TEST_F(Regeneration, ALeaderThatStartsEmptySeedsFromTheFollowersOffers) {
  auto before = nodes_[0]->snapshot();
  const uint64_t seen = newest_seen();
  {
    std::lock_guard lock(nodes_mutex_);
    nodes_[0].reset();  // the leader goes; after the loss, a node with nothing takes its place
  }
  delete_root();
  // Once the followers have made the layout again (seeds/ comes first): a node that opens on a
  // root nobody has remade sees a fresh cluster (docs/catalogue.md, "Regeneration").
  RawSession raw(zk_.connect_string());
  const std::string seeds = root_ + "/seeds";
  ASSERT_TRUE(eventually([&] {
    Stat stat;
    return zoo_exists(raw.zh(), seeds.c_str(), 0, &stat) == ZOK;
  })) << "no follower made the layout again";
  auto newcomer = open_node("node-3", true);
  {
    std::lock_guard lock(nodes_mutex_);
    nodes_.push_back(std::move(newcomer));
  }
  expect_regenerated(*before, seen);
  EXPECT_TRUE(nodes_.back()->status().is_leader);
}

// A version skew: node-2 is cut off while the leader publishes version N, so it holds N-1 when
// the root goes; the leader is cut right after, and a newcomer leads. node-2 offers N-1 first
// (node-1 is cut off meanwhile), node-1 offers N after: N is the one restored, with the stream it
// added, and no stream is ever held twice (TearDown).
TEST_F(Regeneration, TheNewestOfferIsRestoredWhenTheNodesHoldDifferentVersions) {
  const uint64_t older = nodes_[2]->status().version;
  const uint32_t streams = nodes_[1]->snapshot()->stream_count();
  proxy2_.set_blocked(true);
  nodes_[1]->add_stream("stream-late", "acme", 1.0);
  nodes_[1]->flush();
  ASSERT_TRUE(eventually([&] {
    auto s = nodes_[1]->snapshot();
    return s && s->stream_count() == streams + 1 && nodes_[0]->status().version == s->meta.version;
  })) << "node-1 never served the version with stream-late";
  proxy1_.set_blocked(true);
  {
    std::lock_guard lock(nodes_mutex_);
    nodes_[0].reset();  // cut right after publishing
  }
  auto before = nodes_[1]->snapshot();
  const uint64_t seen = newest_seen();
  delete_root();
  EXPECT_EQ(nodes_[2]->status().version, older) << "node-2 installed a version while cut off";
  std::printf("[ figure ] skew: node-1 holds version %llu, node-2 version %llu\n",
              static_cast<unsigned long long>(before->meta.version), static_cast<unsigned long long>(older));
  ASSERT_LT(older, before->meta.version);
  proxy2_.set_blocked(false);
  RawSession raw(zk_.connect_string());
  const std::string seeds = root_ + "/seeds";
  const auto offered = [&](uint64_t version) {
    String_vector names{};
    if (zoo_get_children(raw.zh(), seeds.c_str(), 0, &names) != ZOK) return false;
    bool found = false;
    for (int32_t i = 0; i < names.count; ++i) {
      char buffer[512];
      int length = sizeof buffer;
      Stat stat;
      const std::string path = seeds + "/" + names.data[i];
      found = found || (std::string(names.data[i]).rfind("o_" + std::string(20 - std::to_string(version).size(), '0') +
                                                           std::to_string(version) + "_", 0) == 0 &&
                        zoo_get(raw.zh(), path.c_str(), 0, buffer, &length, &stat) == ZOK && length > 0);
    }
    deallocate_String_vector(&names);
    return found;
  };
  ASSERT_TRUE(eventually([&] { return offered(older); })) << "node-2 never offered version " << older;
  proxy1_.set_blocked(false);
  ASSERT_TRUE(eventually([&] { return offered(before->meta.version); }))
      << "node-1 never offered version " << before->meta.version;
  auto newcomer = open_node("node-3", true);
  {
    std::lock_guard lock(nodes_mutex_);
    nodes_.push_back(std::move(newcomer));
  }
  expect_regenerated(*before, seen);
  EXPECT_EQ(assignment(*leader()->snapshot()).count("stream-late"), 1u) << "restored an older offer than the newest";
}

}  // namespace
}  // namespace berth::testing
