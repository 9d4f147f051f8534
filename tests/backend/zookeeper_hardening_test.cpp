// The `zookeeper` backend against a tree someone else changes: a leader deposed in the middle of
// a publication, a ZooKeeper nobody answers at, a snapshot damaged from outside, znodes made by
// someone without the credential, and a watched node that goes missing. Real ZooKeeper, a root
// znode per test; the damage is done with the plain C client, as an operator's tool would.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "backend/backend_contract.h"
#include "backend/watch_counter.h"
#include "backend/zk_test_support.h"
#include "berth/berth.h"
#include "common/log.h"
#include "config/options.h"
#include "engine/engine.h"

namespace berth::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCredential = "berth:s3cret";

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + within;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string version_dir(const std::string& root, uint64_t version, uint64_t epoch) {
  char name[64];
  std::snprintf(name, sizeof name, "%020" PRIu64 "-%020" PRIu64, version, epoch);
  return root + "/snapshots/versions/" + name;
}

// Deletes `path` and everything below it, again while someone keeps adding children.
void delete_tree(zhandle_t* zh, const std::string& path) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    String_vector names{};
    if (zoo_get_children(zh, path.c_str(), 0, &names) == ZNONODE) return;
    for (int32_t i = 0; i < names.count; ++i) delete_tree(zh, path + "/" + names.data[i]);
    deallocate_String_vector(&names);
    int rc = zoo_delete(zh, path.c_str(), -1);
    if (rc == ZOK || rc == ZNONODE) return;
  }
  ADD_FAILURE() << "could not delete " << path;
}

// Counts the library's log lines that contain `needle`.
class LogCounter : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogCounter(std::string needle) : needle_(std::move(needle)) {}
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.payload.data(), msg.payload.size()).find(needle_) != std::string_view::npos) ++count_;
  }
  void flush_() override {}

 private:
  std::string needle_;
  int count_ = 0;
};

class ZooKeeperHardeningTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(const std::string& auth = "", const WatchCounter* counter = nullptr) {
    std::vector<PluginConfig::Entry> entries = {{"connect", zk_connect(), "test"}, {"root", root_, "test"}};
    if (!auth.empty()) entries.push_back({"auth", auth, "test"});
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)),
                                     counter != nullptr ? counter->watch() : nullptr);
  }
  static uint64_t lead(Backend& backend) {
    backend.campaign();
    EXPECT_TRUE(eventually([&] { return backend.leadership().is_leader == 1; }));
    return backend.leadership().epoch;
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  std::string root_ = fresh_zk_root();
};

// --- A leader deposed while it writes a version's chunks --------------------------------------

// While the leader writes a large version, an outsider deposes it (its candidacy deleted, or the
// epoch moved as a successor's takeover does) and only then forbids new chunks in the version's
// folder and removes it, as a successor's garbage collector would: the next chunk is refused or
// finds no parent, or the commit finds the leadership gone. Whichever step notices, the
// publication must say FENCED, the one failure plugin.h promises a deposed leader. A publication
// that finished before the outsider struck proves nothing: that round is run again.
TEST_F(ZooKeeperHardeningTest, ALeaderDeposedMidPublicationIsFencedWhateverStepNoticesIt) {
  for (const bool by_epoch : {false, true}) {
    SCOPED_TRACE(by_epoch ? "the epoch moved, the versions folder deleted" : "the candidacy deleted, the version's folder deleted");
    bool struck_in_time = false;
    for (int round = 0; round < 5 && !struck_in_time; ++round) {
      root_ = fresh_zk_root();
      auto leader = open();
      const uint64_t epoch = lead(*leader);
      const std::string dir = version_dir(root_, 1, epoch);
      RawClient raw;
      ASSERT_NE(raw.zh(), nullptr);
      std::atomic<bool> deposed{false};
      std::thread outsider([&] {
        Stat stat;
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (zoo_exists(raw.zh(), (dir + "/0").c_str(), 0, &stat) != ZOK) {
          if (Clock::now() >= deadline) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        // Deposed first, so a refused chunk can only be noticed as a lost leadership.
        if (by_epoch) {
          ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/epoch").c_str(), "outsider", 8, -1), ZOK);
        } else {
          for (const std::string& name : raw.children(root_ + "/election"))
            ASSERT_EQ(zoo_delete(raw.zh(), (root_ + "/election/" + name).c_str(), -1), ZOK);
        }
        deposed = true;
        ACL no_create_entry{ZOO_PERM_READ | ZOO_PERM_DELETE, ZOO_ANYONE_ID_UNSAFE};
        ACL_vector no_create{1, &no_create_entry};
        int rc = zoo_set_acl(raw.zh(), dir.c_str(), -1, &no_create);
        ASSERT_TRUE(rc == ZOK || rc == ZNONODE) << dir << ": " << zerror(rc);
        delete_tree(raw.zh(), by_epoch ? root_ + "/snapshots/versions" : dir);
      });
      // 24 chunks: most likely still writing when the outsider strikes.
      const std::string bytes = incompressible_bytes(24 * (128u << 10));
      Failure failure = failure_of([&] { leader->publish(epoch, 1, bytes); });
      outsider.join();
      ASSERT_TRUE(deposed.load()) << "the outsider never saw the first chunk: " << failure.message;
      if (failure.code == BERTH_OK) {
        std::printf("round %d: the publication finished before the outsider struck; again\n", round);
        continue;
      }
      struck_in_time = true;
      EXPECT_EQ(failure.code, BERTH_E_FENCED) << failure.message;
      EXPECT_NE(failure.message.find("fenced"), std::string::npos) << failure.message;
      EXPECT_EQ(failure.message.find("no node"), std::string::npos) << failure.message;
      EXPECT_NE(leader->fetch(0).first, 1u) << "nothing of the fenced version was published";
    }
    EXPECT_TRUE(struck_in_time) << "every publication finished before the outsider deposed its leader";
  }
}

// --- Opening while ZooKeeper is unreachable -----------------------------------------------------

TEST(ZooKeeperUnreachable, OpeningIsUnavailableNamingTheConnectStringAndTheTimeout) {
  // A loopback port nobody listens on: bound, then released.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  const std::string connect = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  berth_options* options = nullptr;
  ASSERT_EQ(berth_options_new(&options, nullptr), BERTH_OK);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"backend.name", "zookeeper"}, {"backend.connect", connect}, {"backend.session_timeout", "400ms"}})
    ASSERT_EQ(berth_options_set(options, key.c_str(), value.c_str(), nullptr), BERTH_OK) << key;
  berth_engine* engine = nullptr;
  berth_error* error = nullptr;
  EXPECT_EQ(berth_engine_open(options, &engine, &error), BERTH_E_UNAVAILABLE);
  ASSERT_NE(error, nullptr);
  const std::string message = berth_error_message(error);
  EXPECT_NE(message.find(connect), std::string::npos) << message;
  EXPECT_NE(message.find(" ms"), std::string::npos) << "names the timeout: " << message;
  berth_error_free(error);
  EXPECT_EQ(engine, nullptr);
  berth_options_free(options);
}

// --- A snapshot damaged from outside ----------------------------------------------------------

struct Damage {
  const char* what;
  // Damages the tree under `root`, where version 1 (epoch `epoch`, two chunks) is published;
  // returns the znode a refusal must name.
  std::function<std::string(zhandle_t*, const std::string& root, uint64_t epoch)> apply;
};

std::vector<Damage> damages() {
  const auto set_latest = [](zhandle_t* zh, const std::string& root, const std::string& text) {
    EXPECT_EQ(zoo_set(zh, (root + "/snapshots/latest").c_str(), text.data(), static_cast<int>(text.size()), -1), ZOK);
    return root + "/snapshots/latest";
  };
  return {
      {"a missing chunk",
       [](zhandle_t* zh, const std::string& root, uint64_t epoch) {
         const std::string chunk = version_dir(root, 1, epoch) + "/1";
         EXPECT_EQ(zoo_delete(zh, chunk.c_str(), -1), ZOK);
         return chunk;
       }},
      {"a damaged compressed chunk",
       [](zhandle_t* zh, const std::string& root, uint64_t epoch) {
         // Same size, other bytes: only decompressing the version can tell.
         const std::string dir = version_dir(root, 1, epoch), chunk = dir + "/1";
         Stat stat;
         EXPECT_EQ(zoo_exists(zh, chunk.c_str(), 0, &stat), ZOK);
         const std::string garbage = incompressible_bytes(static_cast<size_t>(stat.dataLength), 99);
         EXPECT_EQ(zoo_set(zh, chunk.c_str(), garbage.data(), static_cast<int>(garbage.size()), -1), ZOK);
         return dir;
       }},
      {"a dangling pointer",
       [set_latest](zhandle_t* zh, const std::string& root, uint64_t epoch) {
         set_latest(zh, root, "berth-zk-latest 1 7 " + std::to_string(epoch) + " 1 5");
         return version_dir(root, 7, epoch);
       }},
      {"an empty pointer", [set_latest](zhandle_t* zh, const std::string& root, uint64_t) { return set_latest(zh, root, ""); }},
      {"a garbage pointer",
       [set_latest](zhandle_t* zh, const std::string& root, uint64_t) { return set_latest(zh, root, "\x01garbage"); }},
  };
}

TEST_F(ZooKeeperHardeningTest, EveryDamagedSnapshotIsCorruptNamingTheZnodeAndAReaderKeepsWhatItHad) {
  const std::string bytes = incompressible_bytes(200u << 10);  // two chunks of at most 128 KiB
  for (const Damage& damage : damages()) {
    SCOPED_TRACE(damage.what);
    root_ = fresh_zk_root();
    auto leader = open();
    const uint64_t epoch = lead(*leader);
    leader->publish(epoch, 1, bytes);
    auto reader = open();
    ASSERT_EQ(reader->fetch(0).first, 1u);
    RawClient raw;
    ASSERT_NE(raw.zh(), nullptr);
    const std::string named = damage.apply(raw.zh(), root_, epoch);

    auto newcomer = open();
    Failure failure = failure_of([&] { newcomer->fetch(0); });
    EXPECT_EQ(failure.code, BERTH_E_CORRUPT) << failure.message;
    EXPECT_NE(failure.message.find(named), std::string::npos) << "names " << named << ": " << failure.message;
    EXPECT_EQ(failure.message.find("faster"), std::string::npos) << failure.message;
    // The reader that holds version 1 is told nothing newer is readable, never "nothing published".
    Failure again = failure_of([&] {
      auto [version, got] = reader->fetch(1);
      EXPECT_GE(version, 1u) << "an empty pointer is not 'nothing published'";
      EXPECT_TRUE(got.empty());
    });
    EXPECT_TRUE(again.code == BERTH_OK || again.code == BERTH_E_CORRUPT) << again.message;
  }
}

TEST_F(ZooKeeperHardeningTest, TheLeaderReplacesAnErasedPointerWithItsNextVersion) {
  auto leader = open();
  const uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "one");
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/snapshots/latest").c_str(), "", 0, -1), ZOK);
  leader->publish(epoch, 2, "two");
  EXPECT_EQ(open()->fetch(0), (std::pair<uint64_t, std::string>{2, "two"}));
}

// Through the engine: a follower and a node started after the damage count each damaged version in
// snapshots_rejected, and the follower keeps serving the version it had.
TEST_F(ZooKeeperHardeningTest, EnginesCountADamagedSnapshotAsRejectedAndKeepServing) {
  const auto open_node = [&](const std::string& id, bool campaign) {
    Options o;
    o.set("backend.name", "zookeeper");
    o.set("backend.connect", zk_connect());
    o.set("backend.root", root_);
    o.set("engine.node_id", id);
    o.set("engine.campaign", campaign ? "true" : "false");
    o.set("engine.refresh_interval", "1h");
    return std::make_unique<Engine>(o.resolve_for_open());
  };
  auto leader = open_node("leader", true);
  ASSERT_TRUE(eventually([&] { return leader->status().is_leader; }));
  leader->join("server-a", 1.0);
  for (int i = 0; i < 20; ++i) leader->add_stream("stream-" + std::to_string(i), "acme", 1.0);
  leader->flush();
  leader->refresh();
  const uint64_t served = leader->status().version;
  auto follower = open_node("follower", false);
  follower->wait_version(served, std::chrono::seconds(20));
  const uint64_t rejected_before = follower->metrics().snapshots_rejected;

  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string dangling = "berth-zk-latest 1 " + std::to_string(served + 5) + " " +
                               std::to_string(leader->status().epoch) + " 1 5";
  ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/snapshots/latest").c_str(), dangling.data(), static_cast<int>(dangling.size()), -1), ZOK);
  EXPECT_TRUE(eventually([&] { return follower->metrics().snapshots_rejected > rejected_before; }))
      << "the follower never counted the dangling pointer";
  EXPECT_GE(follower->status().version, served) << "keeps serving what it had";

  auto newcomer = open_node("newcomer", false);
  EXPECT_TRUE(eventually([&] { return newcomer->metrics().snapshots_rejected > 0; }))
      << "a node started on the damage never counted it";
  EXPECT_EQ(newcomer->status().version, 0u);
}

// --- Znodes someone without the credential made or opened ------------------------------------

const std::vector<std::string>& layout_folders() {
  static const std::vector<std::string> folders = {"/members", "/election", "/epoch",    "/snapshots",
                                                   "/snapshots/latest", "/snapshots/versions", "/intake"};
  return folders;
}

// An anonymous client squats on the whole layout with the open ACL and registers a server of its
// own: a node holding the credential refuses to open there, naming the root, so no leader ever
// gives the squatter's server a stream.
TEST_F(ZooKeeperHardeningTest, WithACredentialANodeRefusesALayoutAnyoneMayChange) {
  RawClient anonymous;
  ASSERT_NE(anonymous.zh(), nullptr);
  for (size_t slash = root_.find('/', 1);; slash = root_.find('/', slash + 1)) {
    const std::string path = root_.substr(0, slash);
    int rc = zoo_create(anonymous.zh(), path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
    ASSERT_TRUE(rc == ZOK || rc == ZNODEEXISTS) << path << ": " << zerror(rc);
    if (slash == std::string::npos) break;
  }
  for (const std::string& folder : layout_folders())
    ASSERT_EQ(zoo_create(anonymous.zh(), (root_ + folder).c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0), ZOK);
  ASSERT_EQ(zoo_create(anonymous.zh(), (root_ + "/members/squatter").c_str(), "info", 4, &ZOO_OPEN_ACL_UNSAFE,
                       ZOO_EPHEMERAL, nullptr, 0),
            ZOK);

  Failure failure = failure_of([&] { open(kCredential); });
  EXPECT_EQ(failure.code, BERTH_E_PERMISSION) << failure.message;
  EXPECT_NE(failure.message.find(root_ + " "), std::string::npos) << "names the root: " << failure.message;
  EXPECT_NE(failure.message.find("world:anyone"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("delete it"), std::string::npos) << "says what to do: " << failure.message;
  EXPECT_EQ(failure.message.find("s3cret"), std::string::npos) << "never echo a password: " << failure.message;

  // Through the C API too: the engine does not open, nobody stands, nothing is published.
  berth_options* options = nullptr;
  ASSERT_EQ(berth_options_new(&options, nullptr), BERTH_OK);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"backend.name", "zookeeper"}, {"backend.connect", zk_connect()}, {"backend.root", root_},
           {"backend.auth", kCredential}})
    ASSERT_EQ(berth_options_set(options, key.c_str(), value.c_str(), nullptr), BERTH_OK) << key;
  berth_engine* engine = nullptr;
  berth_error* error = nullptr;
  EXPECT_EQ(berth_engine_open(options, &engine, &error), BERTH_E_PERMISSION);
  EXPECT_EQ(engine, nullptr);
  if (error != nullptr) berth_error_free(error);
  berth_options_free(options);
  EXPECT_TRUE(anonymous.children(root_ + "/election").empty()) << "nobody stood for election";
  char latest[64];
  int length = sizeof latest;
  ASSERT_EQ(zoo_get(anonymous.zh(), (root_ + "/snapshots/latest").c_str(), 0, latest, &length, nullptr), ZOK);
  EXPECT_LE(length, 0) << "nothing was published, so the squatter's server got no stream";
}

// Every folder is checked, not only the root: one made open later by someone holding the
// credential's admin right is refused at the next open, naming it.
TEST_F(ZooKeeperHardeningTest, AFolderOpenedLaterIsRefusedAtTheNextOpen) {
  open(kCredential).reset();  // makes the layout with the credential's ACL
  ASSERT_NO_THROW(open(kCredential).reset()) << "a layout of its own is accepted";
  RawClient admin(kCredential);
  ASSERT_NE(admin.zh(), nullptr);
  for (const std::string& folder : {std::string("/members"), std::string("/snapshots/versions")}) {
    SCOPED_TRACE(folder);
    ASSERT_EQ(zoo_set_acl(admin.zh(), (root_ + folder).c_str(), -1, &ZOO_OPEN_ACL_UNSAFE), ZOK);
    Failure failure = failure_of([&] { open(kCredential); });
    EXPECT_EQ(failure.code, BERTH_E_PERMISSION) << failure.message;
    EXPECT_NE(failure.message.find(root_ + folder + " "), std::string::npos) << failure.message;
    ACL entries[2] = {{ZOO_PERM_ALL, ZOO_AUTH_IDS}, {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE}};
    ACL_vector closed{2, entries};
    ASSERT_EQ(zoo_set_acl(admin.zh(), (root_ + folder).c_str(), -1, &closed), ZOK);
  }
  EXPECT_NO_THROW(open(kCredential).reset()) << "fixed ACLs are accepted again";
}

// The digest id is compared whole: someone with the same user name and another password made
// the layout, so its entries name another hash; a node refuses it and never shows the hash.
TEST_F(ZooKeeperHardeningTest, TheSameUserNameWithAnotherPasswordIsRefused) {
  const std::string other = "berth:not-the-password";
  open(other).reset();  // the layout, with the other password's digest id
  Failure failure = failure_of([&] { open(kCredential); });
  EXPECT_EQ(failure.code, BERTH_E_PERMISSION) << failure.message;
  EXPECT_NE(failure.message.find(root_ + " "), std::string::npos) << "names the root: " << failure.message;
  EXPECT_NE(failure.message.find("digest user 'berth' with another password"), std::string::npos) << failure.message;
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  ACL_vector acl{};
  Stat stat;
  ASSERT_EQ(zoo_get_acl(raw.zh(), root_.c_str(), &acl, &stat), ZOK);
  for (int32_t i = 0; i < acl.count; ++i) {
    const std::string id = acl.data[i].id.id;
    const std::string hash = id.substr(id.find(':') + 1);
    if (std::string(acl.data[i].id.scheme) == "digest") {
      EXPECT_EQ(failure.message.find(hash), std::string::npos) << "shows the other password's hash";
    }
  }
  deallocate_ACL_vector(&acl);
  EXPECT_NO_THROW(open(other).reset()) << "its own password is accepted";
}

// --- The epoch node missing -------------------------------------------------------------------

// A follower that may not make the layout again (no credential on a cluster that has one) waits
// for the epoch node to come back on an exists watch: no retry loop warning every 250 ms meanwhile,
// and its creation is reported as a change of leadership.
TEST_F(ZooKeeperHardeningTest, AMissingEpochNodeIsAwaitedNotPolled) {
  open(kCredential).reset();  // the layout, with the credential's ACL; nobody leads
  WatchCounter counter;
  auto follower = open("", &counter);
  auto warnings = std::make_shared<LogCounter>(root_);
  logger().sinks().push_back(warnings);
  RawClient admin(kCredential);
  ASSERT_NE(admin.zh(), nullptr);
  const std::string epoch = root_ + "/epoch";
  ASSERT_EQ(zoo_delete(admin.zh(), epoch.c_str(), -1), ZOK);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const int warned = warnings->count();
  const int leader_changes = counter.count(BERTH_CHANGED_LEADER);
  ACL entries[2] = {{ZOO_PERM_ALL, ZOO_AUTH_IDS}, {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE}};
  ACL_vector closed{2, entries};
  ASSERT_EQ(zoo_create(admin.zh(), epoch.c_str(), "", 0, &closed, ZOO_PERSISTENT, nullptr, 0), ZOK);
  const bool heard = counter.wait_for(BERTH_CHANGED_LEADER, leader_changes + 1, std::chrono::seconds(10));
  auto& sinks = logger().sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), warnings), sinks.end());
  std::printf("warnings naming %s over 3 s while %s was missing: %d\n", root_.c_str(), epoch.c_str(), warned);
  EXPECT_LE(warned, 1) << "re-armed in a loop while the node was missing";
  EXPECT_TRUE(heard) << "the epoch node's creation was not reported";
}

}  // namespace
}  // namespace berth::test
