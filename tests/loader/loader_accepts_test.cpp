// Valid plugins: what the loader copies out of them, and that a plugin declaring only the sizes
// the host requires (what a plugin built against an older minor declares) loads with every field
// it does not have read as zero.
#include <cstring>

#include <gtest/gtest.h>

#include "loader_test_support.h"
#include "plugin/instances.h"
#include "plugin_inputs.h"

namespace berth::test {
namespace {

// True when every byte of `table` from offset `from` on is zero.
template <class T>
bool zero_from(const T& table, size_t from) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&table);
  for (size_t i = from; i < sizeof(T); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

TEST(LoaderAccepts, ValidPolicyIsCopiedIntoTheHostsTables) {
  PluginRegistry registry(no_search_dirs());
  auto path = fixture_plugin("valid_policy.so");
  auto plugin = registry.load(BERTH_PLUGIN_POLICY, path.string());
  EXPECT_EQ(plugin->path, path);
  EXPECT_EQ(plugin->kind, BERTH_PLUGIN_POLICY);
  EXPECT_EQ(plugin->name, "valid_policy");
  EXPECT_EQ(plugin->version, "1.2.3");
  EXPECT_EQ(plugin->abi_major, BERTH_ABI_MAJOR);
  EXPECT_EQ(plugin->abi_minor, BERTH_ABI_MINOR);
  EXPECT_EQ(plugin->policy.behaviour_version, 1u);
  // The host table handed to the plugin is complete and attributes log lines to it.
  EXPECT_EQ(plugin->host.struct_size, BERTH_SIZE_THROUGH(berth_host_api, host_data));
  EXPECT_EQ(plugin->host.abi_major, BERTH_ABI_MAJOR);
  EXPECT_EQ(plugin->host.abi_minor, BERTH_ABI_MINOR);
  EXPECT_NE(plugin->host.status_set, nullptr);
  EXPECT_NE(plugin->host.sink_write, nullptr);
  EXPECT_NE(plugin->host.sink_item, nullptr);
  EXPECT_NE(plugin->host.log, nullptr);
  EXPECT_EQ(plugin->host.host_data, &plugin->name);
  // Only the table of its own kind is filled in.
  EXPECT_TRUE(zero_from(plugin->appraiser, 0));
  EXPECT_TRUE(zero_from(plugin->backend, 0));
}

TEST(LoaderAccepts, RequiredSizesOnlyAndMinorZero) {
  PluginRegistry registry(no_search_dirs());
  auto plugin = registry.load(BERTH_PLUGIN_POLICY, fixture_plugin("required_size_policy.so").string());
  EXPECT_EQ(plugin->abi_minor, 0);
  EXPECT_EQ(plugin->policy.struct_size, BERTH_SIZE_THROUGH(berth_policy_functions, placer_destroy));
  EXPECT_EQ(plugin->policy.behaviour_version, 7u);
  // Fields appended after the plugin's declared size must read as zero, even when the plugin's
  // own table has something there (this one has a default_owners it never declared).
  EXPECT_TRUE(zero_from(plugin->policy, plugin->policy.struct_size));
  EXPECT_EQ(plugin->policy.default_owners, nullptr);

  // And it works through the host's copy of its table.
  auto policy = std::make_shared<Policy>(plugin, PluginConfig{});
  ServerSet servers({{"a", BERTH_SERVER_DRAINING}, {"b", BERTH_SERVER_UP}});
  StreamSet streams(3);
  std::vector<double> load(streams.count(), 1.0);
  std::vector<uint32_t> previous(streams.count(), BERTH_NO_SERVER);
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view(),
                                  &streams.view(), load.data(), previous.data(), nullptr};
  policy->rebalance(request, owner.data());
  EXPECT_EQ(owner, std::vector<uint32_t>(3, 1u));
  EXPECT_FALSE(policy->has_default_owners());
  EXPECT_THROW(policy->default_owners(servers.view(), 0, nullptr, nullptr), Error);
}

}  // namespace
}  // namespace berth::test
