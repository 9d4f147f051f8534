#include "zookeeper/zk_harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "zookeeper/inet_address.h"

namespace berth::test {
namespace {

constexpr const char* kJava = "/usr/bin/java";
constexpr const char* kClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

std::string errno_text(int err) {
  char buffer[256];
  return strerror_r(err, buffer, sizeof buffer);
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

// Ports below the kernel's ephemeral range (32768 and up by default), so the port cannot be
// handed meanwhile to one of the many client connections and proxies of tests running in
// parallel; only another test picking the same random port could take it.
int zk_free_port() {
  static std::mt19937 random(static_cast<uint32_t>(::getpid()) ^
                             static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    Socket s;
    if (s.fd() < 0) throw std::runtime_error("socket: " + errno_text(errno));
    const int port = pick(random);
    sockaddr_in addr = inet_address("127.0.0.1", port);
    if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return port;
  }
  throw std::runtime_error("no free port on 127.0.0.1 in 20000..32000 after 200 tries");
}

std::string zk_four_letter_word(const std::string& host, int port, const std::string& word,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Socket s;
  if (s.fd() < 0) return "";
  ::fcntl(s.fd(), F_SETFL, ::fcntl(s.fd(), F_GETFL) | O_NONBLOCK);
  sockaddr_in addr = inet_address(host, port);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS || !wait_fd(s.fd(), POLLOUT, deadline)) return "";
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return "";
  }
  size_t sent = 0;
  while (sent < word.size()) {
    if (!wait_fd(s.fd(), POLLOUT, deadline)) return "";
    ssize_t n = ::send(s.fd(), word.data() + sent, word.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return "";
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buffer[4096];
  for (;;) {
    if (!wait_fd(s.fd(), POLLIN, deadline)) break;
    ssize_t n = ::recv(s.fd(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      break;
    }
    answer.append(buffer, static_cast<size_t>(n));
  }
  return answer;
}

pid_t zk_spawn_server(const std::string& dir, const std::string& cfg, const std::string& log,
                      const std::vector<std::string>& jvm_options) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  // A test server carries many tests' data at once: it keeps its last commitLogCount proposals
  // (500 by default) and up to 400 serialized getData answers in memory, and with G1's default 1 MB
  // regions an array over 512 KiB takes a region of its own. Fewer kept and larger regions leave
  // room; `jvm_options` give a test ZooKeeper's defaults instead (zk_footprint_test.cpp).
  std::vector<std::string> args = {kJava};
  if (jvm_options.empty())
    args.insert(args.end(), {"-Xmx1g", "-XX:G1HeapRegionSize=4m", "-Dzookeeper.commitLogCount=50",
                             "-Dzookeeper.maxResponseCacheSize=16"});
  args.insert(args.end(), jvm_options.begin(), jvm_options.end());
  args.insert(args.end(), {"-Dzookeeper.log.dir=" + dir, "-cp", kClassPath,
                           "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);  // a restart appends
  if (logfd < 0) throw std::runtime_error("cannot open " + log + ": " + errno_text(errno));
  const pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) {
    int err = errno;
    ::close(logfd);
    throw std::runtime_error("fork: " + errno_text(err));
  }
  if (child == 0) {
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the server dies with the thread that started it
    if (::getppid() != parent) ::_exit(125);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(logfd, STDOUT_FILENO);
    ::dup2(logfd, STDERR_FILENO);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(logfd);
  return child;
}

void zk_end_server(pid_t pid, bool graceful) noexcept {
  if (pid <= 0) return;
  ::kill(pid, graceful ? SIGTERM : SIGKILL);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // up to 5 s
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) gone = true;
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!gone) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

ZkServer::ZkServer(std::chrono::milliseconds timeout, const std::vector<std::string>& jvm_options) {
  char pattern[] = "/tmp/berth-zk-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp: " + errno_text(errno));
  dir_ = pattern;
  log_ = dir_ + "/server.log";
  try {
    std::filesystem::create_directories(dir_ + "/data");
    port_ = zk_free_port();
    const std::string cfg = dir_ + "/zoo.cfg";
    {
      std::ofstream out(cfg);
      out << "tickTime=200\n"
          << "minSessionTimeout=400\n"
          << "maxSessionTimeout=10000\n"
          << "dataDir=" << dir_ << "/data\n"
          << "clientPortAddress=" << host_ << "\n"
          << "clientPort=" << port_ << "\n"
          << "admin.enableServer=false\n"
          << "4lw.commands.whitelist=ruok,srvr,stat,mntr\n";
      if (!out) throw std::runtime_error("cannot write " + cfg);
    }
    pid_ = zk_spawn_server(dir_, cfg, log_, jvm_options);

    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      // `ruok` says imok as soon as the port is open, before the database is loaded; `srvr` says
      // "not currently serving requests" until then. Ready means both.
      if (zk_four_letter_word(host_, port_, "ruok", std::chrono::milliseconds(500)) == "imok" &&
          zk_four_letter_word(host_, port_, "srvr", std::chrono::milliseconds(500)).find("Zookeeper version") !=
              std::string::npos)
        break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("the ZooKeeper server exited before serving (status " + std::to_string(status) +
                                 "); log " + log_ + ":\n" + log_tail());
      }
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error("the ZooKeeper server on port " + std::to_string(port_) + " did not answer ruok within " +
                                 std::to_string(timeout.count()) + " ms; log:\n" + log_tail());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (...) {
    stop();
    throw;
  }
}

ZkServer::~ZkServer() { stop(); }

std::string ZkServer::four_letter_word(const std::string& word) const {
  return zk_four_letter_word(host_, port_, word);
}

std::string ZkServer::log_tail(size_t max_bytes) const {
  std::ifstream in(log_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

void ZkServer::stop() noexcept {
  if (pid_ > 0) zk_end_server(pid_, true);
  pid_ = -1;
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

}  // namespace berth::test
