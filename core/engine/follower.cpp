#include "engine/follower.h"

#include "common/error.h"
#include "common/log.h"
#include "snapshot/delta_codec.h"

namespace berth {

Follower::Outcome Follower::latest(const BackendRef& backend, VersionState& versions, const Snapshot* current) {
  // The base of a delta can go between reading the pointer and fetching the base, when a newer
  // checkpoint is published meanwhile: then the newest version is read again.
  Outcome out;
  for (int n = 0; n < 3; ++n) {
    bool retry = false;
    Outcome o = attempt(backend, versions, current, n < 2, retry);
    out.rejected += o.rejected;
    out.snapshot = std::move(o.snapshot);
    if (!retry) break;
  }
  return out;
}

Follower::Outcome Follower::attempt(const BackendRef& backend, VersionState& versions, const Snapshot* current,
                                    bool again_if_base_gone, bool& retry) {
  Outcome out;
  // What this node publishes it installs from memory: never fetch and decode it back.
  const uint64_t known = versions.known();
  Backend::Latest latest;
  try {
    latest = backend.call([&](Backend& b) { return b.fetch_latest(known); });
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CORRUPT) throw;
    // The backend cannot vouch for the newest bytes (a damaged file): as for bytes that do not
    // decode, count it and keep serving what this node has until a readable version is published.
    ++out.rejected;
    logger().error("berth node {}: the newest published version cannot be read, still serving version {}: {}", node_id_,
                   versions.served(), e.what());
    return out;
  }
  // Remembered even if its bytes are rejected below, so this node never tries to publish a
  // version number that is already taken.
  versions.saw(latest.version);
  if (latest.bytes.empty() || latest.version <= known) return out;
  std::shared_ptr<const Snapshot> base;  // the checkpoint a delta was read against
  try {
    auto fetch_base = [&](uint64_t version) { return backend.call([&](Backend& b) { return b.fetch_version(version); }); };
    Checkpoints::Read read = checkpoints_.read(latest.version, latest.base_version, latest.bytes, fetch_base);
    if (latest.base_version != 0) base = read.checkpoint;
    auto snapshot = std::make_shared<Snapshot>(std::move(read.snapshot));
    finish_snapshot(*snapshot, &policy_, names_, current);  // patches current's table when it can
    checkpoints_.keep(std::move(read.checkpoint), read.checkpoint_bytes);
    out.snapshot = std::move(snapshot);
    return out;
  } catch (const Error& e) {
    if (const auto* unreadable = dynamic_cast<const Checkpoints::Unreadable*>(&e)) base = unreadable->checkpoint;
    if (again_if_base_gone && e.code() == BERTH_E_NOT_FOUND && latest.base_version != 0 && !base) {
      retry = true;
      return out;
    }
    // The backend could not be reached for the base: not the bytes' fault, and the worker tries
    // again shortly (as when fetch_latest fails).
    if (e.code() == BERTH_E_UNAVAILABLE || e.code() == BERTH_E_TIMEOUT) throw;
    ++out.rejected;
    logger().error("berth node {}: published version {} rejected, still serving version {}: {}", node_id_, latest.version,
                   versions.served(), e.what());
  }
  // A delta that cannot be read on top of a readable checkpoint: serve the checkpoint if it is
  // newer than what this node has, until the leader's next full publication.
  if (base && base->meta.version > versions.served()) {
    try {
      auto checkpoint = std::make_shared<Snapshot>(bare_copy(*base));
      finish_snapshot(*checkpoint, &policy_, names_);
      out.snapshot = std::move(checkpoint);
      logger().warn("berth node {}: serving checkpoint version {} instead", node_id_, base->meta.version);
    } catch (const Error& fallback) {
      logger().error("berth node {}: checkpoint version {} rejected too: {}", node_id_, base->meta.version, fallback.what());
    }
  }
  return out;
}

}  // namespace berth
