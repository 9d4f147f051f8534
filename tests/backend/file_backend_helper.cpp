// A separate process for the `file` backend tests: it opens a backend instance on a directory
// and does what its arguments say, reporting on stdout one line per step, so a test can kill it
// (SIGKILL) at any point and check what the survivors see.
//
//   file_backend_helper hold DIR MEMBER CAMPAIGN        join MEMBER (and campaign if CAMPAIGN is 1),
//                                                       print "ready <epoch> <is_leader>", wait for EOF
//   file_backend_helper publish DIR FIRST COUNT SIZE    campaign, wait to lead, print "leading <epoch>",
//                                                       publish FIRST.. (COUNT versions, 0: forever) of
//                                                       SIZE bytes, printing "published <v>" after each;
//                                                       then "done", and wait for EOF
//   file_backend_helper engine DIR SERVER               an engine (least_load) whose server SERVER
//                                                       joins; print "published <v>" once it has
//                                                       published as leader, then wait for EOF
//
// Failures print "error <message>" and exit with status 2.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "backend/file_backend_support.h"
#include "common/error.h"
#include "config/options.h"
#include "engine/engine.h"
#include "plugin/instances.h"
#include "plugin/loader.h"

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

void wait_for_eof() {
  char buffer[64];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
}

uint64_t number(const char* text) { return std::strtoull(text, nullptr, 10); }

int run_engine(const std::string& dir, const std::string& server) {
  berth::Options options;
  options.set("backend.name", "file");
  options.set("backend.dir", dir);
  options.set("backend.poll", "20ms");
  options.set("policy.name", "least_load");
  options.set("engine.node_id", "helper-" + std::to_string(::getpid()));
  berth::Engine engine(options.resolve());
  engine.join(server, 1.0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(engine.status().is_leader && engine.status().version > 0)) {
    if (std::chrono::steady_clock::now() > deadline) {
      say("error did not publish as leader within 20 s");
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  say("published " + std::to_string(engine.status().version));
  wait_for_eof();
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 3) {
    say("error usage: file_backend_helper hold|publish DIR ...");
    return 2;
  }
  const std::string command = argv[1];
  if (command == "engine" && argc == 4) return run_engine(argv[2], argv[3]);
  berth::PluginRegistry registry;
  auto plugin = registry.load(BERTH_PLUGIN_BACKEND, "file");
  berth::Backend backend(plugin, berth::PluginConfig("backend", {{"dir", argv[2], "helper"}, {"poll", "20ms", "helper"}}),
                         nullptr);
  if (command == "hold" && argc == 5) {
    backend.join(argv[3], "pid " + std::to_string(::getpid()));
    if (std::string(argv[4]) == "1") backend.campaign();
    berth_leadership now = backend.leadership();
    say("ready " + std::to_string(now.epoch) + " " + std::to_string(now.is_leader));
    wait_for_eof();
    return 0;
  }
  if (command == "publish" && argc == 6) {
    const uint64_t first = number(argv[3]), count = number(argv[4]);
    const size_t size = number(argv[5]);
    backend.join("publisher-" + std::to_string(::getpid()), "x");
    backend.campaign();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (backend.leadership().is_leader != 1) {
      if (std::chrono::steady_clock::now() > deadline) {
        say("error did not come to lead within 20 s");
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const uint64_t epoch = backend.leadership().epoch;
    say("leading " + std::to_string(epoch));
    for (uint64_t v = first; count == 0 || v < first + count; ++v) {
      backend.publish(epoch, v, berth::test::file_payload(v, size));
      say("published " + std::to_string(v));
    }
    say("done");
    wait_for_eof();
    return 0;
  }
  say("error unknown command or wrong arguments: " + command);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 2;
  }
}
