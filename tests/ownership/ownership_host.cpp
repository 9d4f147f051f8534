// A write-proxy stand-in in a process of its own, over the host C API (berth.h), for the
// ownership checker (ownership_check.cpp): it opens an engine on the `zookeeper` backend, joins
// as one server, campaigns, and serves what its feed says, logging every start and stop to a
// history file (history.h's lines) by CLOCK_MONOTONIC, which every process of the machine shares.
//
//   ownership_host CONNECT ROOT SERVER SESSION_TIMEOUT LOG [soft]
//
// Prints "ready" once joined, then "held <n>" whenever the number of streams it holds changes.
// Commands on stdin, one per line: "add N" (streams stream-<i>, i < N; answers "ok add"),
// "drain", "undrain" (answer "ok drain" / "ok undrain"). EOF: it stops serving (logged), closes
// its engine and exits. A release request is acknowledged after a short random pause, as a
// proxy finishing in-flight writes would.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "berth/berth.h"
#include "history.h"

namespace {

std::mutex g_out;

void say(const std::string& line) {
  std::lock_guard lock(g_out);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string message(berth_error* err) {
  std::string text = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return text;
}

[[noreturn]] void fail(const std::string& what, berth_error* err) {
  say("error " + what + ": " + message(err));
  std::exit(2);
}

// One line per event, written with one write(2) on an O_APPEND file: a SIGKILL never leaves half
// a line, and what was written survives the process.
class Log {
 public:
  explicit Log(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) {
      say("error cannot open log " + path);
      std::exit(2);
    }
  }
  void add(const berth::testing::HistoryEvent& e) {
    std::string line = berth::testing::format_event(e) + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) say("error log write failed");
  }

 private:
  int fd_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: ownership_host CONNECT ROOT SERVER SESSION_TIMEOUT LOG [soft]\n");
    return 2;
  }
  const std::string server = argv[3];
  const bool soft = argc > 6 && std::string(argv[6]) == "soft";
  Log log(argv[5]);
  berth_error* err = nullptr;
  berth_options* o = nullptr;
  if (berth_options_new(&o, &err) != BERTH_OK) fail("options", err);
  const std::pair<const char*, std::string> settings[] = {
      {"backend.name", "zookeeper"},
      {"backend.connect", argv[1]},
      {"backend.root", argv[2]},
      {"backend.session_timeout", argv[4]},
      {"engine.node_id", "host-" + server},
      {"engine.refresh_interval", "2s"},
      {"engine.refresh_on_change", "true"},
      {"engine.intake_flush", "2ms"},
      {"engine.intake_refresh_delay", "5ms"},
      {"ownership.lease_margin", "300ms"},
      {"ownership.soft_handoff", soft ? "true" : "false"},
      {"policy.name", "sticky"}};
  for (const auto& [key, value] : settings)
    if (berth_options_set(o, key, value.c_str(), &err) != BERTH_OK) fail(key, err);
  berth_engine* engine = nullptr;
  if (berth_engine_open(o, &engine, &err) != BERTH_OK) fail("open", err);
  berth_options_free(o);
  // A predecessor SIGKILLed a moment ago still holds the server's registration until its session
  // expires: join again until it is gone.
  for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
    if (berth_engine_join(engine, server.c_str(), 1.0, &err) == BERTH_OK) break;
    if (std::chrono::steady_clock::now() > give_up) fail("join", err);
    berth_error_free(err);
    err = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  berth_ownership* feed = nullptr;
  if (berth_ownership_open(engine, server.c_str(), &feed, &err) != BERTH_OK) fail("feed", err);
  say("ready");

  std::atomic<bool> stop{false};
  std::thread serving([&] {
    std::mt19937 rng(static_cast<uint32_t>(now_ns()));
    std::uniform_int_distribution<int> finish_us(0, 5000);
    uint64_t held = 0, reported = UINT64_MAX;
    while (!stop.load()) {
      berth_ownership_event e{};
      e.struct_size = sizeof e;
      berth_error* poll_err = nullptr;
      if (berth_ownership_poll(feed, 20, &e, &poll_err) != BERTH_OK) {
        say("error poll: " + message(poll_err));
        return;
      }
      std::string stream(e.stream != nullptr ? e.stream : "", e.stream_len);
      if (e.kind == BERTH_OWNERSHIP_ACQUIRE) {
        log.add({'A', server, stream, e.token, now_ns()});
        ++held;
      } else if (e.kind == BERTH_OWNERSHIP_RELEASE) {
        std::this_thread::sleep_for(std::chrono::microseconds(finish_us(rng)));
        log.add({'R', server, stream, e.token, now_ns()});
        berth_error* release_err = nullptr;
        int32_t rc = berth_ownership_release_stream(feed, stream.data(), stream.size(), e.token, &release_err);
        if (rc == BERTH_OK) --held;
        else if (rc != BERTH_E_STATE) say("error release: " + message(release_err));
        else berth_error_free(release_err);  // revoked meanwhile: its revocation follows
      } else if (e.kind == BERTH_OWNERSHIP_REVOKED) {
        log.add({'V', server, stream, e.token, e.ended_ns});
        if (held > 0) --held;
      }
      if (e.kind != BERTH_OWNERSHIP_NONE) continue;  // report once the feed is quiet
      berth_held* h = nullptr;
      if (berth_held_new(feed, &h, nullptr) == BERTH_OK) {
        held = berth_held_count(h);
        berth_held_free(h);
      }
      if (held != reported) {
        reported = held;
        say("held " + std::to_string(held));
      }
    }
  });

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("add ", 0) == 0) {
      uint64_t n = std::stoull(line.substr(4));
      for (uint64_t i = 0; i < n; ++i) {
        std::string id = "stream-" + std::to_string(i);
        if (berth_engine_add_stream(engine, id.data(), id.size(), "", 1.0, &err) != BERTH_OK) fail("add", err);
      }
      if (berth_engine_flush(engine, &err) != BERTH_OK) fail("flush", err);
      say("ok add");
    } else if (line == "drain" || line == "undrain") {
      if (berth_engine_drain(engine, server.c_str(), line == "drain" ? 1 : 0, &err) != BERTH_OK)
        say("error " + line + ": " + message(err));
      else
        say("ok " + line);
    } else {
      say("error unknown command '" + line + "'");
    }
  }
  stop.store(true);
  serving.join();
  log.add({'K', server, "", 0, now_ns()});
  berth_ownership_close(feed);
  berth_engine_close(engine);
  return 0;
}
