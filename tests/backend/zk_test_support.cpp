#include "backend/zk_test_support.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "backend/backend_contract.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

std::string g_connect;

class ZkEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (const char* existing = std::getenv("BERTH_TEST_ZK"); existing != nullptr && *existing != '\0') {  // NOLINT
      g_connect = existing;
      return;
    }
    try {
      server_ = std::make_unique<ZkServer>();
      g_connect = server_->connect_string();
    } catch (const std::exception& e) {
      FAIL() << "cannot start a ZooKeeper server: " << e.what();
    }
  }
  void TearDown() override { server_.reset(); }

 private:
  std::unique_ptr<ZkServer> server_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ZkEnvironment);

void ignore_auth_answer(int, const void*) {}

}  // namespace

const std::string& zk_connect() { return g_connect; }

BackendUnderTest::Severable zk_severable(const std::vector<PluginConfig::Entry>& cluster) {
  const size_t colon = g_connect.rfind(':');
  auto proxy = std::make_shared<TcpProxy>(g_connect.substr(0, colon), std::stoi(g_connect.substr(colon + 1)));
  BackendUnderTest::Severable out;
  for (const PluginConfig::Entry& e : cluster)
    if (e.key != "connect" && e.key != "session_timeout") out.entries.push_back(e);
  out.entries.push_back({"connect", proxy->connect_string(), "zk_severable"});
  out.entries.push_back({"session_timeout", "1s", "zk_severable"});
  out.sever = [proxy](Backend&) { proxy->set_blocked(true); };
  return out;
}

std::string fresh_zk_root() { return "/berth-test/" + unique_cluster_name("t"); }

RawClient::RawClient(const std::string& auth) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  zh_ = zookeeper_init(g_connect.c_str(), nullptr, 4000, nullptr, nullptr, 0);
  for (int i = 0; i < 500 && zh_ != nullptr && zoo_state(zh_) != ZOO_CONNECTED_STATE; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Requests on one session are answered in order: the credential is in force for the next call.
  if (zh_ != nullptr && !auth.empty())
    zoo_add_auth(zh_, "digest", auth.data(), static_cast<int>(auth.size()), ignore_auth_answer, nullptr);
}

RawClient::~RawClient() {
  if (zh_ != nullptr) zookeeper_close(zh_);
}

std::vector<std::string> RawClient::children(const std::string& path) const {
  String_vector names{};
  std::vector<std::string> out;
  if (zoo_get_children(zh_, path.c_str(), 0, &names) != ZOK) return out;
  for (int32_t i = 0; i < names.count; ++i) out.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  std::sort(out.begin(), out.end());
  return out;
}

void RawClient::walk(const std::string& path,
                     const std::function<void(const std::string&, const Stat&)>& visit) const {
  Stat stat;
  if (zoo_exists(zh_, path.c_str(), 0, &stat) != ZOK) return;
  visit(path, stat);
  for (const std::string& child : children(path)) walk(path + "/" + child, visit);
}

}  // namespace berth::test
