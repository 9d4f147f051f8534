#include "snapshot/checkpoints.h"

#include <cmath>
#include <exception>
#include <utility>

#include "common/error.h"
#include "snapshot/codec.h"

namespace berth {

Checkpoints::Publication Checkpoints::prepare(const Snapshot& next, bool deltas) const {
  std::shared_ptr<const Snapshot> base;
  size_t base_bytes = 0;
  {
    std::lock_guard lock(mutex_);
    base = checkpoint_;
    base_bytes = checkpoint_bytes_;
  }
  Publication out;
  bool due = !base || next.meta.version <= base->meta.version || next.meta.version - base->meta.version >= policy_.every;
  if (deltas && !due && policy_.ratio > 0) {
    auto budget = static_cast<size_t>(std::floor(policy_.ratio * static_cast<double>(base_bytes)));
    if (auto delta = encode_delta(*base, next, budget, &out.counts)) {
      out.bytes = std::move(*delta);
      out.base_version = base->meta.version;
      return out;
    }
  }
  out.counts = {};
  out.bytes = encode_snapshot(next, own_ ? &*own_ : nullptr);
  return out;
}

void Checkpoints::published(const Snapshot& next, const Publication& publication) {
  if (publication.base_version == 0) keep(std::make_shared<const Snapshot>(bare_copy(next)), publication.bytes.size());
}

Checkpoints::Read Checkpoints::read(uint64_t version, uint64_t base_version, std::string_view bytes,
                                    const std::function<std::string(uint64_t)>& fetch_base) const {
  auto check_version = [](const Snapshot& s, uint64_t expected, const char* what) {
    if (s.meta.version != expected)
      throw Error(BERTH_E_CORRUPT, std::string(what) + " published as version " + std::to_string(expected) +
                                       " say version " + std::to_string(s.meta.version));
  };
  Read out;
  if (base_version == 0) {
    out.snapshot = decode_snapshot(bytes, find_policy_);
    check_version(out.snapshot, version, "bytes");
    out.checkpoint = std::make_shared<const Snapshot>(bare_copy(out.snapshot));
    out.checkpoint_bytes = bytes.size();
    return out;
  }
  if (base_version >= version)
    throw Error(BERTH_E_CORRUPT, "version " + std::to_string(version) + " is said to be based on version " +
                                     std::to_string(base_version) + ", which is not older");
  auto fetched = [&] {
    std::string base_bytes = fetch_base(base_version);
    Snapshot base = decode_snapshot(base_bytes, find_policy_);
    check_version(base, base_version, "base bytes");
    out.checkpoint = std::make_shared<const Snapshot>(std::move(base));
    out.checkpoint_bytes = base_bytes.size();
  };
  bool held = false;
  {
    std::lock_guard lock(mutex_);
    if (checkpoint_ && checkpoint_->meta.version == base_version) {
      out.checkpoint = checkpoint_;
      out.checkpoint_bytes = checkpoint_bytes_;
      held = true;
    }
  }
  if (!held) fetched();  // a node that joined late, or missed a checkpoint
  try {
    const Delta delta = decode_delta(bytes);
    try {
      out.snapshot = apply_delta(*out.checkpoint, delta);
    } catch (const Error&) {
      // The checkpoint held might not be the one published under that version (it never should
      // be): the backend's copy decides. If that cannot be had either, the first error stands.
      if (!held) throw;
      std::exception_ptr first = std::current_exception();
      auto mine = out.checkpoint;
      try {
        fetched();
      } catch (const Error&) {
        out.checkpoint = std::move(mine);
        std::rethrow_exception(first);
      }
      out.snapshot = apply_delta(*out.checkpoint, delta);
    }
    check_version(out.snapshot, version, "delta bytes");
  } catch (const Error& e) {
    throw Unreadable(e, out.checkpoint);
  }
  return out;
}

void Checkpoints::keep(std::shared_ptr<const Snapshot> checkpoint, size_t bytes) {
  std::lock_guard lock(mutex_);
  // The same version replaces what is held: it is what the backend has (see read()).
  if (checkpoint_ && checkpoint_->meta.version > checkpoint->meta.version) return;
  checkpoint_ = std::move(checkpoint);
  checkpoint_bytes_ = bytes;
}

}  // namespace berth
