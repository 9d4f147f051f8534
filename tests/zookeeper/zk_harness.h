// A real, standalone ZooKeeper 3.8 server for tests: Debian's package, started on 127.0.0.1 with a
// free port and a fresh temporary directory, stopped (by its PID) and cleaned up by the
// destructor. The server runs in its own session (setsid) and dies with the thread that started
// it (PR_SET_PDEATHSIG), so a crashing test binary leaves no server behind either.
//
//   berth::test::ZkServer server;                 // throws std::runtime_error when it cannot start
//   std::string connect = server.connect_string();  // "127.0.0.1:<port>"
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {

class ZkServer {
 public:
  // Starts the server and waits until it answers `ruok` with `imok` and `srvr` says it serves
  // (or `timeout` runs out, which throws). `jvm_options` as for zk_spawn_server.
  explicit ZkServer(std::chrono::milliseconds timeout = std::chrono::seconds(60),
                    const std::vector<std::string>& jvm_options = {});
  ~ZkServer();
  ZkServer(const ZkServer&) = delete;
  ZkServer& operator=(const ZkServer&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string connect_string() const { return host_ + ":" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  const std::string& directory() const { return dir_; }
  const std::string& log_path() const { return log_; }

  // Sends a four-letter word (ruok, srvr, stat, mntr) and returns the whole answer ("" on failure).
  std::string four_letter_word(const std::string& word) const;
  // The last `max_bytes` of the server's log, for failure messages.
  std::string log_tail(size_t max_bytes = 4000) const;

  // SIGTERM, then SIGKILL after a grace period; idempotent. Also removes the temporary directory.
  void stop() noexcept;

 private:
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
  std::string log_;
};

// Sends `word` to host:port over TCP and returns everything the peer wrote before closing ("" when
// it cannot connect); throws when `host` is not an IPv4 address.
std::string zk_four_letter_word(const std::string& host, int port, const std::string& word,
                                std::chrono::milliseconds timeout = std::chrono::seconds(1));

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range.
int zk_free_port();

// Starts `java ... QuorumPeerMain cfg` in `dir` (its own session, killed with the calling thread),
// output appended to `log`; returns its PID. Throws std::runtime_error. `jvm_options`, when given,
// replace the test servers' heap settings (e.g. a small heap with ZooKeeper's defaults).
pid_t zk_spawn_server(const std::string& dir, const std::string& cfg, const std::string& log,
                      const std::vector<std::string>& jvm_options = {});
// SIGTERM (graceful) or SIGKILL, then reaps it (SIGKILL after 5 s if it lingers).
void zk_end_server(pid_t pid, bool graceful) noexcept;

}  // namespace berth::test
