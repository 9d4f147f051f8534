// Plugins that load but whose objects cannot be created: one that fails properly (a code and a
// message through the status) and one that throws a C++ exception straight through the C ABI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_test_support.h"
#include "plugin/instances.h"

namespace berth::test {
namespace {

using ::testing::HasSubstr;

// The Error that creating a policy from fixture `file` fails with.
Error create_error(const std::string& file, const PluginConfig& config = {}) {
  PluginRegistry registry(no_search_dirs());
  auto plugin = registry.load(BERTH_PLUGIN_POLICY, fixture_plugin(file).string());
  try {
    auto policy = std::make_shared<Policy>(plugin, config);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << file << ": create() succeeded but should have failed";
  return Error(BERTH_OK, "(created)");
}

TEST(PluginCreate, FailureCarriesThePluginsMessage) {
  Error error = create_error("failing_create.so");
  EXPECT_EQ(error.code(), BERTH_E_PLUGIN) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("policy 'failing_create'"));
  EXPECT_THAT(error.what(), HasSubstr(fixture_plugin("failing_create.so").string()));
  EXPECT_THAT(error.what(), HasSubstr("create"));
  EXPECT_THAT(error.what(), HasSubstr("fixture: the licence server is unreachable"));
}

TEST(PluginCreate, ConfigurationFailureStaysAConfigurationError) {
  PluginConfig config("policy", {{"code", std::to_string(BERTH_E_CONFIG), "test:1"}});
  Error error = create_error("failing_create.so", config);
  EXPECT_EQ(error.code(), BERTH_E_CONFIG) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("fixture: the licence server is unreachable"));
}

TEST(PluginCreate, ExceptionThrownThroughTheCAbiIsCaught) {
  Error error = create_error("throwing_create.so");
  EXPECT_EQ(error.code(), BERTH_E_PLUGIN) << error.what();
  EXPECT_THAT(error.what(), HasSubstr("policy 'throwing_create'"));
  EXPECT_THAT(error.what(), HasSubstr("create"));
  EXPECT_THAT(error.what(), HasSubstr("threw an exception across the C ABI"));
}

}  // namespace
}  // namespace berth::test
