// For tests only (tests/zookeeper/zk_expiry_test.cpp), not an interface, linked only into the build
// tree's plugin (CMake option BERTH_TEST_HOOKS): with BERTH_ZK_TEST_SESSION_FILE set, each new
// session's id and password are written there (hex, mode 0600, never through a symbolic link), so
// a test can open the same session from a client of its own and close it, expiring this one.
// With BERTH_ZK_TEST_NO_DISOWN set, a member deleted from outside keeps its claims: the broken
// variant the ownership checker must catch (tests/ownership/CMakeLists.txt).
#include "zk_test_hook.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "berth/plugin.hpp"

namespace berth::zk {

void write_session_for_tests(zhandle_t* zh, const berth_host_api* host) {
  const char* path = std::getenv("BERTH_ZK_TEST_SESSION_FILE");
  const clientid_t* id = path != nullptr ? zoo_client_id(zh) : nullptr;
  if (id == nullptr) return;
  plugin::log(host, BERTH_LOG_WARN,
              std::string("zookeeper: BERTH_ZK_TEST_SESSION_FILE is set: this session's id and password are written to ") +
                  path + " (a test-only hook)");
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx ", static_cast<unsigned long long>(id->client_id));
  std::string text = hex;
  for (char c : id->passwd) {
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(c));
    text += hex;
  }
  text += "\n";
  const std::string temporary = std::string(path) + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (written) std::rename(temporary.c_str(), path);
}

bool disown_off_for_tests() {
  static const bool off = std::getenv("BERTH_ZK_TEST_NO_DISOWN") != nullptr;
  return off;
}

bool keep_claims_for_tests(const berth_host_api* host, const std::string& id) {
  if (!disown_off_for_tests()) return false;
  plugin::log(host, BERTH_LOG_WARN, "zookeeper: BERTH_ZK_TEST_NO_DISOWN is set: member '" + id +
                                        "' registered again without ending its claims (a test-only hook)");
  return true;
}

}  // namespace berth::zk
