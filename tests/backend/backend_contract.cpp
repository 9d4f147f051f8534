#include "backend/backend_contract.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

#include "common/error.h"

// A binary may link the suite for its helpers without instantiating it.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendContract);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendContractDeletedCandidacy);

namespace berth::test {

void PrintTo(const BackendUnderTest& backend, std::ostream* os) { *os << "backend '" << backend.plugin << "'"; }

std::string backend_test_name(const ::testing::TestParamInfo<BackendUnderTest>& info) {
  std::string name;
  for (char c : info.param.plugin) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

std::string unique_cluster_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name(prefix);
  if (test != nullptr) {
    std::string full = std::string(test->test_suite_name()) + "." + test->name();
    std::replace_if(full.begin(), full.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    name += "-" + full;
  }
  return name + "-" + std::to_string(counter.fetch_add(1));
}

Failure failure_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

void BackendContract::SetUp() {
  plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, GetParam().plugin);
  cluster_ = GetParam().fresh_cluster();
}

std::unique_ptr<Backend> BackendContract::open(const WatchCounter* counter) { return open_with({}, counter); }

std::unique_ptr<Backend> BackendContract::open_with(const std::vector<PluginConfig::Entry>& extra,
                                                    const WatchCounter* counter) {
  std::vector<PluginConfig::Entry> entries = cluster_;
  entries.insert(entries.end(), extra.begin(), extra.end());
  return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)),
                                   counter != nullptr ? counter->watch() : nullptr);
}

uint64_t BackendContract::lead(Backend& backend) const {
  backend.campaign();
  if (!eventually([&] { return backend.leadership().is_leader == 1; }))
    ADD_FAILURE() << "the only candidate did not come to lead within " << settle().count() << " ms";
  return backend.leadership().epoch;
}

std::vector<std::string> BackendContract::drain_until(Backend& leader, size_t count) const {
  std::vector<std::string> all;
  eventually([&] {
    for (std::string& record : leader.drain()) all.push_back(std::move(record));
    return all.size() >= count;
  });
  return all;
}

bool BackendContract::eventually(const std::function<bool()>& condition) const {
  auto deadline = std::chrono::steady_clock::now() + settle();
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> BackendContract::sorted_members(Backend& backend) {
  auto members = backend.members();
  std::sort(members.begin(), members.end());
  return members;
}

std::vector<std::string> BackendContract::member_ids(Backend& backend) {
  std::vector<std::string> ids;
  for (auto& [id, info] : sorted_members(backend)) ids.push_back(std::move(id));
  return ids;
}

}  // namespace berth::test
