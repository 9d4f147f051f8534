// Finding plugins by name in the registry's search directories, what it lists, and the built-in
// plugins loaded through the same ABI as anyone's.
#include <algorithm>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_test_support.h"

namespace berth::test {
namespace {

using ::testing::HasSubstr;

TEST(LoaderRegistry, UnknownNameListsTheSearchedDirectories) {
  TempDir first, second;
  PluginRegistry registry({first.path(), second.path()});
  Error error = load_error(registry, BERTH_PLUGIN_POLICY, "nope");
  EXPECT_EQ(error.code(), BERTH_E_NOT_FOUND) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("no policy plugin named 'nope'"));
  EXPECT_THAT(error.what(), HasSubstr("berth_policy_nope.so"));
  EXPECT_THAT(error.what(), HasSubstr(first.path().string()));
  EXPECT_THAT(error.what(), HasSubstr(second.path().string()));
}

TEST(LoaderRegistry, UnknownNameWithNoSearchDirectories) {
  PluginRegistry registry(no_search_dirs());
  Error error = load_error(registry, BERTH_PLUGIN_APPRAISER, "nope");
  EXPECT_EQ(error.code(), BERTH_E_NOT_FOUND) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("no directories"));
}

TEST(LoaderRegistry, LoadsByFileNameFromTheFirstDirectoryHoldingIt) {
  TempDir first, second;
  second.copy(fixture_plugin("valid_policy.so"), "berth_policy_valid_policy.so");
  auto wanted = first.copy(fixture_plugin("valid_policy.so"), "berth_policy_valid_policy.so");
  PluginRegistry registry({first.path(), second.path()});
  auto plugin = registry.load(BERTH_PLUGIN_POLICY, "valid_policy");
  EXPECT_EQ(plugin->path, wanted);
  EXPECT_EQ(plugin->name, "valid_policy");
}

TEST(LoaderRegistry, DescriptorNameMustMatchTheNameAskedFor) {
  TempDir dir;
  auto copy = dir.copy(fixture_plugin("valid_policy.so"), "berth_policy_x.so");
  PluginRegistry registry({dir.path()});
  Error error = load_error(registry, BERTH_PLUGIN_POLICY, "x");
  EXPECT_EQ(error.code(), BERTH_E_PLUGIN) << error.what();
  EXPECT_THAT(error.what(), HasSubstr(copy.string()));
  EXPECT_THAT(error.what(), HasSubstr("calls itself 'valid_policy', not 'x'"));
}

TEST(LoaderRegistry, DescriptorNameMustMatchEvenWhenAlreadyLoadedByPath) {
  // Loading by path names no plugin, so it is accepted; asking for it by another name afterwards
  // is answered from the cache and must still be refused.
  TempDir dir;
  auto copy = dir.copy(fixture_plugin("valid_policy.so"), "berth_policy_x.so");
  PluginRegistry registry({dir.path()});
  auto by_path = registry.load(BERTH_PLUGIN_POLICY, copy.string());
  Error error = load_error(registry, BERTH_PLUGIN_POLICY, "x");
  EXPECT_EQ(error.code(), BERTH_E_PLUGIN) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("calls itself 'valid_policy', not 'x'"));
}

TEST(LoaderRegistry, AvailableListsPluginsByFileName) {
  TempDir dir;
  auto valid = fixture_plugin("valid_policy.so");
  dir.copy(valid, "berth_policy_alpha.so");
  dir.copy(valid, "berth_appraiser_beta.so");
  dir.copy(valid, "berth_backend_gamma.so");
  // Not plugins by their names.
  dir.copy(valid, "libberth_policy_delta.so");
  dir.copy(valid, "berth_policy_epsilon.so.1");
  dir.copy(valid, "berth_gizmo_zeta.so");
  std::filesystem::create_directory(dir.path() / "berth_policy_eta.so.d");
  TempDir missing;
  PluginRegistry registry({dir.path(), missing.path() / "does-not-exist"});

  std::vector<std::string> found;
  for (const auto& plugin : registry.available()) {
    std::ostringstream line;
    line << kind_name(plugin.kind) << " " << plugin.name << " " << plugin.path.filename().string();
    found.push_back(line.str());
    EXPECT_EQ(plugin.path.parent_path(), dir.path());
  }
  EXPECT_THAT(found, ::testing::UnorderedElementsAre("policy alpha berth_policy_alpha.so",
                                                     "appraiser beta berth_appraiser_beta.so",
                                                     "backend gamma berth_backend_gamma.so"));
}

// Every built-in plugin of this build (the BERTH_PLUGINS targets, comma-separated) is found by name in the default
// search directory (next to the code, no environment variable) and passes the loader's checks.
TEST(LoaderRegistry, BuiltinPluginsAreAvailableAndLoadByName) {
  std::vector<std::string> targets;
  std::istringstream list(BERTH_BUILTIN_PLUGINS);
  for (std::string target; std::getline(list, target, ',');)
    if (!target.empty()) targets.push_back(target);
  if (targets.empty()) GTEST_SKIP() << "this build has no built-in plugins yet";

  PluginRegistry registry;  // the default: builtin_plugin_dir()
  auto available = registry.available();
  for (const std::string& target : targets) {
    auto it = std::find_if(available.begin(), available.end(), [&](const PluginRegistry::Available& a) {
      return "berth_" + std::string(kind_name(a.kind)) + "_" + a.name == target;
    });
    ASSERT_NE(it, available.end()) << target << " is not in " << builtin_plugin_dir();
    try {
      auto plugin = registry.load(it->kind, it->name);
      EXPECT_EQ(plugin->name, it->name);
      EXPECT_EQ(plugin->abi_major, BERTH_ABI_MAJOR);
      EXPECT_FALSE(plugin->version.empty()) << target << " has no version";
    } catch (const Error& e) {
      ADD_FAILURE() << target << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace berth::test
