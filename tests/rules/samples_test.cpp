// Every sample under samples/rules evaluates cleanly against the cluster `berth rules check`
// simulates, and the default policy then places every constrained stream where it is allowed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/rules_cluster.h"
#include "engine/refresh.h"

namespace berth::testing {
namespace {

std::vector<std::filesystem::path> samples() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(BERTH_SOURCE_DIR) / "samples" / "rules"))
    if (entry.path().extension() == ".lua") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RulesSamples, EverySampleRunsCleanAndIsHonoured) {
  ASSERT_GE(samples().size(), 5u);
  PluginRegistry registry;
  tools::ClusterSource source;
  tools::Cluster cluster = tools::load_cluster(source, registry, "sticky");
  const Snapshot& base = *cluster.snapshot;
  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, "sticky"), PluginConfig("policy", {}));
  for (const auto& path : samples()) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto rules = rules::RuleSet::compile(path.filename().string(), text.str());
    RefreshResult next = compute_refresh_with(&base, base.servers, PendingChanges{}, appraiser, *policy, base.meta,
                                              std::make_shared<ServerNames>(), rules.get());
    std::string problems;
    for (const auto& p : next.rules.problems) problems += p.message + "\n";
    EXPECT_EQ(next.rules.problem_count, 0u) << problems;
    EXPECT_GT(next.rules.constrained_streams + (text.str().find("scale") != std::string::npos), 0u);
    EXPECT_EQ(next.rules.violations, 0u);
    EXPECT_EQ(next.snapshot->meta.rules_hash, rules->hash());
  }
}

}  // namespace
}  // namespace berth::testing
