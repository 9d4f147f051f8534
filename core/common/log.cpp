#include "common/log.h"

#include <condition_variable>
#include <deque>
#include <mutex>

#include <pthread.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace berth {
namespace {

thread_local const std::string* t_node = nullptr;

// At most `max` bytes of `text`, cut before a UTF-8 character's continuation bytes, never in one.
std::string_view utf8_prefix(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

// Where every line goes: the host's queue while one is open, standard error otherwise.
// Process-wide and never destroyed, so a thread logging during exit finds it alive.
class Router {
 public:
  // A fork while another thread holds the mutex would leave it locked forever in the child, and
  // the child has no thread draining the queue it inherits: the child starts with none open.
  Router() { pthread_atfork(&Router::before_fork, &Router::after_fork_in_parent, &Router::after_fork_in_child); }

  void route(spdlog::level::level_enum level, spdlog::log_clock::time_point time, std::string_view source,
             std::string_view message) {
    {
      std::unique_lock lock(mutex_);
      if (generation_ != 0) {
        if (records_.size() >= capacity_) {
          ++dropped_;
          return;
        }
        LogRecord r;
        r.level = level;
        r.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
        r.source.assign(source);
        if (t_node != nullptr) r.node = *t_node;
        r.message.assign(utf8_prefix(message, kMaxLogMessageBytes));
        records_.push_back(std::move(r));
        lock.unlock();
        arrived_.notify_one();
        return;
      }
    }
    spdlog::details::log_msg msg(time, spdlog::source_loc{}, spdlog::string_view_t(source.data(), source.size()),
                                 level, spdlog::string_view_t(message.data(), message.size()));
    stderr_->log(msg);
  }

  uint64_t open(size_t capacity) {
    std::lock_guard lock(mutex_);
    if (generation_ != 0) return 0;
    generation_ = ++opens_;
    capacity_ = capacity;
    dropped_ = 0;
    return generation_;
  }

  void close(uint64_t generation) {
    {
      std::lock_guard lock(mutex_);
      if (generation != generation_) return;
      generation_ = 0;
      records_.clear();
      records_.shrink_to_fit();
    }
    arrived_.notify_all();
  }

  bool poll(uint64_t generation, std::vector<LogRecord>& out, size_t max, std::chrono::milliseconds timeout) {
    out.clear();
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return generation_ != generation || !records_.empty(); });
    if (generation_ != generation) return false;
    while (out.size() < max && !records_.empty()) {
      out.push_back(std::move(records_.front()));
      records_.pop_front();
    }
    return true;
  }

  uint64_t dropped(uint64_t generation) {
    std::lock_guard lock(mutex_);
    return generation == generation_ ? dropped_ : 0;
  }

 private:
  static void before_fork();
  static void after_fork_in_parent();
  static void after_fork_in_child();

  std::shared_ptr<spdlog::sinks::sink> stderr_ = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::mutex mutex_;
  std::condition_variable arrived_;
  uint64_t opens_ = 0;
  uint64_t generation_ = 0;  // of the open queue; 0: none
  size_t capacity_ = 0;
  uint64_t dropped_ = 0;
  std::deque<LogRecord> records_;
};

Router& router() {
  static Router* const instance = new Router;  // never destroyed: see Router
  return *instance;
}

void Router::before_fork() { router().mutex_.lock(); }
void Router::after_fork_in_parent() { router().mutex_.unlock(); }
void Router::after_fork_in_child() {
  Router& r = router();
  r.generation_ = 0;  // closed: lines go to standard error until the child opens a queue
  r.records_.clear();
  r.mutex_.unlock();
}

// The "berth" logger's only sink: hands each line to the router.
class RoutingSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    router().route(msg.level, msg.time, std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                   std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}
};

}  // namespace

spdlog::logger& logger() {
  // Never destroyed: the ZooKeeper client's threads may still log while the process exits.
  static const std::shared_ptr<spdlog::logger>* const instance = new std::shared_ptr<spdlog::logger>([] {
    if (std::shared_ptr<spdlog::logger> existing = spdlog::get("berth")) return existing;
    auto made = std::make_shared<spdlog::logger>("berth", std::make_shared<RoutingSink>());
    spdlog::register_logger(made);
    return made;
  }());
  return **instance;
}

void log_from(std::string_view source, spdlog::level::level_enum level, std::string_view message) noexcept {
  try {
    // Through the logger's sinks, as the core's own lines go: the RoutingSink takes the source
    // from the logger name, and a sink a C++ host or test adds sees plugins' lines too.
    spdlog::logger& l = logger();
    if (!l.should_log(level)) return;
    const spdlog::details::log_msg msg(spdlog::source_loc{}, spdlog::string_view_t(source.data(), source.size()), level,
                                       spdlog::string_view_t(message.data(), message.size()));
    for (const spdlog::sink_ptr& sink : l.sinks())
      if (sink->should_log(level)) sink->log(msg);
  } catch (...) {
    // A line that cannot be written is lost; logging never fails the caller.
  }
}

LogNodeScope::LogNodeScope(const std::string& node) noexcept : previous_(t_node) { t_node = &node; }
LogNodeScope::~LogNodeScope() { t_node = previous_; }

namespace log_queue {

uint64_t open(size_t capacity) { return router().open(capacity); }
void close(uint64_t generation) { router().close(generation); }
bool poll(uint64_t generation, std::vector<LogRecord>& out, size_t max, std::chrono::milliseconds timeout) {
  return router().poll(generation, out, max, timeout);
}
uint64_t dropped(uint64_t generation) { return router().dropped(generation); }

}  // namespace log_queue
}  // namespace berth
