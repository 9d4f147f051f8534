#include "zookeeper/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace berth::test {

std::optional<NodeState> parse_state(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  NodeState s;
  int leader = 0, degraded = 0;
  if (!(in >> word) || word != "state") return std::nullopt;
  if (!(in >> s.version >> s.epoch >> leader >> degraded >> s.fingerprint >> s.at_ms)) return std::nullopt;
  s.leader = leader == 1;
  s.degraded = degraded == 1;
  return s;
}

NodeProcess::NodeProcess(const std::string& program, const std::vector<std::string>& args, const std::string& log_path)
    : log_path_(log_path) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> text = {program};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    if (log_fd >= 0) ::dup2(log_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  ::close(in[0]);
  ::close(out[1]);
  if (child < 0) {
    ::close(in[1]);
    ::close(out[0]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  pid_ = child;
  in_ = in[1];
  out_ = out[0];
  reader_ = std::thread([this] { read_loop(); });
}

NodeProcess::~NodeProcess() {
  if (in_ >= 0) ::close(in_);  // EOF: the helper closes its engine and exits
  in_ = -1;
  if (pid_ > 0) {
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {  // up to 5 s for a clean close
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) gone = true;
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!gone) kill_hard();
  }
  if (reader_.joinable()) reader_.join();
  if (out_ >= 0) ::close(out_);
}

void NodeProcess::read_loop() noexcept {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    std::vector<std::string> complete;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      complete.push_back(buffer.substr(0, newline));
      buffer.erase(0, newline + 1);
    }
    if (complete.empty()) continue;
    {
      std::lock_guard lock(mutex_);
      for (std::string& line : complete) lines_.push_back(std::move(line));
    }
    changed_.notify_all();
  }
  {
    std::lock_guard lock(mutex_);
    eof_ = true;
  }
  changed_.notify_all();
}

void NodeProcess::send(const std::string& command) {
  std::string line = command + "\n";
  if (in_ < 0 || ::write(in_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("cannot send '" + command + "' to node process " + std::to_string(pid_));
}

std::vector<std::string> NodeProcess::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

size_t NodeProcess::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

std::optional<std::string> NodeProcess::wait_line(const std::function<bool(const std::string&)>& match, size_t from,
                                                  std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (size_t i = from;;) {
    for (; i < lines_.size(); ++i)
      if (match(lines_[i])) return lines_[i];
    if (eof_ || !changed_.wait_until(lock, deadline, [&] { return eof_ || lines_.size() > i; }))
      if (lines_.size() <= i) return std::nullopt;
  }
}

std::string NodeProcess::ask(const std::string& command, const std::string& prefix, std::chrono::milliseconds timeout) {
  size_t from = line_count();
  send(command);
  auto line = wait_line([&](const std::string& l) { return l.rfind(prefix, 0) == 0 || l.rfind("error", 0) == 0; },
                        from, timeout);
  return line ? *line : "(no answer to '" + command + "')";
}

std::vector<NodeState> NodeProcess::states() const {
  std::vector<NodeState> out;
  for (const std::string& line : lines())
    if (auto s = parse_state(line)) out.push_back(*s);
  return out;
}

NodeState NodeProcess::state() const {
  auto all = states();
  return all.empty() ? NodeState{} : all.back();
}

void NodeProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace berth::test

namespace berth::test {

std::string NodeProcess::log_tail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace berth::test
