#include "watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace berth::file {

using plugin::Error;

Watcher::Watcher(const StateDir& dir, std::string session, FileStamp session_identity,
                 std::shared_ptr<backend::WatchRelay> relay, std::chrono::milliseconds poll, const berth_host_api* host,
                 const std::atomic<uint64_t>& candidate_seq)
    : dir_(dir),
      session_(std::move(session)),
      session_identity_(session_identity),
      relay_(std::move(relay)),
      poll_(poll),
      host_(host),
      candidate_seq_(candidate_seq) {
  int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) fail(BERTH_E_INTERNAL, "cannot create an eventfd for the watcher of", dir_.root(), errno);
  wake_ = Fd(wake);

  // inotify where it works; polling alone where it does not (e.g. the per-user instance limit).
  inotify_ = Fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify_) {
    plugin::log(host_, BERTH_LOG_WARN,
                "file backend '" + dir_.root() + "': inotify unavailable (errno " + std::to_string(errno) +
                    "); watching by polling every " + std::to_string(poll_.count()) + " ms");
  } else {
    constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE;
    const std::pair<const std::string*, uint32_t> watched[] = {
        {&dir_.root(), 0},
        {&dir_.sessions_dir(), 0},
        {&dir_.members_dir(), BERTH_CHANGED_MEMBERS},
        {&dir_.candidates_dir(), BERTH_CHANGED_LEADER}};
    for (const auto& [path, bits] : watched) {
      int wd = ::inotify_add_watch(inotify_.get(), path->c_str(), kMask);
      if (wd >= 0 && bits != 0) event_bits_.emplace_back(wd, bits);
      if (wd < 0) {
        plugin::log(host_, BERTH_LOG_WARN,
                    "file backend '" + dir_.root() + "': cannot watch '" + *path + "' with inotify (errno " +
                        std::to_string(errno) + "); watching by polling every " + std::to_string(poll_.count()) + " ms");
        inotify_.reset();
        break;
      }
    }
  }
  last_ = fingerprint();
  watch_intake(leads_.load());
  thread_ = std::thread([this] { run(); });
}

Watcher::~Watcher() {
  stop_.store(true);
  uint64_t one = 1;
  while (::write(wake_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
}

void Watcher::run() noexcept {
  pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
  const nfds_t count = inotify_ ? 2 : 1;
  const int timeout = static_cast<int>(std::min<std::chrono::milliseconds::rep>(poll_.count(), 60000));
  alignas(inotify_event) char events[4096];
  while (!stop_.load()) {
    int ready = ::poll(fds, count, timeout);
    if (stop_.load()) break;
    if (ready < 0 && errno != EINTR) {
      warn_once("poll failed (errno " + std::to_string(errno) + ")");
      std::this_thread::sleep_for(poll_);
    }
    // An event in members/, candidates/ or intake/ is a change even when the fingerprint ends up
    // equal (a member that joined and left between two looks); the fingerprint catches the rest
    // (a session that died without a file-system event).
    uint32_t seen = 0;
    if (count == 2 && (fds[1].revents & POLLIN) != 0) {
      for (ssize_t got; (got = ::read(inotify_.get(), events, sizeof events)) > 0;) {
        for (ssize_t at = 0; at < got;) {
          inotify_event event;
          std::memcpy(&event, events + at, sizeof event);
          for (const auto& [wd, bits] : event_bits_)
            if (wd == event.wd) seen |= bits;
          at += static_cast<ssize_t>(sizeof(inotify_event) + event.len);
        }
      }
    }
    try {
      Fingerprint now = fingerprint();
      uint32_t changed = compare(now) | seen;
      last_ = std::move(now);
      const bool leads = leads_.load();
      watch_intake(leads);
      // A new leader hears of the records that came while it followed; a follower of none.
      if (leads && !led_) changed |= BERTH_CHANGED_INTAKE;
      if (!leads) changed &= ~static_cast<uint32_t>(BERTH_CHANGED_INTAKE);
      led_ = leads;
      if (!stop_.load()) relay_->notify(changed);
    } catch (const Error& e) {
      warn_once(e.what());
      if (e.code() == BERTH_E_UNAVAILABLE && last_.connected) {
        last_.connected = false;
        if (!stop_.load()) relay_->notify(BERTH_CHANGED_CONNECTION);
      }
    } catch (const std::exception& e) {
      warn_once(e.what());
    }
  }
}

Watcher::Fingerprint Watcher::fingerprint() {
  Fingerprint now;
  std::optional<FileStamp> session_file = stamp_of(dir_.session_file(session_), BERTH_E_UNAVAILABLE);
  if (!session_file || session_file->inode != session_identity_.inode) {
    // The directory was removed, moved or unmounted: nothing else can be read meaningfully.
    now = last_;
    now.connected = false;
    return now;
  }
  bool someone_died = false;
  for (const std::string& name : list_directory(dir_.sessions_dir(), BERTH_E_UNAVAILABLE)) {
    if (name.size() <= 5 || name.substr(name.size() - 5) != ".lock") continue;
    std::string session = name.substr(0, name.size() - 5);
    if (dir_.alive(session))
      now.sessions.push_back(std::move(session));
    else
      someone_died = true;
  }
  std::sort(now.sessions.begin(), now.sessions.end());
  if (someone_died) {
    // A process ended without cleaning up (or is just doing so): finish its work.
    DirectoryLock held = dir_.lock();
    dir_.reap_dead_locked();
  }
  // A corrupt shared file is reported by the calls that read it; here it only stops that part of
  // the fingerprint from changing.
  try {
    Election election = dir_.settle(session_, nullptr);
    now.epoch = election.epoch;
    now.leader_seq = election.leader_seq;
    const uint64_t mine = candidate_seq_.load();
    leads_.store(mine != 0 && election.leader_seq == mine);
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CORRUPT) throw;
    now.epoch = last_.epoch;
    now.leader_seq = last_.leader_seq;
    warn_once(e.what());
  }
  try {
    now.latest = dir_.latest_version();
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CORRUPT) throw;
    now.latest = last_.latest;
    warn_once(e.what());
  }
  try {
    now.intake = dir_.intake_seq();
  } catch (const Error& e) {
    if (e.code() != BERTH_E_CORRUPT) throw;
    now.intake = last_.intake;
    warn_once(e.what());
  }

  std::set<std::string> names;
  for (std::string& name : list_directory(dir_.members_dir(), BERTH_E_UNAVAILABLE)) {
    std::string file = dir_.members_dir() + "/" + name;
    std::optional<FileStamp> stamp = stamp_of(file, BERTH_E_UNAVAILABLE);
    if (!stamp) continue;
    auto it = owners_.find(name);
    if (it == owners_.end() || !(it->second.first == *stamp)) {
      std::optional<MemberRecord> member;
      try {
        member = dir_.read_member(file);
      } catch (const Error& e) {
        if (e.code() != BERTH_E_CORRUPT) throw;
        warn_once(e.what());
      }
      if (!member) continue;
      it = owners_.insert_or_assign(name, std::make_pair(*stamp, member->owner)).first;
    }
    if (std::binary_search(now.sessions.begin(), now.sessions.end(), it->second.second))
      now.members.emplace_back(name, *stamp);
    names.insert(std::move(name));
  }
  std::erase_if(owners_, [&](const auto& entry) { return names.count(entry.first) == 0; });
  std::sort(now.members.begin(), now.members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return now;
}

uint32_t Watcher::compare(const Fingerprint& now) {
  uint32_t changed = 0;
  if (now.members != last_.members) changed |= BERTH_CHANGED_MEMBERS;
  if (now.epoch != last_.epoch || now.leader_seq != last_.leader_seq) changed |= BERTH_CHANGED_LEADER;
  if (now.latest != last_.latest) changed |= BERTH_CHANGED_SNAPSHOT;
  if (now.intake != last_.intake) changed |= BERTH_CHANGED_INTAKE;
  if (now.connected != last_.connected) changed |= BERTH_CHANGED_CONNECTION;
  return changed;
}

void Watcher::watch_intake(bool leads) {
  if (!inotify_ || leads == (intake_wd_ >= 0)) return;
  if (leads) {
    constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE;
    intake_wd_ = ::inotify_add_watch(inotify_.get(), dir_.intake_dir().c_str(), kMask);
    if (intake_wd_ < 0) {
      // Polling still sees new records, every `poll`.
      warn_once("cannot watch '" + dir_.intake_dir() + "' with inotify (errno " + std::to_string(errno) + ")");
      return;
    }
    event_bits_.emplace_back(intake_wd_, BERTH_CHANGED_INTAKE);
  } else {
    ::inotify_rm_watch(inotify_.get(), intake_wd_);
    std::erase_if(event_bits_, [&](const auto& entry) { return entry.first == intake_wd_; });
    intake_wd_ = -1;
  }
}

void Watcher::warn_once(const std::string& message) noexcept {
  try {
    if (message == last_warning_) return;
    last_warning_ = message;
    plugin::log(host_, BERTH_LOG_WARN, "file backend '" + dir_.root() + "' watcher: " + message);
  } catch (...) {
    // Out of memory while composing a warning: nothing to do.
  }
}

}  // namespace berth::file
