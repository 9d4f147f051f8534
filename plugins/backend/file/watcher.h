// The watcher thread of one `file` backend instance: wakes on inotify events in the state
// directory (and every `poll` interval regardless, since a process dying releases its locks
// without any file-system event, and inotify may be unavailable), compares a cheap fingerprint
// of the shared state with the previous one and tells the host what changed through the relay.
// Only while its instance leads does it watch intake/ and report BERTH_CHANGED_INTAKE: the
// followers have nothing to do with submissions and are not woken by them.
// It also finishes what a dead instance left undone: it settles the election when the leader's
// process is gone and reaps dead sessions' files.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fs.h"
#include "state_dir.h"
#include "watch_relay.h"

namespace berth::file {

class Watcher {
 public:
  // Takes the first fingerprint before returning, so every change after construction is reported.
  // `session_identity` is the session file as the instance holds it open: while the file at its
  // path is another one (or none), the directory is unreachable and the watcher says so.
  // `candidate_seq` is the instance's candidacy (0: none), read to know whether it leads.
  Watcher(const StateDir& dir, std::string session, FileStamp session_identity,
          std::shared_ptr<backend::WatchRelay> relay, std::chrono::milliseconds poll, const berth_host_api* host,
          const std::atomic<uint64_t>& candidate_seq);
  // Stops and joins the thread: once it returns the watcher never notifies again.
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  bool uses_inotify() const { return inotify_.get() >= 0; }
  // Whether the instance led when the watcher last looked.
  bool leads() const { return leads_.load(); }

 private:
  struct Fingerprint {
    std::vector<std::pair<std::string, FileStamp>> members;  // live members' files, by name
    std::vector<std::string> sessions;                       // live sessions
    uint64_t epoch = 0;
    uint64_t leader_seq = 0;
    uint64_t latest = 0;
    uint64_t intake = 0;
    bool connected = true;  // the directory is reachable and still holds this session
  };

  void run() noexcept;
  Fingerprint fingerprint();
  uint32_t compare(const Fingerprint& now);
  void warn_once(const std::string& message) noexcept;
  // Adds or removes the inotify watch on intake/ as the instance leads or not.
  void watch_intake(bool leads);

  const StateDir& dir_;
  const std::string session_;
  const FileStamp session_identity_;
  std::shared_ptr<backend::WatchRelay> relay_;
  const std::chrono::milliseconds poll_;
  const berth_host_api* host_;
  const std::atomic<uint64_t>& candidate_seq_;
  std::atomic<bool> leads_{false};
  Fd inotify_;
  int intake_wd_ = -1;  // the inotify watch on intake/, while the instance leads
  bool led_ = false;    // whether the instance led at the thread's previous look
  std::vector<std::pair<int, uint32_t>> event_bits_;  // inotify watch -> the change its events mean
  Fd wake_;  // eventfd: the destructor's stop signal
  std::atomic<bool> stop_{false};
  // Used by the thread only (and by the constructor before the thread starts).
  Fingerprint last_;
  std::map<std::string, std::pair<FileStamp, std::string>> owners_;  // member file -> (stamp, owner)
  std::string last_warning_;
  std::thread thread_;
};

}  // namespace berth::file
