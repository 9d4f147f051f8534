// Every rejection the loader must make, each with a real shared object broken on purpose and
// loaded end to end by path. The error must carry the right code, name the file, and say why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_test_support.h"

namespace berth::test {
namespace {

using ::testing::HasSubstr;

// Loads fixture `file` as `kind` and checks the error names the file and contains `reason`.
Error expect_rejected(const std::string& file, int32_t kind, int32_t code, const std::string& reason) {
  PluginRegistry registry(no_search_dirs());
  std::string path = fixture_plugin(file).string();
  Error error = load_error(registry, kind, path);
  EXPECT_EQ(error.code(), code) << error.what();
  EXPECT_THAT(error.what(), HasSubstr(path));
  EXPECT_THAT(error.what(), HasSubstr(reason));
  return error;
}

TEST(LoaderRejects, TextFileNamedLikeASharedObject) {
  // dlerror()'s reason, and nothing after it (Boost.DLL appends an unrelated errno text).
  std::string path = fixture_plugin("not_a_shared_object.so").string();
  Error error = expect_rejected("not_a_shared_object.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                                "not a loadable shared object: " + path + ": invalid ELF header");
  EXPECT_THAT(error.what(), ::testing::EndsWith("invalid ELF header"));
}

TEST(LoaderRejects, UnresolvedSymbolAtLoadTimeNotAtFirstCall) {
  expect_rejected("unresolved_symbol.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "undefined symbol: berth_fixture_defined_nowhere");
}

TEST(LoaderRejects, NoEntrySymbol) {
  expect_rejected("no_entry_symbol.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN, "no entry symbol 'berth_plugin_entry'");
}

TEST(LoaderRejects, EntryReturningNull) {
  expect_rejected("null_entry.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN, "berth_plugin_entry returned NULL");
}

TEST(LoaderRejects, EntryThrowingAcrossTheCAbi) {
  expect_rejected("throwing_entry.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "entry symbol threw an exception across the C ABI");
}

TEST(LoaderRejects, WrongAbiMajor) {
  expect_rejected("wrong_abi_major.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "built for ABI major " + std::to_string(BERTH_ABI_MAJOR + 1) + ", this host speaks " +
                      std::to_string(BERTH_ABI_MAJOR));
}

TEST(LoaderRejects, NewerAbiMinor) {
  std::string host = std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(BERTH_ABI_MINOR);
  std::string plugin = std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(BERTH_ABI_MINOR + 1);
  expect_rejected("newer_abi_minor.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "built for ABI " + plugin + ", newer than this host's " + host);
}

TEST(LoaderRejects, DescriptorShorterThanRequired) {
  expect_rejected("short_descriptor.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "descriptor is " + std::to_string(BERTH_SIZE_THROUGH(berth_plugin_descriptor, version)) +
                      " bytes, at least " +
                      std::to_string(BERTH_SIZE_THROUGH(berth_plugin_descriptor, functions)) + " required");
}

TEST(LoaderRejects, DescriptorWithoutName) {
  expect_rejected("nameless_descriptor.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN, "descriptor has no name");
}

TEST(LoaderRejects, FunctionTableShorterThanRequired) {
  expect_rejected("short_function_table.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN,
                  "policy function table is " + std::to_string(BERTH_SIZE_THROUGH(berth_policy_functions, place)) +
                      " bytes, at least " +
                      std::to_string(BERTH_SIZE_THROUGH(berth_policy_functions, placer_destroy)) + " required");
}

TEST(LoaderRejects, RequiredFunctionMissing) {
  expect_rejected("missing_function.so", BERTH_PLUGIN_POLICY, BERTH_E_PLUGIN, "required function 'place' is missing");
}

TEST(LoaderRejects, PolicyLoadedAsAppraiser) {
  expect_rejected("valid_policy.so", BERTH_PLUGIN_APPRAISER, BERTH_E_PLUGIN, "kind is policy, not appraiser");
}

TEST(LoaderRejects, PolicyLoadedAsAppraiserWhileAlreadyLoadedAsPolicy) {
  // The second load is answered from the registry's cache: it must check the kind all the same.
  PluginRegistry registry(no_search_dirs());
  std::string path = fixture_plugin("valid_policy.so").string();
  auto policy = registry.load(BERTH_PLUGIN_POLICY, path);
  Error error = load_error(registry, BERTH_PLUGIN_APPRAISER, path);
  EXPECT_EQ(error.code(), BERTH_E_PLUGIN);
  EXPECT_THAT(error.what(), HasSubstr(path));
  EXPECT_THAT(error.what(), HasSubstr("kind is policy, not appraiser"));
}

TEST(LoaderRejects, MissingFile) {
  PluginRegistry registry(no_search_dirs());
  std::string path = (std::filesystem::path(BERTH_FIXTURE_PLUGIN_DIR) / "no_such_plugin.so").string();
  Error error = load_error(registry, BERTH_PLUGIN_POLICY, path);
  EXPECT_EQ(error.code(), BERTH_E_NOT_FOUND) << error.what();
  EXPECT_THAT(error.what(), HasSubstr(path));
  EXPECT_THAT(error.what(), HasSubstr("no such file"));
}

}  // namespace
}  // namespace berth::test
