#include "hash_ring.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "berth/plugin.hpp"
#include "mix64.h"

namespace berth::hash_policy {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kServerSeed = 0x68617368726e6700ULL;  // "hashrng"

// Point k of a server is mix64(key + (k + 1) * golden), SplitMix64's k-th output.
using least_load::mix64;

struct Point {
  uint64_t position;
  uint64_t key;  // the server's key: breaks a tie of positions independently of server indices
  uint32_t server;
};

}  // namespace

HashRing::HashRing(const berth_server_set& servers, std::span<const uint32_t> up, bool index_by_server) {
  if (up.empty()) return;
  double total_capacity = 0.0;
  for (uint32_t j : up) total_capacity += servers.capacity[j];
  const double mean_capacity = total_capacity / static_cast<double>(up.size());

  std::vector<Point> points;
  points.reserve(up.size() * kVirtualNodes);
  if (index_by_server) server_key_.assign(servers.count, 0);
  for (uint32_t j : up) {
    const std::string_view id = plugin::server_id(servers, j);
    const uint64_t key = XXH3_64bits_withSeed(id.data(), id.size(), kServerSeed);
    if (index_by_server) server_key_[j] = key;
    const double share = std::round(static_cast<double>(kVirtualNodes) * servers.capacity[j] / mean_capacity);
    const uint32_t count = static_cast<uint32_t>(std::clamp(share, 1.0, static_cast<double>(kMaxVirtualNodes)));
    for (uint32_t k = 0; k < count; ++k) points.push_back(Point{mix64(key + (uint64_t{k} + 1) * kGolden), key, j});
  }
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.position != b.position ? a.position < b.position : a.key < b.key;
  });
  point_.reserve(points.size());
  server_.reserve(points.size());
  for (const Point& p : points) {
    point_.push_back(p.position);
    server_.push_back(p.server);
  }
  if (index_by_server) {  // each server's own points, ascending: a counting sort of the ring by server
    server_points_begin_.assign(size_t{servers.count} + 1, 0);
    for (const Point& p : points) ++server_points_begin_[p.server + 1];
    for (size_t j = 0; j < servers.count; ++j) server_points_begin_[j + 1] += server_points_begin_[j];
    std::vector<uint64_t> fill(server_points_begin_.begin(), server_points_begin_.end() - 1);
    server_points_.resize(points.size());
    for (const Point& p : points) server_points_[fill[p.server]++] = p.position;
  }

  // About one bucket per point, at least two.
  const unsigned bits = std::max(1u, static_cast<unsigned>(std::bit_width(points.size() - 1)));
  bucket_shift_ = 64 - bits;
  bucket_start_.assign((size_t{1} << bits) + 1, 0);
  size_t k = 0;
  for (size_t b = 0; b < (size_t{1} << bits); ++b) {
    const uint64_t start = static_cast<uint64_t>(b) << bucket_shift_;
    while (k < point_.size() && point_[k] < start) ++k;
    bucket_start_[b] = static_cast<uint32_t>(k);
  }
  bucket_start_.back() = static_cast<uint32_t>(point_.size());
}

uint64_t HashRing::distance(uint32_t s, uint64_t hash) const {
  const auto first = server_points_.begin() + static_cast<ptrdiff_t>(server_points_begin_[s]);
  const auto last = server_points_.begin() + static_cast<ptrdiff_t>(server_points_begin_[s + 1]);
  const auto at = std::lower_bound(first, last, hash);
  return (at == last ? *first : *at) - hash;  // unsigned: wraps past the top of the ring
}

}  // namespace berth::hash_policy
