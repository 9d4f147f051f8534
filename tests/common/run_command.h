// Runs a shell command for a test and keeps what it printed: the way tests drive a program of
// the build (berth, promtool, a helper host) and read its verdict.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace berth::test {

struct Outcome {
  int status = -1;  // the exit status; -1 when it did not exit (a signal) or could not start
  std::string out;  // stdout and stderr together
};

// Runs `command` with the shell, stdout and stderr captured.
inline Outcome run(const std::string& command) {
  Outcome r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int rc = pclose(p);
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return r;
}

}  // namespace berth::test
