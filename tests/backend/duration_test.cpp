// The one duration syntax of Berth's configuration (berth/duration.hpp): the engine's keys, the
// file backend's `poll` and the zookeeper backend's `session_timeout` all take it.
#include "berth/duration.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace {

using berth::plugin::parse_duration;
using std::chrono::milliseconds;

milliseconds parsed(const std::string& text) {
  const auto result = parse_duration(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.problem;
  return result.value;
}

std::string problem_of(const std::string& text) {
  const auto result = parse_duration(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << result.value.count() << " ms";
  return result.problem;
}

TEST(Duration, EveryUnitScalesToMilliseconds) {
  EXPECT_EQ(parsed("500ms"), milliseconds(500));
  EXPECT_EQ(parsed("4s"), milliseconds(4000));
  EXPECT_EQ(parsed("2m"), milliseconds(120000));
  EXPECT_EQ(parsed("1h"), milliseconds(3600000));
}

TEST(Duration, ABareNumberIsSeconds) {
  EXPECT_EQ(parsed("120"), milliseconds(120000));
  EXPECT_EQ(parsed("0"), milliseconds(0));
}

TEST(Duration, FractionsAndExponentsRoundToTheNearestMillisecond) {
  EXPECT_EQ(parsed("1.5s"), milliseconds(1500));
  EXPECT_EQ(parsed(".25s"), milliseconds(250));
  EXPECT_EQ(parsed("2.s"), milliseconds(2000));
  EXPECT_EQ(parsed("1e3ms"), milliseconds(1000));
  EXPECT_EQ(parsed("2E-1s"), milliseconds(200));
  EXPECT_EQ(parsed("1.4ms"), milliseconds(1));
  EXPECT_EQ(parsed("1.6ms"), milliseconds(2));
}

TEST(Duration, RefusesWhatIsNotADecimalNumberWithAUnit) {
  for (const char* text : {"", "s", "ms", "-1s", "+1s", " 4s", "4s ", "4 s", "0x10", "0x10s", "inf", "nan", "infs",
                           ".s", "e3s", "1e", "1e+s"}) {
    const std::string problem = problem_of(text);
    EXPECT_NE(problem.find("'" + std::string(text) + "'"), std::string::npos) << "quotes the text: " << problem;
  }
}

TEST(Duration, NamesAnUnknownUnit) {
  const std::string problem = problem_of("5 fortnights");
  EXPECT_NE(problem.find("unknown unit ' fortnights'"), std::string::npos) << problem;
  EXPECT_NE(problem.find("ms, s, m or h"), std::string::npos) << "lists the units: " << problem;
  EXPECT_NE(problem_of("4sec").find("unknown unit 'sec'"), std::string::npos);
  EXPECT_NE(problem_of("4d").find("unknown unit 'd'"), std::string::npos);
}

TEST(Duration, RefusesWhatNoMillisecondCountHolds) {
  EXPECT_NE(problem_of("1e300h").find("out of range"), std::string::npos);
  EXPECT_NE(problem_of("1e999").find("out of range"), std::string::npos);
  EXPECT_EQ(parsed("2500000000h"), milliseconds(9000000000000000));  // the longest
  problem_of("2500000001h");
}

}  // namespace
