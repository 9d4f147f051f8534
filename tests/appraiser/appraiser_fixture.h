// What the static and metered appraiser suites share: appraising through the real plugin, the
// configuration errors a host sees, and the log lines a plugin writes through the host.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/placement_fixture.h"

namespace berth::appraiser_test {

using policy_test::appraiser;
using policy_test::Streams;

inline std::vector<double> appraise(Appraiser& appraiser, const berth_stream_set& streams) {
  std::vector<double> load(streams.count, -1.0);
  appraiser.appraise(streams, load.data());
  return load;
}
inline std::vector<double> appraise(Appraiser& appraiser, const Streams& streams) {
  return appraise(appraiser, streams.view());
}

// Creating the plugin fails with BERTH_E_CONFIG and a message containing every one of `needles`.
inline void expect_config_error(std::string_view plugin, std::vector<PluginConfig::Entry> config,
                                 const std::vector<std::string>& needles) {
  try {
    appraiser(plugin, std::move(config));
    ADD_FAILURE() << plugin << ": configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    for (const std::string& needle : needles)
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "'" << needle << "' not in: " << e.what();
  }
}

// Collects what the library logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    sink_->set_pattern("%l %v");
    logger().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = logger().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    logger().flush();
    return text_.str();
  }
  // Lines containing `needle`.
  size_t count(std::string_view needle) const {
    std::istringstream lines(text());
    size_t found = 0;
    for (std::string line; std::getline(lines, line);) found += line.find(needle) != std::string::npos;
    return found;
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace berth::appraiser_test
