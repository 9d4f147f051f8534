// A TCP proxy on 127.0.0.1 (a free port) to one server, for fault tests between the clients that
// use it and that server. What a test controls, at any moment and in any combination:
//   set_blocked(true)   cuts every connection and refuses new ones (a partition that resets);
//   drop()              closes every connection now; new ones are accepted as before;
//   set_delay(up, down) adds latency per direction (bytes keep their order);
//   set_black_hole(up, down)  swallows the bytes of a direction (up: client -> server, down:
//                       server -> client) while every connection stays open, a FIN included;
//                       new connections too;
//   heal()              none of the above any more (half-closed connections are closed then).
// The proxy terminates TCP on both sides and acts on the bytes of connections it accepted, not on
// packets: connections are still accepted under a black hole either way, as behind a TCP proxy,
// an L4 load balancer or a sidecar, whereas lost packets would lose the handshake too. A side that
// reads nothing for 1 s while bytes wait for it loses its connection.
// Throws std::runtime_error when target_host is not an IPv4 address.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace berth::test {

class TcpProxy {
 public:
  TcpProxy(const std::string& target_host, int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string connect_string() const { return "127.0.0.1:" + std::to_string(port_); }

  void set_blocked(bool blocked);
  void drop();
  void set_delay(std::chrono::milliseconds up, std::chrono::milliseconds down);
  void set_black_hole(bool up, bool down);
  void heal();

  // Connections open through the proxy now (either side still open), and accepted in all.
  size_t open_connections() const { return open_.load(); }
  uint64_t accepted() const { return accepted_.load(); }

 private:
  struct Faults {
    bool blocked = false;
    bool hole[2] = {false, false};             // [0] up, [1] down
    std::chrono::milliseconds delay[2] = {};   // [0] up, [1] down
  };
  Faults faults() const;
  void changed();
  void run() noexcept;

  sockaddr_in target_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> drops_{0};
  std::atomic<size_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  mutable std::mutex mutex_;
  Faults faults_;
  std::thread thread_;
};

}  // namespace berth::test
