// The `file` backend: membership, election, publication and intake shared through a directory by
// every backend instance on one machine that names it (config key `dir`), across processes, and
// durable: published snapshots and pending submissions survive every process (and a power cut).
//
// Each instance is a session, as with a ZooKeeper session: it holds an flock(2) on its own
// session file for as long as it lives, and what it registers (members, candidacy) lives exactly
// as long as that lock. A process that dies however it dies (SIGKILL included) drops its locks,
// and the others treat its registrations as gone at once. See state_dir.h for the layout.
//
// Configuration:
//   dir   (required) an existing, writable directory
//   keep  snapshot versions kept on disk, default 5 (the newest, and the version it is based on,
//         are always kept)
//   poll  how often the watcher looks even without an inotify event, default "100ms" (a dying
//         process releases its locks without any file-system event)
//
// Lease: held while the session file at its path is the one this instance holds locked, without
// end (only this process dying, or the session file being taken away, ends it); lost for good
// once the file is not reachable. Only the leader watches intake/.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/plugin.hpp"
#include "full_snapshot_calls.h"
#include "fs.h"
#include "state_dir.h"
#include "watch_relay.h"
#include "watcher.h"

namespace berth::file {

class FileBackend : public backend::FullSnapshotCalls<FileBackend> {
 public:
  FileBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch);
  ~FileBackend();
  FileBackend(const FileBackend&) = delete;
  FileBackend& operator=(const FileBackend&) = delete;

  void join(std::string_view member, std::string_view info);
  void leave(std::string_view member);
  void members(const plugin::Sink& out);
  void campaign();
  void resign();
  plugin::Leadership leadership();
  // Snapshot deltas: the latest version's base is never pruned while the latest needs it.
  void publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes);
  plugin::Fetched fetch_latest(uint64_t known_version, const plugin::Sink& out);
  void fetch_version(uint64_t version, const plugin::Sink& out);
  void submit(std::string_view record);
  void drain(const plugin::Sink& out);
  void peek_intake(const plugin::Sink& out);
  void settle_intake(const std::vector<std::string_view>& keys);
  // Safe concurrently with every other call: reads only what is fixed after construction.
  plugin::Lease lease() const;

 private:
  void open_session();
  // Whether the session file at its path is still the one this instance holds locked; false once
  // the directory is removed, moved away or unmounted.
  bool session_reachable() const;
  void end_session() noexcept;
  void stand_locked(bool* changed);  // a new candidacy; requires the directory lock
  void prune_locked(uint64_t newest, uint64_t base);
  std::optional<std::string> read_snapshot(uint64_t version) const;
  std::vector<std::pair<uint64_t, std::string>> pending_records_locked(const char* operation, bool* changed);
  void kill_if(KillPoint point) const;
  std::string next_temp(std::string_view what);

  const berth_host_api* host_;
  std::unique_ptr<StateDir> dir_;
  uint64_t keep_ = 5;
  std::chrono::milliseconds poll_{100};
  KillPoint kill_at_ = KillPoint::none;
  std::shared_ptr<backend::WatchRelay> relay_;
  std::string session_;
  Fd session_fd_;              // holds the session's flock
  uint64_t session_number_ = 0;  // the lease's `session`: derived from session_, never 0
  mutable std::atomic<bool> lost_{false};  // the session was once unreachable: never held again
  std::atomic<uint64_t> candidate_seq_{0};  // this instance's candidacy; 0 while it does not campaign
  uint64_t temp_counter_ = 0;
  std::unique_ptr<Watcher> watcher_;  // last: stopped first
};

}  // namespace berth::file
