#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>  // declares the stderr loggers too

namespace berth {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("berth");
    return existing ? existing : spdlog::stderr_color_mt("berth");
  }();
  return *instance;
}

}  // namespace berth
