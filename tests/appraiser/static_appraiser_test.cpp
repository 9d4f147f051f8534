// The "static" appraiser through the real plugin: loads from a file, the default for streams it
// does not name, reloading when the file changes, and what happens when the file goes bad.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "appraiser_fixture.h"

namespace berth::appraiser_test {
namespace {

namespace fs = std::filesystem;

// A private directory for the load files of one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("berth-static-appraiser-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Moves the file's modification time on by a second: a rewrite of the same size within one tick
// of the file system's clock would otherwise be indistinguishable, for us as for the plugin.
void touch_later(const std::string& path) {
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(1));
}

std::unique_ptr<Appraiser> static_appraiser(const std::string& path, std::vector<PluginConfig::Entry> more = {}) {
  more.push_back({"file", path, "berth.toml:4"});
  return appraiser("static", std::move(more));
}

TEST(StaticAppraiser, ReadsLoadsAndGivesUnknownStreamsTheDefault) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  write(path,
        "# stream loads\n"
        "orders-eu 12.5\n"
        "\n"
        "   \t\n"
        "orders-us\t40   # trailing comment\r\n"
        "  idle  0\n"
        "big 1e3\n"
        "with#hash 2\n");
  Streams streams(std::vector<std::string>{"orders-us", "unknown", "orders-eu", "idle", "big", "with#hash"});
  auto by_default = static_appraiser(path);
  EXPECT_EQ(by_default->plugin().name, "static");
  EXPECT_EQ(appraise(*by_default, streams), (std::vector<double>{40.0, 1.0, 12.5, 0.0, 1000.0, 2.0}));

  auto configured = static_appraiser(path, {{"default_load", "0.25", "berth.toml:5"}});
  EXPECT_EQ(appraise(*configured, streams), (std::vector<double>{40.0, 0.25, 12.5, 0.0, 1000.0, 2.0}));
  Streams none(0);
  EXPECT_TRUE(appraise(*configured, none).empty());
}

TEST(StaticAppraiser, IgnoresReportedLoads) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  write(path, "a 3\n");
  Streams streams(std::vector<std::string>{"a", "b"}, {99.0, 98.0});
  EXPECT_EQ(appraise(*static_appraiser(path), streams), (std::vector<double>{3.0, 1.0}));
}

TEST(StaticAppraiser, ReloadsWhenTheFileChanges) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  write(path, "a 1\nb 2\n");
  auto appraiser = static_appraiser(path);
  Streams streams(std::vector<std::string>{"a", "b", "c"});
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0, 1.0}));

  write(path, "a 10\nb 20\nc 30\n");  // another size
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{10.0, 20.0, 30.0}));

  write(path, "a 11\nb 21\nc 31\n");  // the same size, a later modification time
  touch_later(path);
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{11.0, 21.0, 31.0}));

  const std::string next = dir.file("loads.next");  // replaced by an atomic rename
  write(next, "a 5\n");
  fs::rename(next, path);
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{5.0, 1.0, 1.0}));

  write(path, "");  // an empty file is a valid one: every stream gets the default
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 1.0, 1.0}));
}

// A bad new version never fails a refresh: the previous table stays, one warning names
// file:line, and the next good version is picked up.
TEST(StaticAppraiser, KeepsThePreviousTableWhenAReloadIsBad) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  write(path, "a 1\nb 2\n");
  auto appraiser = static_appraiser(path);
  Streams streams(std::vector<std::string>{"a", "b"});
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0}));

  LogCapture log;
  write(path, "a 7\n# fine so far\nb minus-three\n");
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(log.count(path + ":3:"), 1u) << log.text();  // once, not on every call
  EXPECT_EQ(log.count("warning"), 1u) << log.text();
  EXPECT_NE(log.text().find("minus-three"), std::string::npos) << log.text();

  write(path, "a 7\nb 8 9\n");
  touch_later(path);
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(log.count(path + ":2:"), 1u) << log.text();

  fs::remove(path);
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(log.count(path + ": No such file"), 1u) << log.text();

  write(path, "a 7\nb 8\n");
  EXPECT_EQ(appraise(*appraiser, streams), (std::vector<double>{7.0, 8.0}));
}

TEST(StaticAppraiser, FailsToStartOnABadFileNamingFileAndLine) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  auto expect_bad = [&](const std::string& text, const std::string& line, const std::string& why) {
    write(path, text);
    expect_config_error("static", {{"file", path, "berth.toml:4"}}, {path + ":" + line + ":", why, "berth.toml:4"});
  };
  expect_bad("a 1\nb\n", "2", "found 1 field");
  expect_bad("a 1 2\n", "1", "found 3 fields");
  expect_bad("\n\na one\n", "3", "'one'");
  expect_bad("a -1\n", "1", "finite number >= 0");
  expect_bad("a nan\n", "1", "finite number >= 0");
  expect_bad("a inf\n", "1", "finite number >= 0");
  expect_bad("a 1e999\n", "1", "finite number >= 0");
  expect_bad("a 1.5x\n", "1", "'1.5x'");
  expect_bad("a 1\nb 2\na 3\n", "3", "first on line 1");

  expect_config_error("static", {{"file", dir.file("missing.txt"), "berth.toml:4"}},
                      {dir.file("missing.txt"), "No such file"});
  expect_config_error("static", {{"file", dir.file(""), "berth.toml:4"}}, {"not a regular file"});
  expect_config_error("static", {}, {"appraiser.file", "required"});
  expect_config_error("static", {{"file", "", "berth.toml:4"}}, {"berth.toml:4", "appraiser.file", "required"});
}

TEST(StaticAppraiser, RejectsUnknownKeysAndABadDefault) {
  TempDir dir;
  const std::string path = dir.file("loads.txt");
  write(path, "a 1\n");
  expect_config_error("static", {{"file", path, ""}, {"fiel", "x", "berth.toml:6"}}, {"fiel", "unknown key"});
  expect_config_error("static", {{"file", path, ""}, {"default_load", "-1", "berth.toml:6"}}, {"default_load"});
}

}  // namespace
}  // namespace berth::appraiser_test
