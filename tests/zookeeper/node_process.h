// A Berth node in a child process (zk_node_helper) for the ensemble fault tests: its stdin and
// stdout are piped to the test, a thread collects every line it prints (with the time it came),
// and it can be SIGKILLed by PID. The destructor closes its stdin (it closes its engine and
// exits), and kills it if it lingers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/child_io.h"  // monotonic_ms(): the clock the helpers print

namespace berth::test {

// A parsed "state <version> <epoch> <is_leader> <degraded> <fingerprint> <monotonic ms>" line.
struct NodeState {
  uint64_t version = 0;
  uint64_t epoch = 0;
  bool leader = false;
  bool degraded = false;
  uint64_t fingerprint = 0;
  int64_t at_ms = 0;  // the helper's steady clock: the same clock as the test's on Linux
};
std::optional<NodeState> parse_state(const std::string& line);


class NodeProcess {
 public:
  // Its stderr (engine and ZooKeeper client logs) goes to `log_path`, to keep test output readable.
  NodeProcess(const std::string& program, const std::vector<std::string>& args, const std::string& log_path);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool alive() const { return pid_ > 0; }
  void send(const std::string& command);
  // Every line printed so far.
  std::vector<std::string> lines() const;
  size_t line_count() const;
  // The first line at index >= `from` for which `match` holds; nullopt after `timeout`.
  std::optional<std::string> wait_line(const std::function<bool(const std::string&)>& match, size_t from,
                                       std::chrono::milliseconds timeout) const;
  // Sends `command` and waits for the first later line starting with `prefix` or "error".
  std::string ask(const std::string& command, const std::string& prefix,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Every state line printed so far, in order, and the newest.
  std::vector<NodeState> states() const;
  NodeState state() const;
  void kill_hard();
  // The last bytes of its stderr, for failure messages.
  std::string log_tail(size_t max_bytes = 3000) const;

 private:
  void read_loop() noexcept;

  pid_t pid_ = -1;
  std::string log_path_;
  int in_ = -1;
  int out_ = -1;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  std::thread reader_;
};

}  // namespace berth::test
