// berth-zk-server: starts a real ZooKeeper server for tests in other languages (Python, Java),
// prints "host:port" on one line, and stops it (killing it by PID, removing its directory) when
// stdin reaches EOF or on SIGTERM/SIGINT/SIGHUP.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>

#include "zookeeper/zk_harness.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main() {
  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: poll() returns with EINTR
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    berth::test::ZkServer server;
    std::printf("%s\n", server.connect_string().c_str());
    std::fflush(stdout);
    char buffer[256];
    while (g_stop == 0) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      int n = ::poll(&p, 1, 500);
      if (n < 0 && errno != EINTR) break;
      if (n > 0) {
        ssize_t r = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) break;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-zk-server: %s\n", e.what());
    return 1;
  }
}
