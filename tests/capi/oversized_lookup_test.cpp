// Lookups of ids longer than any stream may have, through the engine itself (as the CLI and any
// C++ embedder call it): refused every time, single or batched, and nothing of them is kept.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/engine_fixture.h"
#include "engine/intake.h"

namespace berth::testing {
namespace {

int32_t code_of_lookup(Engine& e, std::string_view id) {
  try {
    e.lookup(id);
    return BERTH_OK;
  } catch (const Error& err) {
    return err.code();
  }
}

// Resident memory of this process in bytes (/proc/self/statm, second field).
size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

class OversizedLookup : public ClusterFixture {
 protected:
  void SetUp() override {
    start(1);
    add_servers(1);
    refresh_and_converge();
  }
};

TEST_F(OversizedLookup, IsRefusedEveryTime) {
  const std::string id(kMaxIdBytes + 1, 'x');
  for (int attempt = 0; attempt < 3; ++attempt)
    EXPECT_EQ(code_of_lookup(*nodes_[0], id), BERTH_E_INVALID_ARGUMENT) << "attempt " << attempt;
  EXPECT_EQ(code_of_lookup(*nodes_[0], std::string(kMaxIdBytes, 'y')), BERTH_OK);
}

TEST_F(OversizedLookup, IsRefusedInABatchEveryTime) {
  const std::string id(kMaxIdBytes + 1, 'x');
  const std::string_view views[] = {"small", id};
  const char* owners[2] = {nullptr, nullptr};
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      nodes_[0]->lookup_batch(views, 2, owners);
      ADD_FAILURE() << "attempt " << attempt << ": a batch with an id of " << id.size() << " bytes was answered";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << e.what();
      EXPECT_NE(std::string(e.what()).find("65537 bytes"), std::string::npos) << e.what();
    }
  }
}

TEST_F(OversizedLookup, KeepsNothingOfTheRefusedIds) {
  // 256 distinct 1 MiB ids: kept until the next version, they would add 256 MiB.
  std::string id(size_t{1} << 20, 'z');
  (void)code_of_lookup(*nodes_[0], "warm-up");
  const size_t before = resident_bytes();
  for (int i = 0; i < 256; ++i) {
    const std::string tag = std::to_string(i);
    id.replace(0, tag.size(), tag);
    EXPECT_EQ(code_of_lookup(*nodes_[0], id), BERTH_E_INVALID_ARGUMENT);
  }
  const size_t after = resident_bytes();
  EXPECT_LT(after, before + (size_t{64} << 20)) << "resident memory grew from " << before << " to " << after << " bytes";
}

}  // namespace
}  // namespace berth::testing
