// The zookeeper backend's regeneration after its layout under root was deleted from outside
// (docs/catalogue.md, "Regeneration").
//
// Every instance notices (a watch fires, re-arming it finds no node), makes the layout again with
// seeds/ before `latest`, registers its members and its candidacy anew, and raises the recreated
// epoch node above every epoch it saw. Each instance that holds a version newer than what `latest`
// names then offers it: the pointer and the bytes of the newest version it published or read (and
// of that version's base) under seeds/. The leader, finding seeds/ and nothing published, waits
// regeneration_window for the offers, then republishes the newest one (its own included) under
// its epoch, fenced like any publication, and refuses the engine's publication once, so the
// engine reads that version and builds the next on top of it: versions (and so fencing tokens,
// which are versions) continue above every version an offering node held.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "zk_client.h"
#include "zk_test_hook.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

constexpr int kMaxEpochRaises = 100000;

std::string offer_name(uint64_t version, int64_t session) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "o_%020" PRIu64 "_%016" PRIx64, version, static_cast<uint64_t>(session));
  return buffer;
}

}  // namespace

bool ZkBackend::layout_missing_locked() {
  for (const std::string* path : {&root_, &members_, &election_, &epoch_, &snapshots_, &latest_, &versions_, &intake_}) {
    Stat stat;
    int rc = zoo_exists(handle(), path->c_str(), 0, &stat);
    if (rc == ZNONODE) return true;
    if (rc != ZOK) fail(rc, "read", *path);
  }
  return false;
}

void ZkBackend::recover_layout_locked() {
  plugin::log(host_, BERTH_LOG_WARN,
              "zookeeper: the layout under " + root_ +
                  " is gone (deleted from outside): making it again, registering this instance's members and "
                  "candidacy anew, and offering the newest version it holds");
  ensure_layout_locked(true);
  try {
    raise_epoch_locked();
  } catch (const Error& e) {
    // Not silently: said here, and a takeover raises it first again (try_lead_locked).
    if (e.code() != BERTH_E_UNAVAILABLE) throw;
    plugin::log(host_, BERTH_LOG_WARN, e.what());
  }
  register_members_again_locked();
  if (campaigning_) {
    if (candidate_.empty()) create_candidate_locked();
    try_lead_locked();  // creates the candidacy again when ours went with the layout
  }
}

void ZkBackend::register_members_again_locked() {
  const uint64_t seen = events_.lease.suspensions();  // the watch is set again before this
  for (const auto& [id, info] : joined_) {
    const std::string path = members_ + "/" + encode_name(id);
    int rc = zoo_create(handle(), path.c_str(), info.data(), static_cast<int>(info.size()), &acl_, ZOO_EPHEMERAL,
                        nullptr, 0);
    if (rc == ZOK) {
      if (keep_claims_for_tests(host_, id)) continue;
      events_.lease.disown();  // its holder may already be thought gone: its claims end now
      plugin::log(host_, BERTH_LOG_WARN, "zookeeper: member '" + id + "' was deleted while its session lives: registered again, its claims ended");
      continue;
    }
    if (rc != ZNODEEXISTS) fail(rc, "create", path);
  }
  events_.lease.resume(seen);  // every member registered (again): heartbeats extend the lease
}

void ZkBackend::raise_epoch_locked() {
  // One above the highest epoch seen: no instance still holding an older epoch can pass the
  // publication's fence on the recreated node.
  const uint64_t target = max_epoch_seen_ + 1;
  std::string owner;
  Stat stat;
  const auto gone = [&] {
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + epoch_ + " went while raising it to epoch " + std::to_string(target) +
                                         " (the layout was deleted again)");
  };
  if (!get_locked(epoch_, &owner, &stat)) gone();
  if (static_cast<uint64_t>(stat.version) >= max_epoch_seen_) return;
  for (int n = 0; n < kMaxEpochRaises && static_cast<uint64_t>(stat.version) < target; ++n) {
    int rc = zoo_set2(handle(), epoch_.c_str(), owner.data(), static_cast<int>(owner.size()), stat.version, &stat);
    if (rc == ZBADVERSION) {
      if (!get_locked(epoch_, &owner, &stat)) gone();
      continue;
    }
    if (rc == ZNONODE) gone();
    if (rc != ZOK) fail(rc, "raise the epoch at", epoch_);
  }
  if (static_cast<uint64_t>(stat.version) < target)
    throw Error(BERTH_E_UNAVAILABLE, "zookeeper: " + epoch_ + " reached epoch " + std::to_string(stat.version) +
                                         " after " + std::to_string(kMaxEpochRaises) + " raises, short of epoch " +
                                         std::to_string(target));
}

void ZkBackend::hold_locked(const Latest& pointer, uint64_t version, std::string_view bytes) {
  if (pointer.version != held_.version) {
    if (pointer.version < held_.version) return;
    held_ = pointer;
    for (auto it = held_bytes_.begin(); it != held_bytes_.end();)
      it = it->first == held_.version || (held_.base != 0 && it->first == held_.base) ? std::next(it) : held_bytes_.erase(it);
  }
  if (version == held_.version || (held_.base != 0 && version == held_.base)) held_bytes_[version] = std::string(bytes);
}

void ZkBackend::offer_if_behind_locked(const Latest& latest) {
  if (held_.version == 0 || latest.version >= held_.version) return;
  auto bytes = held_bytes_.find(held_.version);
  auto base = held_.base != 0 ? held_bytes_.find(held_.base) : held_bytes_.end();
  if (bytes == held_bytes_.end() || (held_.base != 0 && base == held_bytes_.end())) {
    if (unofferable_warned_ != held_.version) {
      unofferable_warned_ = held_.version;
      plugin::log(host_, BERTH_LOG_WARN,
                  "zookeeper: " + latest_ + " names version " + std::to_string(latest.version) + ", older than version " +
                      std::to_string(held_.version) + " seen here, but this instance did not read all of it" +
                      (held_.base != 0 ? " and of its base version " + std::to_string(held_.base) : std::string()) +
                      ": it offers nothing");
    }
    return;
  }
  const std::string dir = seeds_ + "/" + offer_name(held_.version, session_id_locked());
  Stat stat;
  if (dir == offered_ && zoo_exists(handle(), dir.c_str(), 0, &stat) == ZOK && stat.dataLength > 0) return;
  // Every node behind would otherwise write a whole copy: one complete offer at or above what
  // this instance holds serves them all.
  if (zoo_exists(handle(), seeds_.c_str(), 0, &stat) == ZOK) {
    for (const std::string& name : children_locked(seeds_)) {
      std::string text;
      Stat offer_stat;
      if (!get_locked(seeds_ + "/" + name, &text, &offer_stat) || text.empty()) continue;
      auto pointer = parse_latest(text);
      if (pointer && pointer->version >= held_.version) return;
    }
  }
  int rc = zoo_create(handle(), seeds_.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
  if (rc != ZOK && rc != ZNODEEXISTS) fail(rc, "create", seeds_);
  delete_tree_locked(dir);
  rc = zoo_create(handle(), dir.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
  if (rc != ZOK) fail(rc, "create", dir);
  const auto write = [&](const std::string& prefix, const std::string& data) {
    for (size_t i = 0, at = 0; at < data.size(); ++i, at += kChunkBytes) {
      const std::string path = dir + "/" + prefix + std::to_string(i);
      std::string_view chunk = std::string_view(data).substr(at, kChunkBytes);
      rc = zoo_create(handle(), path.c_str(), chunk.data(), static_cast<int>(chunk.size()), &acl_, ZOO_PERSISTENT,
                      nullptr, 0);
      if (rc != ZOK) fail(rc, "create", path);
    }
  };
  write("v_", bytes->second);
  if (held_.base != 0) write("b_", base->second);
  const std::string pointer = format_latest(held_);  // set last: an offer with data is complete
  rc = zoo_set(handle(), dir.c_str(), pointer.data(), static_cast<int>(pointer.size()), -1);
  if (rc != ZOK) fail(rc, "complete the offer", dir);
  offered_ = dir;
  plugin::log(host_, BERTH_LOG_WARN, "zookeeper: " + latest_ + " names version " + std::to_string(latest.version) +
                                         ", older than version " + std::to_string(held_.version) +
                                         " held here: offered it as " + dir);
}

void ZkBackend::restore_offers_locked(const Latest& latest, int32_t latest_data_version) {
  Stat stat;
  int rc = zoo_exists(handle(), seeds_.c_str(), 0, &stat);
  if (rc != ZOK && rc != ZNONODE) fail(rc, "read", seeds_);
  const bool seeds = rc == ZOK;
  // The pointer made anew (created empty, never set) while this instance held a version: a loss,
  // whether or not seeds/ survived it (it may be deleted too). The others' offers come all the
  // same (an offer makes seeds/). A pointer erased from outside (empty, but set before) is no
  // loss: the layout stands and this leader's next version replaces it.
  const bool remade = latest.version == 0 && latest_data_version == 0;
  const bool lost = remade && held_.version != 0;
  if (!seeds && !lost) {
    regeneration_seen_ns_ = 0;
    return;
  }
  if (remade) {
    // The window is counted per loss: a wait begun for an earlier one (perhaps while another
    // instance led and restored) must not shorten this one's.
    Stat latest_stat;
    rc = zoo_exists(handle(), latest_.c_str(), 0, &latest_stat);
    if (rc != ZOK && rc != ZNONODE) fail(rc, "read", latest_);
    if (rc == ZOK && latest_stat.czxid != regeneration_loss_) {
      regeneration_loss_ = latest_stat.czxid;
      regeneration_seen_ns_ = 0;
    }
  }
  // The newest complete offer.
  Latest newest;
  std::string newest_dir;
  for (const std::string& name : seeds ? children_locked(seeds_) : std::vector<std::string>()) {
    const std::string dir = seeds_ + "/" + name;
    std::string text;
    Stat offer_stat;
    if (!get_locked(dir, &text, &offer_stat) || text.empty()) continue;
    auto pointer = parse_latest(text);
    if (pointer && pointer->version > newest.version) {
      newest = *pointer;
      newest_dir = dir;
    }
  }
  if (remade) {
    const int64_t now = static_cast<int64_t>(monotonic_ns());
    if (regeneration_seen_ns_ == 0) regeneration_seen_ns_ = now;
    const int64_t waited_ms = (now - regeneration_seen_ns_) / 1'000'000;
    // Never below the session timeout the server granted: a node that has not offered by then
    // has lost its session, and so its lease.
    const int64_t window_ms = std::max<int64_t>(regeneration_window_ms_, zoo_recv_timeout(handle()));
    if (waited_ms < window_ms) {
      regeneration_due_ns_.store(regeneration_seen_ns_ + window_ms * 1'000'000);
      throw Error(BERTH_E_UNAVAILABLE, "zookeeper: the layout under " + root_ + " was made again; waiting " +
                                           std::to_string(window_ms - waited_ms) +
                                           " ms more (regeneration_window) for the nodes' offers under " + seeds_ +
                                           " before publishing");
    }
  }
  if (newest.version > latest.version && latest.version != 0 && latest.version != restored_version_) {
    // This leader published on its own since regeneration: its grants on that base may overlap
    // the offer's, so the offer is not republished; the next version is numbered above it.
    if (newest.version > version_floor_) {
      version_floor_ = newest.version;
      plugin::log(host_, BERTH_LOG_WARN, "zookeeper: the offer " + newest_dir + " of version " +
                                             std::to_string(newest.version) + " came after " + latest_ +
                                             " named version " + std::to_string(latest.version) +
                                             " published here: not republished, the next version is numbered above it");
    }
    return;
  }
  if (newest.version <= latest.version) {
    // Everything offered is at or below what is published: the seeds have served.
    if (latest.version != 0) {
      delete_tree_locked(seeds_);
      regeneration_seen_ns_ = 0;
    }
    return;
  }
  // Republish the newest offer under this leader's epoch, as a publication would.
  const auto read = [&](const std::string& prefix, uint64_t chunks, uint64_t size) {
    std::string bytes;
    for (uint64_t i = 0; i < chunks; ++i) {
      std::string chunk;
      Stat chunk_stat;
      const std::string path = newest_dir + "/" + prefix + std::to_string(i);
      if (!get_locked(path, &chunk, &chunk_stat)) throw Error(BERTH_E_CORRUPT, "zookeeper: offer chunk " + path + " is missing");
      bytes += chunk;
    }
    if (bytes.size() != size)
      throw Error(BERTH_E_CORRUPT, "zookeeper: the offer " + newest_dir + " holds " + std::to_string(bytes.size()) +
                                       " bytes under " + prefix + ", its pointer says " + std::to_string(size));
    return bytes;
  };
  const auto write = [&](uint64_t version, const std::string& bytes) {
    const std::string dir = versions_ + "/" + version_node_name(version, my_epoch_);
    delete_tree_locked(dir);
    int create_rc = zoo_create(handle(), dir.c_str(), "", 0, &acl_, ZOO_PERSISTENT, nullptr, 0);
    if (create_rc != ZOK) fail(create_rc, "create", dir);
    for (size_t i = 0, at = 0; at < bytes.size(); ++i, at += kChunkBytes) {
      const std::string path = dir + "/" + std::to_string(i);
      std::string_view chunk = std::string_view(bytes).substr(at, kChunkBytes);
      create_rc = zoo_create(handle(), path.c_str(), chunk.data(), static_cast<int>(chunk.size()), &acl_,
                             ZOO_PERSISTENT, nullptr, 0);
      if (create_rc != ZOK) fail(create_rc, "create", path);
    }
    return (bytes.size() + kChunkBytes - 1) / kChunkBytes;
  };
  const std::string bytes = read("v_", newest.chunks, newest.size);
  Latest next{newest.version, my_epoch_, write(newest.version, bytes), bytes.size()};
  next.codec = newest.codec;  // the offer's bytes are as stored: their codecs go with them
  next.base_codec = newest.base_codec;
  std::string base_bytes;
  if (newest.base != 0) {
    base_bytes = read("b_", newest.base_chunks, newest.base_size);
    next.base = newest.base;
    next.base_epoch = my_epoch_;
    next.base_chunks = write(newest.base, base_bytes);
    next.base_size = base_bytes.size();
  }
  const std::string pointer = format_latest(next);
  zoo_op_t ops[3];
  zoo_op_result_t results[3];
  zoo_check_op_init(&ops[0], candidate_.c_str(), -1);
  zoo_check_op_init(&ops[1], epoch_.c_str(), static_cast<int>(my_epoch_));
  zoo_set_op_init(&ops[2], latest_.c_str(), pointer.data(), static_cast<int>(pointer.size()), latest_data_version, nullptr);
  rc = multi(handle(), 3, ops, results);
  if (rc == ZNONODE || rc == ZBADVERSION)
    throw Error(BERTH_E_STATE, "zookeeper: restoring version " + std::to_string(newest.version) + " from " + newest_dir +
                                   " was refused (" + zerror(rc) + "): the leadership or " + latest_ + " changed meanwhile");
  if (rc != ZOK) fail(rc, "restore (multi on " + candidate_ + ", " + epoch_ + ",", latest_ + ")");
  hold_locked(next, next.version, bytes);
  if (next.base != 0) hold_locked(next, next.base, base_bytes);
  restored_version_ = next.version;
  regeneration_seen_ns_ = 0;
  regeneration_due_ns_.store(static_cast<int64_t>(monotonic_ns()));  // the worker wakes the host to build on it
  plugin::log(host_, BERTH_LOG_WARN, "zookeeper: regenerated " + latest_ + " with version " +
                                         std::to_string(newest.version) + ", the newest offered (" + newest_dir + ")");
  throw Error(BERTH_E_STATE, "zookeeper: " + latest_ + " now names version " + std::to_string(newest.version) +
                                 ", restored from the newest offer after the layout was lost: build on it");
}

}  // namespace berth::zk
