// The zookeeper backend's publication: chunks under versions/, one multi that flips `latest`
// while this instance still leads at its epoch, and the readers of what `latest` names.
#include <algorithm>

#include "publish_admission.h"
#include "zk_chunk_codec.h"
#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

}  // namespace

void ZkBackend::publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes_given) {
  // Compressed before the lock: readers and the session's work do not wait for it.
  const std::string packed = codec_ == Codec::zstd ? pack_version(bytes_given) : std::string();
  const std::string_view bytes = codec_ == Codec::zstd ? std::string_view(packed) : bytes_given;  // what is stored
  std::lock_guard lock(mutex_);
  const backend::PublishAdmission admission(epoch, version, base_version, root_);
  if (!candidate_.empty() && my_epoch_ == 0) try_lead_locked();
  admission.require_leader(!candidate_.empty() && my_epoch_ != 0, my_epoch_, [&] { return describe_leader_locked(); });

  int32_t latest_data_version = 0;
  // An erased pointer is replaced by this publication (the multi checks it did not change since).
  const Latest latest = read_latest_locked(&latest_data_version, true);
  restore_offers_locked(latest, latest_data_version);  // after the layout was lost (zk_regeneration.cpp)
  if (version <= version_floor_)
    throw Error(BERTH_E_STATE, "zookeeper: version " + std::to_string(version) + " is at or below version " +
                                   std::to_string(version_floor_) +
                                   ", offered after the layout was lost: number the next version above it");
  // The base is kept by naming it in `latest`. The multi below checks `latest` did not change
  // since it was read, so the admission still holds when it commits.
  Latest next{version, epoch, (bytes.size() + kChunkBytes - 1) / kChunkBytes, bytes.size()};
  next.codec = static_cast<uint64_t>(codec_);
  const auto base_on = [&next](uint64_t base, uint64_t base_epoch, uint64_t base_chunks, uint64_t base_size,
                               uint64_t base_codec) {
    next.base = base;
    next.base_epoch = base_epoch;
    next.base_chunks = base_chunks;
    next.base_size = base_size;
    next.base_codec = base_codec;
  };
  switch (admission.admit({latest.version, latest.base})) {
    case backend::BaseOf::nothing: break;
    case backend::BaseOf::latest: base_on(latest.version, latest.epoch, latest.chunks, latest.size, latest.codec); break;
    case backend::BaseOf::latest_base:
      base_on(latest.base, latest.base_epoch, latest.base_chunks, latest.base_size, latest.base_codec);
      break;
  }

  const std::string dir = versions_ + "/" + version_node_name(version, epoch);
  const std::string pointer = format_latest(next);
  // A deposed leader's publication fails with BERTH_E_FENCED whatever step noticed it: the multi's
  // checks, a chunk whose folder a successor's garbage collector removed, the versions folder
  // gone, or a session that expired under it. Throws when this instance no longer leads; returns
  // when it still does, or when that cannot be learnt now (the caller's own error stands then).
  const auto leader_now = [&]() -> std::string {
    try {
      return describe_leader_locked();
    } catch (const Error& e) {
      return std::string("leader: unknown (") + e.what() + ")";
    }
  };
  const auto fence_if_deposed = [&](int cause) {
    Stat stat;
    int candidate_rc = cause == ZSESSIONEXPIRED ? ZSESSIONEXPIRED
                       : candidate_.empty()     ? ZNONODE
                                                : zoo_exists(handle(), candidate_.c_str(), 0, &stat);
    if (candidate_rc == ZNONODE || candidate_rc == ZSESSIONEXPIRED) {
      candidate_.clear();
      set_epoch_locked(0);
      admission.fenced(candidate_rc == ZNONODE ? "this instance's candidacy is gone (its session expired)"
                                               : "the session expired, and this instance's candidacy with it",
                       leader_now());
    }
    if (candidate_rc != ZOK) return;
    Stat epoch_stat;
    int epoch_rc = zoo_exists(handle(), epoch_.c_str(), 0, &epoch_stat);
    if (epoch_rc == ZNONODE || (epoch_rc == ZOK && static_cast<uint64_t>(epoch_stat.version) != my_epoch_)) {
      set_epoch_locked(0);
      admission.fenced("a newer leader took over", leader_now());
    }
  };
  // Any failure: fenced if deposed, else the failure itself.
  const auto fenced_or = [&](const Error& e, int cause) {
    if (e.code() != BERTH_E_FENCED) {
      try {
        fence_if_deposed(cause);
      } catch (const Error& fenced) {
        if (fenced.code() == BERTH_E_FENCED) throw;
      }
    }
  };
  // The multi was refused because a check failed (ZNONODE, ZBADVERSION): which one? Trust only
  // the return code, so look again. Throws.
  const auto refused = [&] {
    fence_if_deposed(ZOK);
    throw Error(BERTH_E_STATE, "publish: " + latest_ + " changed while version " + std::to_string(version) +
                                   " was being written; nothing was published");
  };
  // A commit whose reply was lost: it happened exactly when `latest` names this version now.
  const auto committed_meanwhile = [&] {
    try {
      std::string text;
      Stat stat;
      if (!get_locked(latest_, &text, &stat)) return false;
      auto now = parse_latest(text);
      return now && now->version == next.version && now->epoch == next.epoch;
    } catch (const Error&) {
      return false;
    }
  };

  // A commit whose reply was lost (the connection dropped or timed out) may have happened: what
  // it wrote may be the version `latest` names, so nothing of it is deleted.
  const auto outcome_unknown = [](int rc) { return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT; };

  // A version of one chunk (a delta, a small snapshot) in one round trip: its node, its chunk and
  // the pointer, committed together only while this instance is a candidate at its epoch and
  // `latest` is unchanged since it was read. The checks come first, so a node already there
  // (ZNODEEXISTS) is known not to be what `latest` names: a leftover of a failed attempt.
  if (next.chunks <= 1) {
    zoo_op_t ops[6];
    zoo_op_result_t results[6];
    int n = 0;
    zoo_check_op_init(&ops[n++], candidate_.c_str(), -1);
    zoo_check_op_init(&ops[n++], epoch_.c_str(), static_cast<int>(my_epoch_));
    zoo_check_op_init(&ops[n++], latest_.c_str(), latest_data_version);
    zoo_create_op_init(&ops[n++], dir.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
    const std::string chunk_path = dir + "/0";
    if (next.chunks == 1)
      zoo_create_op_init(&ops[n++], chunk_path.c_str(), bytes.data(), static_cast<int>(bytes.size()), &acl_,
                         ZOO_PERSISTENT, nullptr, 0);
    zoo_set_op_init(&ops[n++], latest_.c_str(), pointer.data(), static_cast<int>(pointer.size()), latest_data_version,
                    nullptr);
    int rc = multi(handle(), n, ops, results);
    if (rc == ZNONODE || rc == ZBADVERSION) refused();
    if (outcome_unknown(rc) && committed_meanwhile()) rc = ZOK;
    // ZNODEEXISTS: a leftover of an earlier failed attempt of ours, cleared by the path below.
    if (rc != ZOK && rc != ZNODEEXISTS) {
      try {
        fail(rc, "publish (multi on " + candidate_ + ", " + epoch_ + ",", latest_ + ")");
      } catch (const Error& e) {
        fenced_or(e, rc);
        throw;
      }
    }
    if (rc == ZOK) {
      hold_locked(next, version, bytes);
      collect_garbage_after_locked(next);
      return;
    }
  }

  int last_rc = ZOK;  // the client's answer to the step that failed, if one did
  bool created = false;  // this attempt made the version node: only then is it its to delete
  bool committed = false;
  bool unknown = false;
  try {
    // 1. The chunks, under a node no other publication can share. One already there is a leftover
    // of an earlier failed attempt only while `latest` is unchanged since it was read: else it may
    // be what `latest` names now, and this publication is refused before anything is deleted.
    {
      struct Stat stat{};
      if (zoo_exists(handle(), dir.c_str(), 0, &stat) == ZOK) {
        struct Stat latest_stat{};
        last_rc = zoo_exists(handle(), latest_.c_str(), 0, &latest_stat);
        if (last_rc != ZOK) fail(last_rc, "exists", latest_);
        if (latest_stat.version != latest_data_version) refused();
        delete_tree_locked(dir);
      }
    }
    last_rc = zoo_create(handle(), dir.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
    if (last_rc != ZOK) fail(last_rc, "create", dir);
    created = true;
    for (uint64_t i = 0; i < next.chunks; ++i) {
      const std::string chunk_path = dir + "/" + std::to_string(i);
      std::string_view chunk = bytes.substr(i * kChunkBytes, kChunkBytes);
      last_rc = zoo_create(handle(), chunk_path.c_str(), chunk.data(), static_cast<int>(chunk.size()), &acl_,
                           ZOO_PERSISTENT, nullptr, 0);
      if (last_rc != ZOK) fail(last_rc, "create", chunk_path);
    }
    // 2. One multi: still a candidate, still at our epoch, and latest unchanged since we read it.
    zoo_op_t ops[3];
    zoo_op_result_t results[3];
    zoo_check_op_init(&ops[0], candidate_.c_str(), -1);
    zoo_check_op_init(&ops[1], epoch_.c_str(), static_cast<int>(my_epoch_));
    zoo_set_op_init(&ops[2], latest_.c_str(), pointer.data(), static_cast<int>(pointer.size()), latest_data_version,
                    nullptr);
    last_rc = multi(handle(), 3, ops, results);
    unknown = outcome_unknown(last_rc);
    if (unknown && committed_meanwhile()) last_rc = ZOK;
    if (last_rc == ZOK) {
      committed = true;
    } else if (last_rc == ZNONODE || last_rc == ZBADVERSION) {
      refused();
    } else {
      fail(last_rc, "publish (multi on " + candidate_ + ", " + epoch_ + ",", latest_ + ")");
    }
  } catch (const Error& e) {
    if (created && !committed && !unknown) {
      try {
        delete_tree_locked(dir);
      } catch (...) {
        // Best effort: the garbage collector of a later publication removes it.
      }
    }
    fenced_or(e, last_rc);
    throw;
  }
  hold_locked(next, version, bytes);
  collect_garbage_after_locked(next);
}

// The chunks of one version node; false when some are gone (collected after a newer
// publication, or damaged: fail_if_damaged_locked tells which).
bool ZkBackend::read_chunks_locked(uint64_t version, uint64_t epoch, uint64_t chunks, uint64_t size, std::string* bytes,
                                   std::string* missing) {
  const std::string dir = versions_ + "/" + version_node_name(version, epoch);
  bytes->clear();
  bytes->reserve(size);
  for (uint64_t i = 0; i < chunks; ++i) {
    std::string chunk;
    Stat chunk_stat;
    const std::string path = dir + "/" + std::to_string(i);
    if (!get_locked(path, &chunk, &chunk_stat)) {
      if (missing != nullptr) {
        Stat dir_stat;
        *missing = i == 0 && zoo_exists(handle(), dir.c_str(), 0, &dir_stat) == ZNONODE ? dir : path;
      }
      return false;
    }
    *bytes += chunk;
  }
  if (bytes->size() != size)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + dir + " holds " + std::to_string(bytes->size()) + " bytes, " + latest_ +
                                     " says " + std::to_string(size));
  return true;
}

void ZkBackend::fail_if_damaged_locked(int32_t data_version, const std::string& missing, uint64_t version) {
  Stat stat;
  int rc = zoo_exists(handle(), latest_.c_str(), 0, &stat);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "read", latest_);
  if (rc == ZOK && stat.version != data_version) return;  // moved on: a newer version is out
  // The pointer still names it, and versions it names are never collected: deleted from outside.
  const bool whole_version = basename_of(missing).size() + versions_.size() + 1 == missing.size();
  throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " names version " + std::to_string(version) + " but " + missing +
                                   " is missing (" + (whole_version ? "a dangling pointer" : "a chunk of it") +
                                   ", deleted from outside): the version cannot be read until the leader publishes again");
}

Latest ZkBackend::read_latest_locked(int32_t* data_version, bool erased_is_empty) {
  std::string text;
  Stat stat;
  if (!get_locked(latest_, &text, &stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " is missing");
  // Created empty, it is set only to a pointer: empty after a change was erased from outside.
  if (text.empty() && stat.version != 0 && !erased_is_empty)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " is empty although it was set " + std::to_string(stat.version) +
                                     " time(s): the snapshot pointer was erased from outside, so what was published "
                                     "cannot be found until the leader publishes again");
  auto latest = parse_latest(text);
  if (!latest && latest_format_is_newer(text))
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " was written by a newer build of Berth (\"" +
                                     text.substr(0, text.find(' ', 16)) + "\"): upgrade this node");
  if (!latest)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + latest_ + " does not hold a snapshot pointer (" +
                                     std::to_string(text.size()) + " bytes not of the form \"berth-zk-latest ...\")");
  if (data_version != nullptr) *data_version = stat.version;
  return *latest;
}

// Held for a later offer (zk_regeneration.cpp) only once they decoded: a damaged frame is never offered.
void ZkBackend::hold_decoded(const Latest& pointer, uint64_t version, std::string_view stored) {
  std::lock_guard lock(mutex_);
  hold_locked(pointer, version, stored);
}

plugin::Fetched ZkBackend::fetch_latest(uint64_t known_version, const plugin::Sink& out) {
  std::string bytes;
  plugin::Fetched found;
  Latest read;
  {
    std::lock_guard lock(mutex_);
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      int32_t data_version = 0;
      Latest latest = read_latest_locked(&data_version);
      found = {latest.version, latest.base};
      if (latest.version < held_.version) {
        try {
          offer_if_behind_locked(latest);  // the layout was lost and made again
        } catch (const Error& e) {
          plugin::log(host_, BERTH_LOG_WARN, std::string("zookeeper: offering version ") +
                                                 std::to_string(held_.version) + " failed: " + e.what());
        }
      }
      if (latest.version == 0 || latest.version <= known_version) {
        // A late offer's version, never republished, is still taken: the next is numbered above.
        if (version_floor_ > found.version) found = {version_floor_, 0};
        return found;
      }
      // Incomplete: collected meanwhile, so a newer version is out: start again; or damaged.
      std::string missing;
      done = read_chunks_locked(latest.version, latest.epoch, latest.chunks, latest.size, &bytes, &missing);
      if (!done) fail_if_damaged_locked(data_version, missing, latest.version);
      read = latest;
    }
    if (!done) throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + latest_ + " kept moving faster than it could be read");
  }
  const std::string decoded =
      unpack_version(static_cast<Codec>(read.codec), bytes, versions_ + "/" + version_node_name(read.version, read.epoch));
  hold_decoded(read, read.version, bytes);
  out.write(decoded.data(), decoded.size());
  return found;
}

void ZkBackend::fetch_version(uint64_t version, const plugin::Sink& out) {
  std::string bytes;
  uint64_t codec = 0;
  std::string where;  // the version node read
  Latest pointer;     // the `latest` that named it
  {
    std::lock_guard lock(mutex_);
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      int32_t data_version = 0;
      Latest latest = read_latest_locked(&data_version);
      std::string missing;
      if (version != 0 && version == latest.version) {
        done = read_chunks_locked(latest.version, latest.epoch, latest.chunks, latest.size, &bytes, &missing);
        codec = latest.codec;
        where = version_node_name(latest.version, latest.epoch);
      } else if (version != 0 && version == latest.base) {
        done = read_chunks_locked(latest.base, latest.base_epoch, latest.base_chunks, latest.base_size, &bytes, &missing);
        codec = latest.base_codec;
        where = version_node_name(latest.base, latest.base_epoch);
      } else {
        throw Error(BERTH_E_NOT_FOUND, "zookeeper: version " + std::to_string(version) + " is not kept (" + latest_ +
                                           " names version " + std::to_string(latest.version) +
                                           (latest.base != 0 ? " based on version " + std::to_string(latest.base) : "") +
                                           ")");
      }
      // Incomplete: collected meanwhile, so a newer version is out: read the pointer again; or damaged.
      if (done) pointer = latest;
      else fail_if_damaged_locked(data_version, missing, version);
    }
    if (!done) throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + latest_ + " kept moving faster than it could be read");
  }
  const std::string decoded = unpack_version(static_cast<Codec>(codec), bytes, versions_ + "/" + where);
  hold_decoded(pointer, version, bytes);
  out.write(decoded.data(), decoded.size());
}

}  // namespace berth::zk
