// A process holding a zookeeper backend session, for the lease tests that stop it (SIGSTOP):
// it joins MEMBER, prints "ready", then prints its lease whenever it changes, and ends at EOF on
// stdin.
//
//   zk_lease_helper CONNECT ROOT MEMBER SESSION_TIMEOUT
//   lease <held> <valid_until_ns> <session>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include "plugin/instances.h"
#include "plugin/loader.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: zk_lease_helper CONNECT ROOT MEMBER SESSION_TIMEOUT\n");
    return 2;
  }
  try {
    berth::PluginRegistry registry;
    berth::Backend backend(registry.load(BERTH_PLUGIN_BACKEND, "zookeeper"),
                           berth::PluginConfig("backend", {{"connect", argv[1], "args"},
                                                           {"root", argv[2], "args"},
                                                           {"session_timeout", argv[4], "args"}}),
                           nullptr);
    backend.join(argv[3], "x");
    std::printf("ready\n");
    std::fflush(stdout);
    berth::Backend::Lease last;
    for (;;) {
      const berth::Backend::Lease now = backend.lease();
      if (now.held != last.held || now.valid_until_ns != last.valid_until_ns || now.session != last.session) {
        std::printf("lease %d %llu %llu\n", now.held ? 1 : 0, static_cast<unsigned long long>(now.valid_until_ns),
                    static_cast<unsigned long long>(now.session));
        std::fflush(stdout);
        last = now;
      }
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (::poll(&in, 1, 1) > 0) {
        char byte;
        if (::read(STDIN_FILENO, &byte, 1) <= 0) return 0;
      }
    }
  } catch (const std::exception& e) {
    std::printf("error %s\n", e.what());
    return 2;
  }
}
