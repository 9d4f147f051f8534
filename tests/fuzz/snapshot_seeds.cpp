// Writes real encoded snapshots (encode_snapshot), some with implicit owners, some with holders
// and tokens in each of their forms, and real deltas (encode_delta, changing holders too) into a
// directory, as the seed corpus of the snapshot decoder's fuzzer: generated at test time, so no
// binary is committed.
//
//   snapshot_seeds DIR
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include "berth/snapshot.capnp.h"
#include "common/hash.h"
#include "project/fuzz_inputs.h"
#include "snapshot/delta_codec.h"
#include "snapshot/codec.h"

namespace {

using berth::fuzz::make_snapshot;

// Versions of the delta base with a few streams moved, reloaded, retenanted, removed and added.
std::vector<std::string> delta_seeds() {
  const berth::Snapshot& base = berth::fuzz::delta_base();
  std::vector<std::string> out;
  for (uint64_t round = 1; round <= 3; ++round) {
    berth::Snapshot next = berth::bare_copy(base);
    next.meta.version = base.meta.version + round;
    auto streams = std::make_shared<berth::StreamColumns>();
    streams->tenants = base.streams->tenants;
    next.load.clear();
    next.owner.clear();
    next.holder.clear();
    next.token.clear();
    for (uint64_t i = 0; i < base.stream_count(); ++i) {
      if (i % (10 * round + 3) == 0) continue;  // removed
      std::string_view id = base.streams->ids.at(i);
      streams->ids.push_back(id);
      streams->hash.push_back(berth::stream_hash(id));
      streams->tenant.push_back(i % 11 == 0 ? (base.streams->tenant[i] + 1) % 5 : base.streams->tenant[i]);
      next.load.push_back(i % 13 == 0 ? base.load[i] + 1.0f : base.load[i]);
      // A moved stream stays with its holder until released; some others are granted anew.
      next.owner.push_back(i % 7 == round ? (base.owner[i] + 1) % 7 : base.owner[i]);
      const bool regranted = i % 19 == round;
      next.holder.push_back(regranted ? next.owner.back() : base.holder[i]);
      next.token.push_back(regranted ? next.meta.version : base.token[i]);
    }
    for (uint64_t k = 0; k < 4 * round; ++k) {
      std::string id = "new/" + std::to_string(round) + "/" + std::to_string(k);
      streams->ids.push_back(id);
      streams->hash.push_back(berth::stream_hash(id));
      streams->tenant.push_back(static_cast<uint32_t>(k % 5));
      next.load.push_back(0.5f * static_cast<float>(k));
      next.owner.push_back(static_cast<uint32_t>(k % 7));
      next.holder.push_back(k % 2 == 0 ? BERTH_NO_SERVER : next.owner.back());
      next.token.push_back(k % 2 == 0 ? 0 : next.meta.version);
    }
    next.streams = std::move(streams);
    berth::finish_snapshot(next, nullptr, std::make_shared<berth::ServerNames>());  // encode_delta matches by its table
    std::optional<std::string> delta = berth::encode_delta(base, next, SIZE_MAX);
    // A seed the fuzzer's apply_delta would refuse outright would fuzz only the first checks.
    const berth::Snapshot applied = delta ? berth::apply_delta(base, berth::decode_delta(*delta)) : berth::Snapshot{};
    if (!delta || applied.owner != next.owner || applied.holder != next.holder || applied.token != next.token)
      throw std::runtime_error("delta seed " + std::to_string(round) + " does not apply to the base");
    out.push_back(std::move(*delta));
  }
  return out;
}

// `bytes` with every holder and token written out as a plain list.
std::string plain_holders(const std::string& bytes, const berth::Snapshot& s) {
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader reader(input);
  capnp::MallocMessageBuilder message;
  message.setRoot(reader.getRoot<berth::schema::Snapshot>());
  auto columns = message.getRoot<berth::schema::Snapshot>().getStreams();
  columns.setHoldersAreOwners(false);
  columns.initHolderExceptionIndex(0);
  columns.initHolderExceptionServer(0);
  columns.initTokenTable(0);
  columns.initTokenIndex(0);
  auto holder = columns.initHolder(static_cast<unsigned>(s.holder.size()));
  auto token = columns.initToken(static_cast<unsigned>(s.token.size()));
  for (unsigned i = 0; i < s.holder.size(); ++i) {
    holder.set(i, s.holder[i]);
    token.set(i, s.token[i]);
  }
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, message);
  auto array = out.getArray();
  return std::string(reinterpret_cast<const char*>(array.begin()), array.size());
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
    berth::Snapshot s = make_snapshot(shape.streams, shape.servers, shape.tenants, 10 + seeds.size());
    seeds.push_back(berth::encode_snapshot(s));
    if (shape.servers == 0) continue;
    // The same streams with owners left implicit: every fifth stream off its default owner.
    const berth::OwnerDefaults defaults = berth::fuzz::modulo_defaults(s.meta.policy, s.meta.behaviour_version);
    defaults.owners(s.servers->view(), s.owner.size(), s.streams->hash.data(), s.owner.data());
    for (uint64_t i = 0; i < s.owner.size(); i += 5) s.owner[i] = (s.owner[i] + 1) % shape.servers;
    seeds.push_back(berth::encode_snapshot(s, &defaults));
    // With holders: as exceptions to the owners, tokens as a table; then every holder written
    // out, tokens as a plain list (the form past 65536 distinct tokens, too large for a seed).
    berth::fuzz::hold(s, s.meta.version);
    for (uint64_t i = 1; i < s.owner.size(); i += 31)
      if (s.holder[i] != BERTH_NO_SERVER) s.holder[i] = (s.owner[i] + 1) % shape.servers;
    const std::string held = berth::encode_snapshot(s, &defaults);
    seeds.push_back(held);
    seeds.push_back(plain_holders(held, s));
  }
  for (std::string& delta : delta_seeds()) seeds.push_back(std::move(delta));
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
