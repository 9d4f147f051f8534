#include "backend/file_backend_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace berth::test {
namespace {

// Removes the directories handed out, when the program ends.
class StateDirectories : public ::testing::Environment {
 public:
  static StateDirectories& instance() {
    static auto* self = static_cast<StateDirectories*>(::testing::AddGlobalTestEnvironment(new StateDirectories));
    return *self;
  }
  std::string make() {
    std::string pattern = (std::filesystem::temp_directory_path() / "berth-file-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    std::lock_guard lock(mutex_);
    made_.push_back(pattern);
    return pattern;
  }
  void TearDown() override {
    std::lock_guard lock(mutex_);
    for (const std::string& dir : made_) {
      std::error_code ec;
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
      std::filesystem::remove_all(dir, ec);
    }
    made_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> made_;
};

// Registered before main() runs the tests, so TearDown runs at the end of every run.
[[maybe_unused]] StateDirectories& registered = StateDirectories::instance();

}  // namespace

std::string fresh_state_directory() { return StateDirectories::instance().make(); }

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

HelperProcess::HelperProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<std::string> argv_text = {BERTH_FILE_HELPER};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
  env_text.insert(env_text.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  in_ = in[1];
  out_ = out[0];
  if (rc != 0) {
    ::close(in_);
    ::close(out_);
    throw std::runtime_error(std::string("posix_spawn " BERTH_FILE_HELPER ": ") + std::strerror(rc));
  }
}

HelperProcess::~HelperProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  if (in_ >= 0) ::close(in_);
  if (out_ >= 0) ::close(out_);
}

std::string HelperProcess::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t end = buffer_.find('\n');
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd fd{out_, POLLIN, 0};
    int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return "";
    char chunk[4096];
    ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";  // EOF
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

std::vector<std::string> HelperProcess::read_rest() {
  std::vector<std::string> lines;
  for (std::string line; !(line = read_line(std::chrono::seconds(10))).empty();) lines.push_back(line);
  return lines;
}

void HelperProcess::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void HelperProcess::kill_hard() { ::kill(pid_, SIGKILL); }

int HelperProcess::wait() {
  if (reaped_) return status_;
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status_;
}

std::vector<PluginConfig::Entry> FileBackendTest::entries(const std::vector<PluginConfig::Entry>& extra) const {
  std::vector<PluginConfig::Entry> all = {{"dir", dir_, "file_backend_test"}, {"poll", "20ms", "file_backend_test"}};
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

std::unique_ptr<Backend> FileBackendTest::open(const WatchCounter* counter, const std::vector<PluginConfig::Entry>& extra) {
  return std::make_unique<Backend>(plugin_, PluginConfig("backend", entries(extra)),
                                   counter != nullptr ? counter->watch() : nullptr);
}

bool FileBackendTest::eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace berth::test
