// The ZooKeeper test harness itself: a server starts on a free port, serves, and is gone (process
// and directory) after stop; the proxy forwards, cuts, drops, delays and black-holes;
// berth-zk-server speaks its protocol.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

using namespace std::chrono_literals;

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(ZkHarness, AServerServesOnAFreePortAndIsGoneAfterStop) {
  ZkServer server;
  EXPECT_NE(server.port(), 2181);
  EXPECT_EQ(server.four_letter_word("ruok"), "imok");
  const std::string srvr = server.four_letter_word("srvr");
  EXPECT_NE(srvr.find("Zookeeper version: 3.8"), std::string::npos) << srvr;
  const pid_t pid = server.pid();
  const std::string dir = server.directory();
  ASSERT_TRUE(std::filesystem::exists(dir + "/zoo.cfg"));
  server.stop();
  EXPECT_FALSE(process_alive(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(zk_four_letter_word("127.0.0.1", server.port(), "ruok", std::chrono::milliseconds(300)), "");
}

TEST(ZkHarness, TheProxyForwardsAndCanBeCut) {
  ZkServer server;
  TcpProxy proxy(server.host(), server.port());
  EXPECT_EQ(zk_four_letter_word("127.0.0.1", proxy.port(), "ruok"), "imok");
  proxy.set_blocked(true);
  EXPECT_EQ(zk_four_letter_word("127.0.0.1", proxy.port(), "ruok", std::chrono::milliseconds(300)), "");
  proxy.set_blocked(false);
  EXPECT_EQ(zk_four_letter_word("127.0.0.1", proxy.port(), "ruok"), "imok");
}

// The proxy's faults, between two sockets of this test (a listener stands for the server).
class ProxyFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener_, 8), 0);
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    proxy_ = std::make_unique<TcpProxy>("127.0.0.1", ntohs(addr.sin_port));
    connect_pair();
  }
  void TearDown() override {
    proxy_.reset();
    for (int fd : {client_, server_, listener_})
      if (fd >= 0) ::close(fd);
  }
  // A client through the proxy, and the server's end of it.
  void connect_pair() {
    if (client_ >= 0) ::close(client_);
    if (server_ >= 0) ::close(server_);
    client_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(proxy_->port()));
    ASSERT_EQ(::connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    pollfd p{listener_, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the proxy never connected to the server";
    server_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(server_, 0);
  }

 public:
  static void put(int fd, const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // What arrives on fd within `within` (until `expected` bytes came); `eof` when the peer closed.
  static std::string take(int fd, size_t expected, std::chrono::milliseconds within, bool* eof = nullptr) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + within;
    if (eof != nullptr) *eof = false;
    while (got.size() < expected) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[4096];
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        if (eof != nullptr) *eof = true;
        break;
      }
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }

 protected:
  int listener_ = -1, client_ = -1, server_ = -1;
  std::unique_ptr<TcpProxy> proxy_;
};

TEST_F(ProxyFaults, BytesFlowBothWaysInOrder) {
  put(client_, "up-1 ");
  put(client_, "up-2");
  EXPECT_EQ(take(server_, 9, 5s), "up-1 up-2");
  put(server_, "down");
  EXPECT_EQ(take(client_, 4, 5s), "down");
}

TEST_F(ProxyFaults, ADelayHoldsEachDirectionBackByItsOwnAmountAndKeepsOrder) {
  proxy_->set_delay(300ms, 100ms);
  auto sent = std::chrono::steady_clock::now();
  put(client_, "a");
  put(client_, "b");
  EXPECT_EQ(take(server_, 2, 5s), "ab");
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 300ms);
  sent = std::chrono::steady_clock::now();
  put(server_, "c");
  EXPECT_EQ(take(client_, 1, 5s), "c");
  const auto down = std::chrono::steady_clock::now() - sent;
  EXPECT_GE(down, 100ms);
  proxy_->heal();
  put(client_, "d");
  EXPECT_EQ(take(server_, 1, 5s), "d");
}

// Bytes written on `from` never reach `to`, whose end stays open; bytes the other way do.
void expect_one_way(int from, int to) {
  ProxyFaults::put(from, "lost");
  bool eof = false;
  EXPECT_EQ(ProxyFaults::take(to, 4, 400ms, &eof), "");
  EXPECT_FALSE(eof);
  ProxyFaults::put(to, "back");
  EXPECT_EQ(ProxyFaults::take(from, 4, 5s), "back");
}

TEST_F(ProxyFaults, ABlackHoleUpSwallowsTheClientsBytesWhileDownFlowsAndTheConnectionStaysOpen) {
  proxy_->set_black_hole(true, false);
  expect_one_way(client_, server_);
  // A close is swallowed too: the server keeps its end open.
  ::shutdown(client_, SHUT_WR);
  bool eof = false;
  EXPECT_EQ(take(server_, 1, 400ms, &eof), "");
  EXPECT_FALSE(eof);
  // Healed, the half-closed connection is closed: the server hears of it then.
  proxy_->heal();
  take(server_, 1, 5s, &eof);
  EXPECT_TRUE(eof) << "the swallowed close was never passed on after healing";
}

TEST_F(ProxyFaults, ABlackHoleDownSwallowsTheServersBytesWhileUpFlows) {
  proxy_->set_black_hole(false, true);
  expect_one_way(server_, client_);
}

TEST_F(ProxyFaults, AfterHealingTheSameConnectionCarriesBytesAgainAndWhatWasSwallowedStaysLost) {
  proxy_->set_black_hole(true, true);
  put(client_, "lost");
  put(server_, "lost");
  EXPECT_EQ(take(server_, 1, 300ms), "");
  proxy_->heal();
  // In order behind anything swallowed: a leak would show first.
  put(client_, "up");
  EXPECT_EQ(take(server_, 2, 5s), "up");
  put(server_, "down");
  EXPECT_EQ(take(client_, 4, 5s), "down");
  EXPECT_EQ(proxy_->accepted(), 1u);
}

TEST_F(ProxyFaults, ADropClosesEveryConnectionAndNewOnesAreAccepted) {
  proxy_->drop();
  bool eof = false;
  take(client_, 1, 5s, &eof);
  EXPECT_TRUE(eof) << "the client's connection was not closed";
  take(server_, 1, 5s, &eof);
  EXPECT_TRUE(eof) << "the server's connection was not closed";
  connect_pair();
  put(client_, "again");
  EXPECT_EQ(take(server_, 5, 5s), "again");
  EXPECT_EQ(proxy_->accepted(), 2u);
}

// berth-zk-server prints host:port, serves, and stops its server when stdin closes.
TEST(ZkHarness, TheServerProgramStopsItsServerAtEndOfInput) {
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_child, O_CLOEXEC), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    const char* argv[] = {BERTH_ZK_SERVER_PROGRAM, nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  std::string line;
  char c = 0;
  while (::read(from_child[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(from_child[0]);
  const size_t colon = line.rfind(':');
  ASSERT_NE(colon, std::string::npos) << "printed: " << line;
  const std::string host = line.substr(0, colon);
  const int port = std::stoi(line.substr(colon + 1));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(zk_four_letter_word(host, port, "ruok"), "imok");
  ::close(to_child[1]);  // end of input
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(zk_four_letter_word(host, port, "ruok", std::chrono::milliseconds(300)), "") << "the server is gone";
}

}  // namespace
}  // namespace berth::test
