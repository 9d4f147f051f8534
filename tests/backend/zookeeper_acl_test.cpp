// Digest ACLs of the `zookeeper` backend (backend.auth), against a real ZooKeeper server: the
// nodes a cluster with a credential creates can be changed only by holders of that credential;
// anyone may read them. Instances without it, or with another, get BERTH_E_PERMISSION naming the
// znode and the ACL refusal, never a crash, and what the cluster published stays intact.
#include <zookeeper/zookeeper.h>

#include <cstring>
#include <functional>
#include <memory>

#include "backend/backend_contract.h"
#include "backend/zk_test_support.h"
#include "berth/berth.h"

namespace berth::test {
namespace {

constexpr const char* kCredential = "berth:s3cret";

// The whole backend contract again, every instance holding the credential: ACLs change nothing
// for those who hold it.
BackendUnderTest zookeeper_with_acl() {
  BackendUnderTest backend;
  backend.plugin = "zookeeper";
  backend.fresh_cluster = [] {
    return std::vector<PluginConfig::Entry>{{"connect", zk_connect(), "zookeeper_acl_test"},
                                            {"root", fresh_zk_root(), "zookeeper_acl_test"},
                                            {"session_timeout", "10s", "zookeeper_acl_test"},
                                            {"auth", kCredential, "zookeeper_acl_test"}};
  };
  backend.settle = std::chrono::seconds(10);
  backend.stress_rounds = 100;
  backend.severable = zk_severable;
  backend.members_vanish_from_outside = true;
  // An operator holding the credential deletes them.
  backend.delete_candidates = [](const std::vector<PluginConfig::Entry>& cluster) {
    std::string root;
    for (const auto& entry : cluster)
      if (entry.key == "root") root = entry.value;
    RawClient raw(kCredential);
    for (const std::string& name : raw.children(root + "/election")) {
      const std::string path = root + "/election/" + name;
      int rc = zoo_delete(raw.zh(), path.c_str(), -1);
      if (rc != ZOK && rc != ZNONODE) FAIL() << "delete " << path << ": " << zerror(rc);
    }
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(ZooKeeperWithAcl, BackendContract, ::testing::Values(zookeeper_with_acl()), backend_test_name);
INSTANTIATE_TEST_SUITE_P(ZooKeeperWithAcl, BackendContractDeletedCandidacy, ::testing::Values(zookeeper_with_acl()), backend_test_name);

class ZooKeeperAclTest : public ::testing::Test {
 protected:
  // An instance on this test's root; `auth` "" for none.
  std::unique_ptr<Backend> open(const std::string& auth) {
    std::vector<PluginConfig::Entry> entries = {{"connect", zk_connect(), "test"}, {"root", root_, "test"}};
    if (!auth.empty()) entries.push_back({"auth", auth, "test"});
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)), nullptr);
  }
  static bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // An owner with the credential: a member, leading, version 1 published, one intake record.
  std::unique_ptr<Backend> owner_with_state() {
    auto owner = open(kCredential);
    owner->join("server-a", "info-a");
    owner->campaign();
    EXPECT_TRUE(eventually([&] { return owner->leadership().is_leader == 1; }));
    owner->publish(owner->leadership().epoch, 1, "version one");
    owner->submit("record");
    return owner;
  }
  // A refusal names the znode (under this test's root) and the ACL.
  void expect_acl_refusal(const std::function<void()>& call, const std::string& what) {
    Failure failure = failure_of(call);
    EXPECT_EQ(failure.code, BERTH_E_PERMISSION) << what << ": " << failure.message;
    EXPECT_NE(failure.message.find(root_ + "/"), std::string::npos) << what << ": " << failure.message;
    EXPECT_NE(failure.message.find("ACL"), std::string::npos) << what << ": " << failure.message;
    EXPECT_EQ(failure.message.find("s3cret"), std::string::npos) << "never echo a password: " << failure.message;
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  std::string root_ = fresh_zk_root();
};

TEST_F(ZooKeeperAclTest, AMalformedCredentialIsAConfigErrorThatHidesThePassword) {
  for (const std::string bad : {"no-colon-s3cret", ":s3cret", "user:", "us\ner:s3cret"}) {
    Failure failure = failure_of([&] { open(bad); });
    EXPECT_EQ(failure.code, BERTH_E_CONFIG) << bad;
    EXPECT_NE(failure.message.find("auth"), std::string::npos) << failure.message;
    EXPECT_EQ(failure.message.find("s3cret"), std::string::npos) << "never echo a password: " << failure.message;
  }
}

TEST_F(ZooKeeperAclTest, EveryNodeUnderRootIsWritableOnlyByTheCredential) {
  auto owner = owner_with_state();
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  int nodes = 0;
  raw.walk(root_, [&](const std::string& path, const Stat&) {
    ++nodes;
    ACL_vector acl{};
    Stat stat;
    ASSERT_EQ(zoo_get_acl(raw.zh(), path.c_str(), &acl, &stat), ZOK) << path;
    bool digest_all = false, world_read = false, other = false;
    for (int32_t i = 0; i < acl.count; ++i) {
      const ACL& a = acl.data[i];
      if (std::strcmp(a.id.scheme, "digest") == 0 && std::strncmp(a.id.id, "berth:", 6) == 0 && a.perms == ZOO_PERM_ALL)
        digest_all = true;
      else if (std::strcmp(a.id.scheme, "world") == 0 && a.perms == ZOO_PERM_READ)
        world_read = true;
      else
        other = true;
    }
    deallocate_ACL_vector(&acl);
    EXPECT_TRUE(digest_all && world_read && !other) << path << ": digest berth -> ALL, world -> READ, nothing else";
  });
  // root, its 7 layout nodes, a member, a candidate, a version and its chunk, a record.
  EXPECT_GE(nodes, 13);
}

TEST_F(ZooKeeperAclTest, WithoutTheCredentialAnInstanceFollowsButCannotChangeAnything) {
  auto owner = owner_with_state();
  // The same user name with a wrong password is someone else: its check finds the owner's ACL
  // foreign at the root and it does not open at all.
  Failure wrong = failure_of([&] { open("berth:wrong"); });
  EXPECT_EQ(wrong.code, BERTH_E_PERMISSION) << wrong.message;
  EXPECT_NE(wrong.message.find(root_ + " "), std::string::npos) << wrong.message;
  EXPECT_NE(wrong.message.find("password in backend.auth does not match"), std::string::npos) << wrong.message;
  {
    auto intruder = open("");  // opening needs no write
    EXPECT_EQ(intruder->fetch(0), (std::pair<uint64_t, std::string>{1, "version one"})) << "world may read";
    EXPECT_EQ(intruder->members().size(), 1u);
    expect_acl_refusal([&] { intruder->join("server-x", "info-x"); }, "join");
    expect_acl_refusal([&] { intruder->campaign(); }, "campaign");
    expect_acl_refusal([&] { intruder->submit("forged"); }, "submit");
    Failure publish = failure_of([&] { intruder->publish(owner->leadership().epoch, 2, "forged"); });
    EXPECT_NE(publish.code, BERTH_OK) << "a publish without candidacy is fenced";
    EXPECT_EQ(intruder->leadership().is_leader, 0);
  }
  // A raw client without the credential cannot flip the pointer or delete a chunk either.
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string latest = root_ + "/snapshots/latest";
  EXPECT_EQ(zoo_set(raw.zh(), latest.c_str(), "x", 1, -1), ZNOAUTH);
  const std::string versions = root_ + "/snapshots/versions";
  auto dirs = raw.children(versions);
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(zoo_delete(raw.zh(), (versions + "/" + dirs[0] + "/0").c_str(), -1), ZNOAUTH);
  // Nothing was lost: the owner still reads version 1, its member and its record, and publishes.
  EXPECT_EQ(owner->fetch(0), (std::pair<uint64_t, std::string>{1, "version one"}));
  EXPECT_EQ(owner->members().size(), 1u);
  EXPECT_EQ(owner->drain(), std::vector<std::string>{"record"});
  owner->publish(owner->leadership().epoch, 2, "version two");
  EXPECT_EQ(owner->fetch(1).second, "version two");
}

TEST_F(ZooKeeperAclTest, AnotherHolderOfTheCredentialTakesOverAndPublishes) {
  // The ACL names the credential, not the session that created a node: a successor in another
  // session (another process, in production) can change what its predecessor wrote.
  auto owner = owner_with_state();
  auto successor = open(kCredential);
  successor->join("server-b", "info-b");
  successor->campaign();
  owner.reset();
  ASSERT_TRUE(eventually([&] { return successor->leadership().is_leader == 1; }));
  successor->publish(successor->leadership().epoch, 2, "version two");  // garbage-collects version 1
  EXPECT_EQ(successor->fetch(0), (std::pair<uint64_t, std::string>{2, "version two"}));
  EXPECT_EQ(successor->drain(), std::vector<std::string>{"record"});
}

TEST_F(ZooKeeperAclTest, AnEngineWithAWrongCredentialFailsToOpenWithAPermissionError) {
  auto owner = owner_with_state();
  berth_options* options = nullptr;
  ASSERT_EQ(berth_options_new(&options, nullptr), BERTH_OK);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"backend.name", "zookeeper"}, {"backend.connect", zk_connect()}, {"backend.root", root_},
           {"backend.auth", "berth:wrong"}})
    ASSERT_EQ(berth_options_set(options, key.c_str(), value.c_str(), nullptr), BERTH_OK) << key;
  berth_engine* engine = nullptr;
  berth_error* error = nullptr;
  EXPECT_EQ(berth_engine_open(options, &engine, &error), BERTH_E_PERMISSION);
  ASSERT_NE(error, nullptr);
  std::string message = berth_error_message(error);
  EXPECT_NE(message.find(root_ + " "), std::string::npos) << "names the root, whose ACL is another digest id's: " << message;
  EXPECT_NE(message.find("ACL"), std::string::npos) << message;
  berth_error_free(error);
  EXPECT_EQ(engine, nullptr);
  berth_options_free(options);
}

}  // namespace
}  // namespace berth::test
