// Shared by the `zookeeper` backend tests: one real ZooKeeper server per test binary (or the one
// BERTH_TEST_ZK=host:port names), a root znode per test, and a plain C-client session to look at
// (and tamper with) the tree from outside.
#pragma once

#include <zookeeper/zookeeper.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backend/backend_contract.h"
#include "zookeeper/test_bytes.h"

namespace berth::test {

// host:port of the server every test of this binary uses (set before the first test runs).
const std::string& zk_connect();

// An instance of `cluster` that connects through a proxy, with a 1 s session: severing blocks the
// proxy, and the server expires the session while the instance lives on.
BackendUnderTest::Severable zk_severable(const std::vector<PluginConfig::Entry>& cluster);

// A root znode no other test uses: "/berth-test/<prefix>-<test>-<n>".
std::string fresh_zk_root();

class RawClient {
 public:
  // `auth`: a digest credential "user:password" to present, "" for none.
  explicit RawClient(const std::string& auth = "");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  zhandle_t* zh() const { return zh_; }

  std::vector<std::string> children(const std::string& path) const;
  // Calls visit(path, stat) for `path` and everything below it.
  void walk(const std::string& path, const std::function<void(const std::string&, const Stat&)>& visit) const;

 private:
  zhandle_t* zh_ = nullptr;
};

}  // namespace berth::test
