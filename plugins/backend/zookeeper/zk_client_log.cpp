#include "zk_client_log.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.hpp"

namespace berth::zk {
namespace {

// Never destroyed: a client thread of a handle nobody closed may log while the process exits.
std::mutex& hosts_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

std::vector<const berth_host_api*>& hosts() {
  static auto* v = new std::vector<const berth_host_api*>;
  return *v;
}

struct Level {
  std::string_view tag;
  int32_t level;
};
// Only ERROR and WARN are made (zookeeper_backend.cpp); the others would be detail for Berth's users.
constexpr Level kLevels[] = {{"ZOO_ERROR@", BERTH_LOG_ERROR},
                             {"ZOO_WARN@", BERTH_LOG_WARN},
                             {"ZOO_INFO@", BERTH_LOG_DEBUG},
                             {"ZOO_DEBUG@", BERTH_LOG_DEBUG}};

}  // namespace

ClientLog::ClientLog(const berth_host_api* host) : host_(host) {
  std::lock_guard lock(hosts_mutex());
  hosts().push_back(host_);
}

ClientLog::~ClientLog() {
  std::lock_guard lock(hosts_mutex());
  auto& v = hosts();
  v.erase(std::find(v.begin(), v.end(), host_));
}

void ClientLog::line(const char* message) {
  std::string_view text(message != nullptr ? message : "");
  int32_t level = BERTH_LOG_WARN;
  for (const Level& l : kLevels) {
    if (size_t at = text.find(l.tag); at != std::string_view::npos) {
      level = l.level;
      text.remove_prefix(at + l.tag.size());  // drops the client's own time, pid and thread
      break;
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  try {
    const std::string line = "client: " + std::string(text);
    std::lock_guard lock(hosts_mutex());  // a registered host stays valid while it is listed
    if (!hosts().empty()) plugin::log(hosts().back(), level, line);
  } catch (...) {
    // Logging never fails the client.
  }
}

}  // namespace berth::zk
