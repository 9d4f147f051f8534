// Inputs that once broke (or could break) the snapshot decoder, kept as bytes in source: each must
// fail with a clear BERTH_E_CORRUPT, never crash. New ones come from the snapshot_decoder_fuzz
// test (tests/fuzz/run_fuzzer.cmake prints where it saved a crashing input).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "snapshot/codec.h"

namespace berth {
namespace {

struct Case {
  const char* name;
  std::vector<unsigned char> bytes;
};

int32_t decode_code(const std::vector<unsigned char>& bytes, std::string* message) {
  try {
    decode_snapshot(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    return BERTH_OK;
  } catch (const Error& e) {
    *message = e.what();
    return e.code();
  }
}

TEST(SnapshotDecoderRegression, HostileInputsFailCleanly) {
  const std::vector<Case> cases = {
      // A packed segment table claiming 2^32-1 segments.
      {"huge segment count", {0x10, 0xff, 0xff, 0xff, 0xff}},
      // One segment of 0x7fffffff words: the reader must refuse before allocating it.
      {"huge segment size", {0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f, 0x00}},
      // A root pointer to a struct far beyond the segment.
      {"root out of bounds", {0x51, 0x01, 0x01, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string message;
    EXPECT_EQ(decode_code(c.bytes, &message), BERTH_E_CORRUPT) << c.name << ": " << message;
  }
}

// Found by the fuzzer: a message whose segment table promises more segments than the bytes hold.
// The decoder built a snapshot, then the reader's destructor threw (premature end of input) after
// `return` had made the result, which leaked (LeakSanitizer). The ASan build runs this test.
TEST(SnapshotDecoderRegression, ATruncatedSecondSegmentFailsWithoutLeaking) {
  const std::vector<unsigned char> bytes = {
      0x11, 0x18, 0x40, 0x60, 0x12, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  std::string message;
  EXPECT_EQ(decode_code(bytes, &message), BERTH_E_CORRUPT) << message;
  EXPECT_NE(message.find("do not decode"), std::string::npos) << message;
}

}  // namespace
}  // namespace berth
