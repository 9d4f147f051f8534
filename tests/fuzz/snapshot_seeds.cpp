// Writes real encoded snapshots (encode_snapshot) into a directory, as the seed corpus of the
// snapshot decoder's fuzzer: generated at test time, so no binary is committed.
//
//   snapshot_seeds DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/hash.h"
#include "project/fuzz_owner_defaults.h"
#include "snapshot/codec.h"

namespace {

berth::Snapshot make(uint64_t streams, uint32_t servers, uint32_t tenants, uint64_t version) {
  berth::Snapshot s;
  s.meta = berth::Provenance{version, version / 2 + 1, "sticky", 2, version * 31, 1700000000000 + static_cast<int64_t>(version),
                             "node-" + std::to_string(version)};
  auto sc = std::make_shared<berth::ServerColumns>();
  for (uint32_t j = 0; j < servers; ++j) {
    sc->ids.push_back("srv-" + std::to_string(100 + j));
    sc->capacity.push_back(1.0 + j % 3);
    sc->state.push_back(static_cast<int32_t>(j % 3));  // up, draining, read-only
  }
  auto st = std::make_shared<berth::StreamColumns>();
  for (uint32_t t = 0; t < tenants; ++t) st->tenants.push_back(t == 0 ? "" : "tenant-" + std::to_string(t));
  for (uint64_t i = 0; i < streams; ++i) {
    std::string id = "log/" + std::to_string(i * 7919 % 100003);
    st->ids.push_back(id);
    st->hash.push_back(berth::stream_hash(id));
    st->tenant.push_back(tenants == 0 ? 0 : static_cast<uint32_t>(i % tenants));
    s.load.push_back(static_cast<float>(i % 17) * 0.25f);
    s.owner.push_back(servers == 0 ? 0 : static_cast<uint32_t>(i % servers));
  }
  s.servers = sc;
  s.streams = st;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: snapshot_seeds DIR\n");
    return 2;
  }
  struct Shape {
    uint64_t streams;
    uint32_t servers, tenants;
  };
  const Shape shapes[] = {{0, 0, 0}, {0, 3, 1}, {1, 1, 1}, {5, 2, 2}, {40, 4, 3}, {300, 7, 5}, {2000, 16, 1}};
  int written = 0;
  std::vector<std::string> seeds;
  for (const Shape& shape : shapes) {
    berth::Snapshot s = make(shape.streams, shape.servers, shape.tenants, 10 + seeds.size());
    seeds.push_back(berth::encode_snapshot(s));
    if (shape.servers == 0) continue;
    // The same streams with owners left implicit: every fifth stream off its default owner.
    const berth::OwnerDefaults defaults = berth::fuzz::modulo_defaults(s.meta.policy, s.meta.behaviour_version);
    defaults.owners(s.servers->view(), s.owner.size(), s.streams->hash.data(), s.owner.data());
    for (uint64_t i = 0; i < s.owner.size(); i += 5) s.owner[i] = (s.owner[i] + 1) % shape.servers;
    seeds.push_back(berth::encode_snapshot(s, &defaults));
  }
  for (const std::string& bytes : seeds) {
    std::ofstream out(std::string(argv[1]) + "/seed-" + std::to_string(written++) + ".snapshot", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "snapshot_seeds: cannot write into %s\n", argv[1]);
      return 1;
    }
  }
  std::printf("snapshot_seeds: %d seeds in %s\n", written, argv[1]);
  return 0;
}
