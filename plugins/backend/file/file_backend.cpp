#include "file_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "berth/duration.hpp"
#include "publish_admission.h"
#include "record_keys.h"

namespace berth::file {
namespace {

using plugin::Error;

// Snapshot files: this header, then the bytes. The checksum turns any damage done behind our
// back into a clear BERTH_E_CORRUPT instead of bytes that decode to something else.
constexpr char kSnapMagic[8] = {'B', 'E', 'R', 'T', 'H', 'S', 'N', 'P'};
constexpr size_t kSnapHeader = 32;  // magic, version, length, XXH3-64 (native byte order: one machine)

std::string snapshot_header(uint64_t version, std::string_view bytes) {
  std::string header(kSnapHeader, '\0');
  uint64_t fields[3] = {version, bytes.size(), XXH3_64bits(bytes.data(), bytes.size())};
  std::memcpy(header.data(), kSnapMagic, sizeof kSnapMagic);
  std::memcpy(header.data() + 8, fields, sizeof fields);
  return header;
}

std::string config_where(plugin::Config& config, std::string_view key) {
  const berth_kv* kv = config.find(key);
  return kv != nullptr ? config.where(*kv) : std::string();
}

std::string directory_of(plugin::Config& config) {
  const berth_kv* kv = config.find("dir", plugin::kString, "a string (a directory)");
  if (kv == nullptr)
    throw Error(BERTH_E_CONFIG, "backend.dir: missing: the file backend needs `dir`, the directory its state lives in");
  std::string root = kv->value;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) throw Error(BERTH_E_CONFIG, config.where(*kv) + "must not be empty");
  return root;
}

std::chrono::milliseconds poll_of(plugin::Config& config) {
  const berth_kv* kv = config.find("poll", plugin::kDuration, "a duration");
  if (kv == nullptr) return std::chrono::milliseconds(100);
  const plugin::ParsedDuration poll = plugin::parse_duration(kv->value);
  if (!poll.ok()) throw Error(BERTH_E_CONFIG, config.where(*kv) + poll.problem);
  if (poll.value < std::chrono::milliseconds(1) || poll.value > std::chrono::seconds(60))
    throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value +
                                    "' is not a duration between 1ms and 60s (write e.g. \"100ms\" or \"1s\")");
  return poll.value;
}

KillPoint kill_point_from_environment() {
  // Test hook: makes the process SIGKILL itself inside a publication, so tests can prove that
  // every crash window leaves a readable version. Unset in production.
  const char* value = std::getenv("BERTH_FILE_BACKEND_TEST_KILL_AT");  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return KillPoint::none;
  std::string_view point(value);
  if (point == "snapshot-temp") return KillPoint::snapshot_temp;
  if (point == "snapshot-renamed") return KillPoint::snapshot_renamed;
  if (point == "latest-temp") return KillPoint::latest_temp;
  return KillPoint::none;
}

void check_directory(const std::string& root, const std::string& where) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    int err = errno;
    char buffer[256];
    throw Error(BERTH_E_CONFIG, where + "the state directory '" + root + "' cannot be used: " +
                                    strerror_r(err, buffer, sizeof buffer) +
                                    (err == ENOENT ? " (create it first)" : ""));
  }
  if (!S_ISDIR(st.st_mode)) throw Error(BERTH_E_CONFIG, where + "'" + root + "' is not a directory");
  if (::access(root.c_str(), R_OK | W_OK | X_OK) != 0) {
    int err = errno;
    char buffer[256];
    throw Error(BERTH_E_CONFIG, where + "the state directory '" + root + "' is not writable: " +
                                    strerror_r(err, buffer, sizeof buffer));
  }
}

}  // namespace

FileBackend::FileBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch)
    : host_(host) {
  std::string root = directory_of(config);
  std::string where = config_where(config, "dir");
  double keep = config.number("keep", 5, 1, 1e6);
  if (keep != static_cast<double>(static_cast<uint64_t>(keep)))
    throw Error(BERTH_E_CONFIG, config_where(config, "keep") + "must be a whole number of versions");
  keep_ = static_cast<uint64_t>(keep);
  poll_ = poll_of(config);
  config.reject_unknown();  // before touching the directory: a rejected instance leaves no trace
  relay_ = std::make_shared<backend::WatchRelay>(watch);
  kill_at_ = kill_point_from_environment();

  check_directory(root, where);
  dir_ = std::make_unique<StateDir>(root);
  dir_->prepare();
  open_session();
  try {
    struct stat st {};
    if (::fstat(session_fd_.get(), &st) != 0) fail(BERTH_E_UNAVAILABLE, "cannot stat", dir_->session_file(session_), errno);
    FileStamp identity{static_cast<uint64_t>(st.st_ino), 0, 0};
    watcher_ = std::make_unique<Watcher>(*dir_, session_, identity, relay_, poll_, host_, candidate_seq_);
  } catch (...) {
    end_session();
    throw;
  }
}

// Silence the host's watch first (the watcher thread is joined), then end the session: the other
// instances see its members and candidacy go.
FileBackend::~FileBackend() {
  watcher_.reset();
  relay_->close();
  end_session();
}

void FileBackend::open_session() {
  std::random_device random;
  uint64_t nonce = (static_cast<uint64_t>(random()) << 32) ^ random();
  char name[64];
  std::snprintf(name, sizeof name, "%d-%016llx", static_cast<int>(::getpid()), static_cast<unsigned long long>(nonce));
  session_ = name;
  // FNV-1a of the unique session name: stable for the session, and never 0.
  session_number_ = 1469598103934665603ull;
  for (unsigned char c : session_) session_number_ = (session_number_ ^ c) * 1099511628211ull;
  if (session_number_ == 0) session_number_ = 1;
  // Locked under tmp/ and only then renamed into sessions/: a liveness probe (a brief shared lock
  // taken without the directory lock) can never hold the file in the instant before it is ours.
  // Under the directory lock, so no reaper runs meanwhile either.
  DirectoryLock held = dir_->lock();
  std::string path = dir_->session_file(session_);
  std::string staging = dir_->temp_file(session_, "session");
  session_fd_ = open_or_throw(staging, O_RDWR | O_CREAT | O_EXCL, 0666, BERTH_E_UNAVAILABLE);
  try {
    if (::flock(session_fd_.get(), LOCK_EX | LOCK_NB) != 0) fail(BERTH_E_UNAVAILABLE, "cannot lock", staging, errno);
    write_all(session_fd_.get(), "pid " + std::to_string(::getpid()) + "\n", staging, BERTH_E_UNAVAILABLE);
    if (::rename(staging.c_str(), path.c_str()) != 0) fail(BERTH_E_UNAVAILABLE, "cannot rename into place", path, errno);
    dir_->reap_dead_locked();
  } catch (...) {
    remove_file_quietly(staging);
    remove_file_quietly(path);
    session_fd_.reset();
    throw;
  }
}

void FileBackend::end_session() noexcept {
  try {
    DirectoryLock held = dir_->lock();
    for (const std::string& name : list_directory(dir_->members_dir(), BERTH_E_UNAVAILABLE)) {
      std::string file = dir_->members_dir() + "/" + name;
      try {
        std::optional<MemberRecord> member = dir_->read_member(file);
        if (member && member->owner == session_) remove_file(file, BERTH_E_UNAVAILABLE);
      } catch (const Error&) {
        // A corrupt member file is not ours; keep going.
      }
    }
    if (candidate_seq_ != 0) remove_file(dir_->candidate_file(candidate_seq_, session_), BERTH_E_UNAVAILABLE);
    candidate_seq_ = 0;
    remove_file(dir_->session_file(session_), BERTH_E_UNAVAILABLE);
    session_fd_.reset();  // now dead for everyone
    dir_->settle_locked(session_, nullptr);
  } catch (const std::exception& e) {
    // Whatever is left belongs to a dead session now; the next instance reaps it.
    plugin::log(host_, BERTH_LOG_WARN, "file backend '" + dir_->root() + "': ending session " + session_ + ": " + e.what());
  }
  session_fd_.reset();
}

void FileBackend::kill_if(KillPoint point) const {
  if (kill_at_ == point) ::kill(::getpid(), SIGKILL);
}

std::string FileBackend::next_temp(std::string_view what) {
  return dir_->temp_file(session_, std::string(what) + "." + std::to_string(++temp_counter_));
}

// ------------------------------------------------------------------------------ membership --

void FileBackend::join(std::string_view member, std::string_view info) {
  if (member.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "join: the member id is empty");
  {
    DirectoryLock held = dir_->lock();
    std::string path = dir_->member_file(member);
    std::optional<MemberRecord> existing = dir_->read_member(path);
    if (existing && existing->id != member)
      throw Error(BERTH_E_STATE, "join: member '" + std::string(member) + "' shares its file '" + path +
                                     "' with member '" + existing->id + "' (hash clash of long ids)");
    if (existing && existing->owner != session_ && dir_->alive(existing->owner))
      throw Error(BERTH_E_STATE, "join: member '" + std::string(member) + "' of '" + dir_->root() +
                                     "' is already registered by another live backend instance (" +
                                     dir_->describe_session(existing->owner) + ")");
    if (existing && existing->owner == session_ && existing->info == info) return;  // nothing changed
    // Membership lives only as long as the session, so it need not survive a power cut: no fsync.
    replace_file(next_temp("member"), path, StateDir::encode_member({session_, std::string(member), std::string(info)}),
                 false, BERTH_E_UNAVAILABLE);
  }
  relay_->notify(BERTH_CHANGED_MEMBERS);
}

void FileBackend::leave(std::string_view member) {
  {
    DirectoryLock held = dir_->lock();
    std::string path = dir_->member_file(member);
    std::optional<MemberRecord> existing = dir_->read_member(path);
    if (!existing || existing->id != member) return;  // leaving is idempotent
    if (existing->owner != session_) {
      if (dir_->alive(existing->owner))
        throw Error(BERTH_E_STATE, "leave: member '" + std::string(member) + "' of '" + dir_->root() +
                                       "' is registered by another backend instance (" +
                                       dir_->describe_session(existing->owner) + "), not this one");
      remove_file(path, BERTH_E_UNAVAILABLE);  // a dead instance's leftover: already gone for everyone
      return;
    }
    remove_file(path, BERTH_E_UNAVAILABLE);
  }
  relay_->notify(BERTH_CHANGED_MEMBERS);
}

void FileBackend::members(const plugin::Sink& out) {
  std::map<std::string, bool> live;
  std::set<std::string> seen;
  for (const std::string& name : list_directory(dir_->members_dir(), BERTH_E_UNAVAILABLE)) {
    std::optional<MemberRecord> member = dir_->read_member(dir_->members_dir() + "/" + name);
    if (!member) continue;  // left between listing and reading
    auto it = live.find(member->owner);
    if (it == live.end())
      it = live.emplace(member->owner, member->owner == session_ || dir_->alive(member->owner)).first;
    if (!it->second || !seen.insert(member->id).second) continue;
    out.item(member->id, member->info.data(), member->info.size());
  }
}

// -------------------------------------------------------------------------------- election --

void FileBackend::campaign() {
  if (candidate_seq_ != 0) return;  // already a candidate: nothing changes
  bool changed = false;
  {
    DirectoryLock held = dir_->lock();
    stand_locked(&changed);
  }
  if (changed) relay_->notify(BERTH_CHANGED_LEADER);
}

void FileBackend::stand_locked(bool* changed) {
  Election election = dir_->read_election();
  const uint64_t seq = election.next_seq;
  const std::string path = dir_->candidate_file(seq, session_);
  open_or_throw(path, O_WRONLY | O_CREAT | O_EXCL, 0666, BERTH_E_UNAVAILABLE);
  candidate_seq_ = seq;
  try {
    election = dir_->settle_locked(session_, changed);
    if (election.next_seq <= seq) {  // the leader did not change, so settle wrote nothing
      election.next_seq = seq + 1;
      dir_->write_election_locked(election, session_);
    }
  } catch (...) {
    remove_file_quietly(path);
    candidate_seq_ = 0;
    throw;
  }
}

void FileBackend::resign() {
  if (candidate_seq_ == 0) return;
  bool changed = false;
  {
    DirectoryLock held = dir_->lock();
    remove_file(dir_->candidate_file(candidate_seq_, session_), BERTH_E_UNAVAILABLE);
    candidate_seq_ = 0;
    dir_->settle_locked(session_, &changed);
  }
  if (changed) relay_->notify(BERTH_CHANGED_LEADER);
}

bool FileBackend::session_reachable() const {
  struct stat by_path {}, held {};
  return ::stat(dir_->session_file(session_).c_str(), &by_path) == 0 && ::fstat(session_fd_.get(), &held) == 0 &&
         by_path.st_ino == held.st_ino && by_path.st_dev == held.st_dev;
}

plugin::Lease FileBackend::lease() const {
  if (!lost_.load() && !session_reachable()) lost_.store(true);
  const bool held = !lost_.load();
  return {held, held ? UINT64_MAX : 0, session_number_};
}

// While the directory cannot be reached this instance leads nothing and says it is disconnected
// (the host keeps serving its last snapshot); the watcher reports the change both ways.
plugin::Leadership FileBackend::leadership() {
  if (!session_reachable()) return {0, false, false};
  bool changed = false;
  Election election;
  try {
    // A candidacy deleted from outside while the session lives: stand again (behind the others).
    if (const uint64_t seq = candidate_seq_.load(); seq != 0) {
      const std::string path = dir_->candidate_file(seq, session_);
      const auto missing = [&] {
        struct stat file {};
        return ::stat(path.c_str(), &file) != 0 && errno == ENOENT;
      };
      if (missing()) {
        // Again under the lock: resign() unlinks under it before it clears candidate_seq_, so a
        // candidacy still ours here was deleted from outside, not resigned.
        DirectoryLock held = dir_->lock();
        if (candidate_seq_.load() == seq && missing()) {
          plugin::log(host_, BERTH_LOG_WARN,
                      "file: this instance's candidacy " + path + " was deleted while its session lives: campaigning again");
          candidate_seq_ = 0;
          stand_locked(&changed);
        }
      }
    }
    election = dir_->settle(session_, &changed);
  } catch (const Error& e) {
    if (e.code() != BERTH_E_UNAVAILABLE) throw;
    plugin::log(host_, BERTH_LOG_WARN, e.what());
    return {0, false, false};
  }
  if (changed) relay_->notify(BERTH_CHANGED_LEADER);
  bool leads = election.leader_seq != 0 && election.leader_seq == candidate_seq_;
  return {election.leader_seq != 0 ? election.epoch : 0, leads, true};
}

// ----------------------------------------------------------------------------- publication --

void FileBackend::publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes) {
  // The base is kept by pruning (prune_locked), which spares whatever the new latest names.
  const backend::PublishAdmission admission(epoch, version, base_version, "'" + dir_->root() + "'");
  auto check = [&](const Election& election, const StateDir::Latest& latest) {
    const bool leads = candidate_seq_ != 0 && election.leader_seq == candidate_seq_;
    admission.require_leader(leads, election.epoch, [&] { return dir_->describe_leader(election); });
    admission.admit({latest.version, latest.base});
  };
  bool changed = false;
  // Cheap checks first, so a fenced publisher writes nothing; they are repeated under the lock.
  check(dir_->settle(session_, &changed), dir_->latest());

  // The bytes go to a temp file outside the lock (a snapshot may be tens of megabytes) ...
  const std::string temp = next_temp("snap");
  try {
    {
      Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_TRUNC, 0666, BERTH_E_UNAVAILABLE);
      write_all(fd.get(), snapshot_header(version, bytes), bytes, temp, BERTH_E_UNAVAILABLE);
      fsync_or_throw(fd.get(), temp, BERTH_E_UNAVAILABLE);
    }
    kill_if(KillPoint::snapshot_temp);
    // ... and become the newest version under it, in two renames: first the complete file, then
    // the pointer. A crash anywhere leaves `latest` naming a complete, older or newer, version.
    DirectoryLock held = dir_->lock();
    check(dir_->settle_locked(session_, &changed), dir_->latest());
    rename_or_throw(temp, dir_->snapshot_file(version), BERTH_E_UNAVAILABLE);
    fsync_directory(dir_->snapshots_dir(), BERTH_E_UNAVAILABLE);
    kill_if(KillPoint::snapshot_renamed);
    const std::string pointer_temp = next_temp("latest");
    {
      Fd fd = open_or_throw(pointer_temp, O_WRONLY | O_CREAT | O_TRUNC, 0666, BERTH_E_UNAVAILABLE);
      write_all(fd.get(), StateDir::encode_latest({version, base_version}), pointer_temp, BERTH_E_UNAVAILABLE);
      fsync_or_throw(fd.get(), pointer_temp, BERTH_E_UNAVAILABLE);
    }
    kill_if(KillPoint::latest_temp);
    try {
      rename_or_throw(pointer_temp, dir_->latest_file(), BERTH_E_UNAVAILABLE);
    } catch (...) {
      remove_file_quietly(pointer_temp);
      throw;
    }
    fsync_directory(dir_->root(), BERTH_E_UNAVAILABLE);
    prune_locked(version, base_version);
  } catch (...) {
    remove_file_quietly(temp);
    throw;
  }
  relay_->notify(BERTH_CHANGED_SNAPSHOT | (changed ? BERTH_CHANGED_LEADER : 0u));
}

// Keeps the newest `keep_` versions up to `newest`, and `base` (what newest is based on; 0: none);
// anything above `newest` is a crashed publication's.
void FileBackend::prune_locked(uint64_t newest, uint64_t base) {
  std::vector<uint64_t> versions;
  for (const std::string& name : list_directory(dir_->snapshots_dir(), BERTH_E_UNAVAILABLE)) {
    std::optional<uint64_t> version = numbered_name(name, ".snap");
    if (!version) continue;
    if (*version > newest)
      remove_file(dir_->snapshot_file(*version), BERTH_E_UNAVAILABLE);
    else
      versions.push_back(*version);
  }
  if (versions.size() <= keep_) return;
  std::sort(versions.begin(), versions.end(), std::greater<>());
  for (size_t i = keep_; i < versions.size(); ++i)
    if (versions[i] != base) remove_file(dir_->snapshot_file(versions[i]), BERTH_E_UNAVAILABLE);
}

plugin::Fetched FileBackend::fetch_latest(uint64_t known_version, const plugin::Sink& out) {
  for (int attempt = 0;; ++attempt) {
    StateDir::Latest latest = dir_->latest();
    if (latest.version <= known_version) return {latest.version, latest.base};
    std::optional<std::string> bytes = read_snapshot(latest.version);
    if (!bytes) {
      // Newer publications may have pruned it since `latest` was read: read the pointer again.
      if (dir_->latest_version() != latest.version && attempt < 1000) continue;
      throw Error(BERTH_E_CORRUPT, "'" + dir_->latest_file() + "' names version " + std::to_string(latest.version) +
                                       ", but its snapshot file '" + dir_->snapshot_file(latest.version) + "' is missing");
    }
    out.write(bytes->data(), bytes->size());
    return {latest.version, latest.base};
  }
}

void FileBackend::fetch_version(uint64_t version, const plugin::Sink& out) {
  std::optional<std::string> bytes = version != 0 ? read_snapshot(version) : std::nullopt;
  if (!bytes)
    throw Error(BERTH_E_NOT_FOUND, "fetch_version: '" + dir_->root() + "' does not keep version " + std::to_string(version) +
                                       " (no file '" + dir_->snapshot_file(version) + "')");
  out.write(bytes->data(), bytes->size());
}

// The bytes of a version's file, checked against its header; nullopt when there is no such file.
std::optional<std::string> FileBackend::read_snapshot(uint64_t version) const {
  const std::string path = dir_->snapshot_file(version);
  Fd fd = open_if_exists(path, O_RDONLY, BERTH_E_UNAVAILABLE);
  if (!fd) return std::nullopt;
  std::string content = read_all(fd.get(), path, BERTH_E_UNAVAILABLE);
  auto corrupt = [&](const std::string& why) {
    return Error(BERTH_E_CORRUPT, "snapshot file '" + path + "' is corrupt: " + why);
  };
  if (content.size() < kSnapHeader || std::memcmp(content.data(), kSnapMagic, sizeof kSnapMagic) != 0)
    throw corrupt("no snapshot header");
  uint64_t fields[3];
  std::memcpy(fields, content.data() + 8, sizeof fields);
  std::string_view bytes = std::string_view(content).substr(kSnapHeader);
  if (fields[0] != version)
    throw corrupt("it holds version " + std::to_string(fields[0]) + ", not " + std::to_string(version));
  if (fields[1] != bytes.size())
    throw corrupt("the header says " + std::to_string(fields[1]) + " bytes, the file has " + std::to_string(bytes.size()));
  if (fields[2] != XXH3_64bits(bytes.data(), bytes.size())) throw corrupt("the checksum does not match");
  return content.substr(kSnapHeader);
}

// ---------------------------------------------------------------------------------- intake --

void FileBackend::submit(std::string_view record) {
  const std::string temp = next_temp("rec");
  try {
    {
      Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_TRUNC, 0666, BERTH_E_UNAVAILABLE);
      write_all(fd.get(), record, temp, BERTH_E_UNAVAILABLE);
      fsync_or_throw(fd.get(), temp, BERTH_E_UNAVAILABLE);
    }
    DirectoryLock held = dir_->lock();
    // The counter is a hint (it is not fsynced); the records on disk are the truth, so a counter
    // lost in a crash can never hand out a number still in use.
    uint64_t seq = 0;
    try {
      seq = dir_->intake_seq();
    } catch (const Error& e) {
      if (e.code() != BERTH_E_CORRUPT) throw;
      plugin::log(host_, BERTH_LOG_WARN, std::string(e.what()) + "; recounting from the pending records");
    }
    for (const std::string& name : list_directory(dir_->intake_dir(), BERTH_E_UNAVAILABLE))
      if (std::optional<uint64_t> pending = numbered_name(name, ".rec")) seq = std::max(seq, *pending);
    ++seq;
    rename_or_throw(temp, dir_->intake_file(seq), BERTH_E_UNAVAILABLE);
    fsync_directory(dir_->intake_dir(), BERTH_E_UNAVAILABLE);
    replace_file(next_temp("intake-seq"), dir_->intake_seq_file(), std::to_string(seq) + "\n", false,
                 BERTH_E_UNAVAILABLE);
  } catch (...) {
    remove_file_quietly(temp);
    throw;
  }
  // Only the leader hears of records (the others' watchers do not even look at intake/).
  if (watcher_->leads()) relay_->notify(BERTH_CHANGED_INTAKE);
}

// Every pending record, oldest first, for the leader only. Requires the directory lock.
std::vector<std::pair<uint64_t, std::string>> FileBackend::pending_records_locked(const char* operation,
                                                                                 bool* changed) {
  Election election = dir_->settle_locked(session_, changed);
  if (candidate_seq_ == 0 || election.leader_seq != candidate_seq_)
    throw Error(BERTH_E_STATE, std::string(operation) +
                                   ": only the leader takes submissions, and this backend instance does not lead '" +
                                   dir_->root() + "'; " + dir_->describe_leader(election));
  std::vector<uint64_t> pending;
  for (const std::string& name : list_directory(dir_->intake_dir(), BERTH_E_UNAVAILABLE))
    if (std::optional<uint64_t> seq = numbered_name(name, ".rec")) pending.push_back(*seq);
  std::sort(pending.begin(), pending.end());
  std::vector<std::pair<uint64_t, std::string>> records;
  for (uint64_t seq : pending)
    if (std::optional<std::string> record = read_file_if_exists(dir_->intake_file(seq), BERTH_E_UNAVAILABLE))
      records.emplace_back(seq, std::move(*record));
  return records;
}

void FileBackend::drain(const plugin::Sink& out) {
  bool changed = false;
  {
    DirectoryLock held = dir_->lock();
    // Handed over first, removed after: if the host cannot take them all, every record stays.
    std::vector<std::pair<uint64_t, std::string>> records = pending_records_locked("drain", &changed);
    for (const auto& [seq, record] : records) out.item("", record.data(), record.size());
    for (const auto& [seq, record] : records) remove_file(dir_->intake_file(seq), BERTH_E_UNAVAILABLE);
  }
  if (changed) relay_->notify(BERTH_CHANGED_LEADER);
}

void FileBackend::peek_intake(const plugin::Sink& out) {
  bool changed = false;
  {
    DirectoryLock held = dir_->lock();
    for (const auto& [seq, record] : pending_records_locked("peek_intake", &changed))
      out.item(backend::record_key(seq), record.data(), record.size());
  }
  if (changed) relay_->notify(BERTH_CHANGED_LEADER);
}

// The directory is fsynced once at the end: a machine crash must not bring back an older
// record whose removal was lost while a later one for the same stream stays removed.
void FileBackend::settle_intake(const std::vector<std::string_view>& keys) {
  std::vector<uint64_t> seqs = backend::parse_record_keys(keys, "file backend '" + dir_->root() + "'");
  if (seqs.empty()) return;
  DirectoryLock held = dir_->lock();
  for (uint64_t seq : seqs) remove_file(dir_->intake_file(seq), BERTH_E_UNAVAILABLE);
  fsync_directory(dir_->intake_dir(), BERTH_E_UNAVAILABLE);
}

}  // namespace berth::file

BERTH_DEFINE_BACKEND_PLUGIN(berth::file::FileBackend, "file", "1.1.0")
