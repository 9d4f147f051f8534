// Figures a soak (zk_soak_test.cpp) records and judges: resident memory of a process, what a
// ZooKeeper server says about its tree (`mntr`), medians and least-squares slopes.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace berth::test::soak {

// VmRSS of a process in bytes (0 when it is gone).
inline uint64_t resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

// One key of a `mntr` answer ("zk_znode_count\t123" lines); -1 when absent.
inline int64_t mntr_value(const std::string& mntr, const std::string& key) {
  std::istringstream in(mntr);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name;
    int64_t value = 0;
    if (words >> name >> value && name == key) return value;
  }
  return -1;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The least-squares slope of y over x (0 with fewer than two distinct x).
inline double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double d = n * sxx - sx * sx;
  return x.size() < 2 || d <= 0 ? 0 : (n * sxy - sx * sy) / d;
}

}  // namespace berth::test::soak
