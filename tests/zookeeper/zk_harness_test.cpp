// The ZooKeeper test harness itself: a server starts on a free port, serves, and is gone (process
// and directory) after stop; the proxy forwards and cuts; berth-zk-server speaks its protocol.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

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
