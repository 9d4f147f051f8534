// What the metrics tests share: a command's output, promtool's verdict, an HTTP GET (Python's
// urllib, BERTH_PYTHON) and a bounded wait. BERTH_PROMTOOL and BERTH_PYTHON are compile definitions.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>
#include <thread>

#include "common/run_command.h"

namespace berth::test {

namespace fs = std::filesystem;

inline fs::path temp_file(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("berth-metrics-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p;
}

// promtool's verdict on `text` (exit status and what it said).
inline Outcome promtool(const std::string& name, const std::string& text) {
  fs::path p = temp_file(name, text);
  Outcome r = run(std::string(BERTH_PROMTOOL) + " check metrics < " + p.string());
  fs::remove(p);
  return r;
}

// A file removed when the process ends (a static's destructor).
struct RemovedAtExit {
  fs::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    fs::remove(path, ignored);
  }
};

// GET `url` with Python's urllib: the status code, a newline, then the body.
inline Outcome get(const std::string& url) {
  static const RemovedAtExit script{temp_file("get.py",
                                           "import sys, urllib.request, urllib.error\n"
                                           "try:\n"
                                           "    r = urllib.request.urlopen(sys.argv[1], timeout=20)\n"
                                           "    code, body = r.status, r.read()\n"
                                           "except urllib.error.HTTPError as e:\n"
                                           "    code, body = e.code, e.read()\n"
                                           "sys.stdout.write(str(code) + '\\n' + body.decode())\n")};
  return run(std::string(BERTH_PYTHON) + " " + script.path.string() + " " + url);
}

inline bool eventually(const std::function<bool()>& ok) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ok()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace berth::test
