#include "zookeeper/tcp_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <vector>

#include "zookeeper/inet_address.h"

namespace berth::test {
namespace {

using Clock = std::chrono::steady_clock;

// Bytes read from one side, to be written to the other once due; `eof`: the side closed.
struct Chunk {
  Clock::time_point due;
  std::string bytes;
  bool eof = false;
};

// One connection through the proxy. Direction d reads fd[d] and writes fd[1 - d]: 0 is up
// (client -> server), 1 is down.
struct Link {
  int fd[2] = {-1, -1};
  bool read_done[2] = {false, false};
  std::deque<Chunk> queue[2];

  void close_side(int side) {
    if (fd[side] >= 0) ::close(fd[side]);
    fd[side] = -1;
  }
  void close_all() {
    close_side(0);
    close_side(1);
    queue[0].clear();
    queue[1].clear();
  }
  bool closed() const { return fd[0] < 0 && fd[1] < 0; }
  bool half_closed() const { return (fd[0] < 0) != (fd[1] < 0); }
};

// A peer that stops reading makes send() fail after this long instead of blocking the proxy's
// one thread (and its destructor's join) for good; the connection is then closed.
void limit_send_wait(int fd) {
  timeval limit{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
}

bool send_all(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t w = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    sent += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(const std::string& target_host, int target_port)
    : target_(inet_address(target_host, target_port)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("proxy socket: ") + std::strerror(errno));
  sockaddr_in addr = inet_address("127.0.0.1", 0);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(listen_fd_);
    throw std::runtime_error(std::string("proxy listen: ") + std::strerror(err));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  changed();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

TcpProxy::Faults TcpProxy::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

void TcpProxy::changed() {
  char byte = 0;
  (void)!::write(wake_[1], &byte, 1);
}

void TcpProxy::set_blocked(bool blocked) {
  {
    std::lock_guard lock(mutex_);
    faults_.blocked = blocked;
  }
  changed();
}

void TcpProxy::drop() {
  drops_.fetch_add(1);
  changed();
}

void TcpProxy::set_delay(std::chrono::milliseconds up, std::chrono::milliseconds down) {
  {
    std::lock_guard lock(mutex_);
    faults_.delay[0] = up;
    faults_.delay[1] = down;
  }
  changed();
}

void TcpProxy::set_black_hole(bool up, bool down) {
  {
    std::lock_guard lock(mutex_);
    faults_.hole[0] = up;
    faults_.hole[1] = down;
  }
  changed();
}

void TcpProxy::heal() {
  {
    std::lock_guard lock(mutex_);
    faults_ = Faults{};
  }
  changed();
}

void TcpProxy::run() noexcept {
  std::vector<Link> links;
  uint64_t drops_seen = drops_.load();
  std::vector<char> buffer(65536);
  while (!stop_.load()) {
    const Faults f = faults();
    const uint64_t drops = drops_.load();
    if (f.blocked || drops != drops_seen)
      for (Link& l : links) l.close_all();
    drops_seen = drops;
    // A side closed under a black hole was never told to the other; once healed it is.
    if (!f.hole[0] && !f.hole[1])
      for (Link& l : links)
        if (l.half_closed()) l.close_all();

    // Due bytes on, in order; a black hole swallows what was in flight too.
    const auto now = Clock::now();
    for (Link& l : links)
      for (int d = 0; d < 2 && !l.closed(); ++d)
        while (!l.queue[d].empty() && l.queue[d].front().due <= now) {
          Chunk c = std::move(l.queue[d].front());
          l.queue[d].pop_front();
          if (f.hole[d]) {
            if (c.eof) l.close_side(d);  // the closing side is gone; the other never hears of it
            continue;
          }
          if (c.eof || (l.fd[1 - d] >= 0 && !send_all(l.fd[1 - d], c.bytes))) {
            l.close_all();
            break;
          }
        }
    std::erase_if(links, [](const Link& l) { return l.closed(); });
    open_.store(links.size());

    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    std::vector<std::pair<size_t, int>> polled;  // fds[2 + i] is links[first], direction second
    auto next_due = now + std::chrono::milliseconds(200);
    for (size_t i = 0; i < links.size(); ++i)
      for (int d = 0; d < 2; ++d) {
        if (links[i].fd[d] >= 0 && !links[i].read_done[d]) {
          fds.push_back({links[i].fd[d], POLLIN, 0});
          polled.emplace_back(i, d);
        }
        if (!links[i].queue[d].empty()) next_due = std::min(next_due, links[i].queue[d].front().due);
      }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_due - Clock::now());
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count()))) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
    }
    // The faults as they are now: a change wakes the poll, and what it woke for obeys it.
    const Faults g = faults();
    const auto read_at = Clock::now();
    for (size_t k = 0; k < polled.size(); ++k) {
      if ((fds[2 + k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      auto [i, d] = polled[k];
      Link& l = links[i];
      if (l.fd[d] < 0) continue;
      ssize_t n = ::recv(l.fd[d], buffer.data(), buffer.size(), 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      Chunk c{read_at + g.delay[d], {}, n <= 0};
      if (n > 0) c.bytes.assign(buffer.data(), static_cast<size_t>(n));
      else l.read_done[d] = true;
      l.queue[d].push_back(std::move(c));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        accepted_.fetch_add(1);
        int server = g.blocked ? -1 : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server >= 0 && ::connect(server, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) == 0) {
          limit_send_wait(client);
          limit_send_wait(server);
          Link l;
          l.fd[0] = client;
          l.fd[1] = server;
          links.push_back(std::move(l));
        } else {
          if (server >= 0) ::close(server);
          ::close(client);
        }
      }
    }
  }
  for (Link& l : links) l.close_all();
}

}  // namespace berth::test
