#include "tools/delta_installs.h"

#include <algorithm>
#include <random>
#include <utility>

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/delta_codec.h"

namespace berth::tools {

DeltaInstalls::DeltaInstalls(const Snapshot& start, CheckpointPolicy policy, bool create_streams)
    : leader_(bare_copy(start)), leader_checkpoints_(policy), follower_checkpoints_(policy), create_streams_(create_streams) {
  if (!possible(start))
    throw Error(BERTH_E_INVALID_ARGUMENT, "delta installs: the first version needs a stream and two servers");
  leader_.meta.version = 1;
  Checkpoints::Publication full = leader_checkpoints_.prepare(leader_, false);
  leader_checkpoints_.published(leader_, full);
  checkpoint_bytes_ = full.bytes;
  install(0, full.bytes);
}

void DeltaInstalls::next() {
  Snapshot version = bare_copy(leader_);
  version.meta.version = leader_.meta.version + 1;
  const uint32_t m = version.server_count();
  std::mt19937_64 random(version.meta.version);
  if (create_streams_) create_stream(version, static_cast<uint32_t>(random() % m));
  const uint64_t n = version.stream_count();
  for (uint64_t k = 0; k < std::max<uint64_t>(1, n / 100); ++k) {
    uint64_t i = random() % n;
    version.owner[i] = static_cast<uint32_t>((version.owner[i] + 1 + random() % (m - 1)) % m);
  }
  Checkpoints::Publication publication = leader_checkpoints_.prepare(version, true);
  leader_checkpoints_.published(version, publication);
  if (publication.base_version == 0) checkpoint_bytes_ = publication.bytes;
  leader_ = std::move(version);
  install(publication.base_version, publication.bytes);
}

void DeltaInstalls::create_stream(Snapshot& version, uint32_t owner) {
  // Vectors get room for exactly one more: a push_back on a full vector would double it, and the
  // tool would measure its own slack.
  auto copy_with_room = [](auto& to, const auto& from) {
    to.reserve(from.size() + 1);
    to.assign(from.begin(), from.end());
  };
  auto push = [](auto& v, auto value) {
    v.reserve(v.size() + 1);
    v.push_back(value);
  };
  const StreamColumns& was = *version.streams;
  const std::string id = created_id(version.meta.version);
  auto columns = std::make_shared<StreamColumns>();
  columns->tenants = was.tenants;
  // The default tenant, "": whoever built the columns may not have listed it first, or at all.
  uint32_t tenant = 0;
  while (tenant < columns->tenants.size() && !columns->tenants.at(tenant).empty()) ++tenant;
  if (tenant == columns->tenants.size()) columns->tenants.push_back("");
  columns->ids.arena.reserve(was.ids.arena.size() + id.size());
  columns->ids.arena.assign(was.ids.arena);
  columns->ids.arena.append(id);
  copy_with_room(columns->ids.offsets, was.ids.offsets);
  columns->ids.offsets.push_back(columns->ids.arena.size());
  copy_with_room(columns->hash, was.hash);
  columns->hash.push_back(stream_hash(id));
  copy_with_room(columns->tenant, was.tenant);
  columns->tenant.push_back(tenant);
  version.streams = std::move(columns);
  push(version.owner, owner);
  push(version.load, 1.0f);
  if (!version.holder.empty()) {  // granted by no version yet
    push(version.holder, uint32_t{BERTH_NO_SERVER});
    push(version.token, uint64_t{0});
  }
}

void DeltaInstalls::install(uint64_t base_version, const std::string& bytes) {
  auto fetch_base = [&](uint64_t) { return checkpoint_bytes_; };
  Checkpoints::Read read = follower_checkpoints_.read(leader_.meta.version, base_version, bytes, fetch_base);
  auto snapshot = std::make_shared<Snapshot>(std::move(read.snapshot));
  finish_snapshot(*snapshot, nullptr, names_, served_.get());  // patches the served table, as a follower does
  follower_checkpoints_.keep(std::move(read.checkpoint), read.checkpoint_bytes);
  served_ = std::move(snapshot);
  ++installs_;
  if (base_version != 0) ++deltas_;
}

}  // namespace berth::tools
