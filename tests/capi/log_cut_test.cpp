// A line longer than the queue's bound is cut before the bound, and never inside a UTF-8 character.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/log.h"

namespace {

// The queued message of one line logged while a queue is open.
std::string queued(const std::string& message) {
  const uint64_t generation = berth::log_queue::open(4);
  EXPECT_NE(generation, 0u);
  berth::log_from("cut-test", spdlog::level::err, message);
  std::vector<berth::LogRecord> out;
  EXPECT_TRUE(berth::log_queue::poll(generation, out, 4, std::chrono::milliseconds(0)));
  berth::log_queue::close(generation);
  EXPECT_EQ(out.size(), 1u);
  return out.empty() ? std::string() : out.front().message;
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(LogCut, ALongMultibyteLineIsCutAtACharacterBoundaryWithinTheBound) {
  // "é" is 2 bytes, "€" 3, "𝄞" 4: one of each offset puts the bound inside a character.
  for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E"}) {
    for (size_t lead = 0; lead < ch.size(); ++lead) {
      std::string message(lead, 'a');
      while (message.size() < berth::kMaxLogMessageBytes + 64) message += ch;
      const std::string got = queued(message);
      EXPECT_LE(got.size(), berth::kMaxLogMessageBytes);
      EXPECT_GT(got.size(), berth::kMaxLogMessageBytes - ch.size()) << "more was cut than one character";
      EXPECT_TRUE(valid_utf8(got)) << ch.size() << "-byte characters after " << lead << " ASCII bytes";
      EXPECT_EQ(got, message.substr(0, got.size()));
    }
  }
}

TEST(LogCut, ALineWithinTheBoundIsKeptWhole) {
  const std::string message(berth::kMaxLogMessageBytes, 'x');
  EXPECT_EQ(queued(message), message);
}

}  // namespace
