// weighted's rendezvous choice against its definition: every candidate scored with portable_ln,
// the highest score winning and an exact tie going to the smaller key. choose() skips most
// scores (grouping servers by weight, vectorised draws); it must pick the same server every time,
// or an upgrade would move streams without a behaviour version bump.
#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "placement_fixture.h"
#include "rendezvous.h"

namespace berth::policy_test {
namespace {

using weighted::mix64;
using weighted::portable_ln;
using weighted::Rendezvous;
using weighted::server_key;

// The definition, with nothing skipped.
uint32_t by_definition(const Servers& servers, uint64_t stream_hash) {
  double best = -std::numeric_limits<double>::infinity();
  uint32_t winner = BERTH_NO_SERVER;
  uint64_t winner_key = 0;
  for (uint32_t j = 0; j < servers.count(); ++j) {
    const berth_server_set& view = servers.view();
    const uint64_t key =
        server_key({view.id_arena + view.id_offsets[j], view.id_offsets[j + 1] - view.id_offsets[j]});
    const uint64_t draw = mix64(stream_hash ^ key);
    const double u = (static_cast<double>(draw >> 11) + 0.5) * 0x1p-53;
    const double score = portable_ln(u) * (1.0 / servers.capacity(j));
    if (winner == BERTH_NO_SERVER || score > best || (score == best && key < winner_key)) {
      best = score;
      winner = j;
      winner_key = key;
    }
  }
  return winner;
}

void expect_definition(const Servers& servers, const std::string& what) {
  std::vector<uint32_t> all(servers.count());
  for (uint32_t j = 0; j < servers.count(); ++j) all[j] = j;
  const Rendezvous rendezvous(servers.view(), all);
  std::mt19937_64 rng(99);
  for (int k = 0; k < 20000; ++k) {
    const uint64_t h = rng();
    ASSERT_EQ(rendezvous.choose(h), by_definition(servers, h)) << what << ", stream hash " << h;
    ASSERT_EQ(rendezvous.choose_among(h, all), by_definition(servers, h)) << what << ", stream hash " << h;
  }
}

TEST(Rendezvous, ChoosesByTheDefinitionWithEqualWeights) { expect_definition(Servers::equal(300), "equal weights"); }

TEST(Rendezvous, ChoosesByTheDefinitionWithAFewDistinctWeights) {
  std::mt19937_64 rng(1);
  std::vector<double> capacity(300);
  for (double& c : capacity) c = static_cast<double>(uniform(rng, 1, 4));
  expect_definition(Servers(capacity), "weights 1..4");
}

TEST(Rendezvous, ChoosesByTheDefinitionWithAllWeightsDistinct) {
  std::mt19937_64 rng(2);
  std::vector<double> capacity(200);
  for (double& c : capacity) c = std::uniform_real_distribution<double>(0.5, 4.0)(rng);
  expect_definition(Servers(capacity), "distinct weights");
}

}  // namespace
}  // namespace berth::policy_test
