// Helpers for the `file` backend suites: fresh state directories, removed when the test binary
// ends, and child processes (the helper program) a test can talk to and kill.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_contract.h"

namespace berth::test {

// A new empty directory under the system temp dir, removed (with everything in it) when the test
// program ends.
std::string fresh_state_directory();

// The names in `dir` (not "." or ".."), sorted; empty if it does not exist.
std::vector<std::string> names_in(const std::string& dir);

// A child process running file_backend_helper with `args`, its stdin and stdout piped to us.
class HelperProcess {
 public:
  // `env` entries ("KEY=value") are added to ours.
  explicit HelperProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~HelperProcess();  // SIGKILLs it if it still runs, and reaps it
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line it printed (without '\n'); "" on EOF or when `timeout` ran out.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Every line left until EOF (it must have ended or be about to).
  std::vector<std::string> read_rest();
  void close_stdin();
  void kill_hard();
  // Waits for it to end; the raw waitpid status.
  int wait();

 private:
  pid_t pid_ = -1;
  int in_ = -1;   // its stdin
  int out_ = -1;  // its stdout
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

// A test fixture with one fresh state directory per test.
class FileBackendTest : public ::testing::Test {
 protected:
  std::vector<PluginConfig::Entry> entries(const std::vector<PluginConfig::Entry>& extra = {}) const;
  std::unique_ptr<Backend> open(const WatchCounter* counter = nullptr, const std::vector<PluginConfig::Entry>& extra = {});
  bool eventually(const std::function<bool()>& condition,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "file");
  const std::string dir_ = fresh_state_directory();
};

}  // namespace berth::test
