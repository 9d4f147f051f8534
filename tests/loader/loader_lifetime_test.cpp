// One LoadedPlugin per file while it is alive, and a plugin stays mapped for as long as anything
// it created is alive, however the references to it were dropped.
#include <gtest/gtest.h>

#include "loader_test_support.h"
#include "plugin/instances.h"
#include "plugin_inputs.h"

namespace berth::test {
namespace {

TEST(LoaderLifetime, SamePathTwiceGivesTheSamePlugin) {
  PluginRegistry registry(no_search_dirs());
  std::string path = fixture_plugin("valid_policy.so").string();
  auto first = registry.load(BERTH_PLUGIN_POLICY, path);
  auto second = registry.load(BERTH_PLUGIN_POLICY, path);
  EXPECT_EQ(first.get(), second.get());
}

TEST(LoaderLifetime, ByNameAndByPathGiveTheSamePlugin) {
  TempDir dir;
  auto copy = dir.copy(fixture_plugin("valid_policy.so"), "berth_policy_valid_policy.so");
  PluginRegistry registry({dir.path()});
  auto by_name = registry.load(BERTH_PLUGIN_POLICY, "valid_policy");
  // A path spelled differently (with "/./") still names the same file.
  auto by_path = registry.load(BERTH_PLUGIN_POLICY, (dir.path() / "." / copy.filename()).string());
  EXPECT_EQ(by_name.get(), by_path.get());
}

TEST(LoaderLifetime, UnmappedOnceTheLastReferenceGoesAndLoadableAgain) {
  PluginRegistry registry(no_search_dirs());
  auto path = fixture_plugin("valid_policy.so");
  ASSERT_FALSE(is_mapped(path)) << "an earlier test leaked a reference to " << path;
  auto plugin = registry.load(BERTH_PLUGIN_POLICY, path.string());
  EXPECT_TRUE(is_mapped(path));
  plugin.reset();
  EXPECT_FALSE(is_mapped(path));
  plugin = registry.load(BERTH_PLUGIN_POLICY, path.string());
  EXPECT_TRUE(is_mapped(path));
  EXPECT_EQ(plugin->name, "valid_policy");
}

TEST(LoaderLifetime, NeverUnloadedWhileAnObjectItCreatedIsAlive) {
  auto path = fixture_plugin("valid_policy.so");
  ASSERT_FALSE(is_mapped(path)) << "an earlier test leaked a reference to " << path;
  std::shared_ptr<Policy> policy;
  {
    PluginRegistry registry(no_search_dirs());
    policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, path.string()), PluginConfig{});
  }  // the registry and every other reference to the LoadedPlugin are gone
  EXPECT_TRUE(is_mapped(path));

  // A placer keeps its policy (and so the plugin) alive in turn.
  ServerSet servers({{"a", BERTH_SERVER_UP}});
  std::vector<double> server_load{0.0};
  auto placer = policy->make_placer(servers.view(), server_load.data());
  policy.reset();
  EXPECT_TRUE(is_mapped(path));
  EXPECT_EQ(placer->place(42, 1.0), 0u);  // calls into the plugin still work

  placer.reset();
  EXPECT_FALSE(is_mapped(path));
}

}  // namespace
}  // namespace berth::test
