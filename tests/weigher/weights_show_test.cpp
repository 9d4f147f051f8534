// `berth show` prints each server's effective weight next to its capacity: an engine on the
// `file` backend weighs with marconi and publishes, and a separate `berth show` process reads it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/options.h"
#include "engine/engine.h"
#include "engine/engine_fixture.h"

namespace berth::testing {
namespace {

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  EXPECT_TRUE(pipe) << command;
  std::string out;
  char buffer[4096];
  for (size_t n; pipe && (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) out.append(buffer, n);
  return out;
}

TEST(WeightsShow, TheTableAndTheJsonShowEachServersWeight) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / unique_cluster("weights-show");
  std::filesystem::create_directories(dir);
  {
    Options o;
    o.set("backend.name", "file");
    o.set("backend.dir", dir.string());
    o.set("weigher.name", "marconi");
    o.set("weigher.smoothing", "1");
    o.set("engine.node_id", "show-node");
    o.set("engine.refresh_on_change", "false");
    o.set("engine.intake_refresh_delay", "0");
    Engine engine(o.resolve());
    ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(engine); }));
    engine.join("cool", 4.0);
    engine.join("hot", 4.0);
    engine.report_signal("hot", "cpu_load", 1.5);  // factor (1 + 1) / (1 + 3) = 0.5
    engine.flush();
    engine.refresh();
  }
  const std::string where = " --set backend.name=file --set backend.dir=" + dir.string();
  const nlohmann::json shown = nlohmann::json::parse(run(std::string(BERTH_CLI) + " show --json" + where));
  ASSERT_EQ(shown["servers"].size(), 2u);
  EXPECT_EQ(shown["servers"][0]["id"], "cool");
  EXPECT_DOUBLE_EQ(shown["servers"][0]["weight"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(shown["servers"][1]["weight"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(shown["servers"][1]["capacity"].get<double>(), 2.0);  // effective: 4 x 0.5
  const std::string table = run(std::string(BERTH_CLI) + " show" + where);
  EXPECT_NE(table.find("weight"), std::string::npos) << table;
  const size_t hot = table.find("\nhot ");
  ASSERT_NE(hot, std::string::npos) << table;
  const std::string line = table.substr(hot + 1, table.find('\n', hot + 1) - hot - 1);
  EXPECT_NE(line.find(" 2 "), std::string::npos) << line;
  EXPECT_NE(line.find(" 0.5 "), std::string::npos) << line;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::testing
