// The shared state of a `file` backend directory, and the operations on it that every instance
// (and its watcher thread) uses. The layout:
//
//   <dir>/lock                     flock(2)ed for every change of the shared state below
//   <dir>/election                 next candidate sequence, epoch, leading candidate (rewritten whole)
//   <dir>/latest                   the newest published version and the version it is based on
//                                  (rewritten whole; format 2 when based, which readers predating
//                                  deltas refuse rather than misread)
//   <dir>/intake.seq               the last intake sequence number handed out
//   <dir>/sessions/<session>.lock  one per live backend instance, flock(2)ed while it lives
//   <dir>/members/<encoded id>     owner session, id and info of one member
//   <dir>/candidates/<seq>-<session>
//   <dir>/snapshots/<version>.snap header (magic, version, length, XXH64) + the snapshot bytes
//   <dir>/intake/<seq>.rec         one submitted record
//   <dir>/tmp/<session>.<what>     files being written, renamed into place when complete
//
// Files other processes read are always complete: they are written under tmp/ and renamed into
// place. A session whose lock file is not flock()ed by anyone is dead: the kernel drops the lock
// when its process ends, however it ends, so a SIGKILLed instance is seen as dead at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs.h"

namespace berth::file {

// What the election file records.
struct Election {
  uint64_t next_seq = 1;       // the sequence number the next candidate gets
  uint64_t epoch = 0;          // of the current leader, or of the last one while nobody leads
  uint64_t leader_seq = 0;     // the leading candidate's sequence number; 0: nobody leads
  std::string leader_session;  // the leading candidate's session; empty while nobody leads
};

struct Candidate {
  uint64_t seq = 0;
  std::string session;
  std::string name;  // file name under candidates/
};

struct MemberRecord {
  std::string owner;  // session
  std::string id;
  std::string info;
};

// Which crash window a test wants a publishing process to die in (see the constructor of
// FileBackend and BERTH_FILE_BACKEND_TEST_KILL_AT).
enum class KillPoint { none, snapshot_temp, snapshot_renamed, latest_temp };

class StateDir {
 public:
  explicit StateDir(std::string root);

  const std::string& root() const { return root_; }
  std::string path(std::string_view sub) const { return root_ + "/" + std::string(sub); }
  std::string session_file(const std::string& session) const { return sessions_ + "/" + session + ".lock"; }
  std::string member_file(std::string_view id) const { return members_ + "/" + member_file_name(id); }
  std::string candidate_file(uint64_t seq, const std::string& session) const;
  std::string snapshot_file(uint64_t version) const;
  std::string intake_file(uint64_t seq) const;
  std::string temp_file(const std::string& session, std::string_view what) const {
    return tmp_ + "/" + session + "." + std::string(what);
  }
  const std::string& sessions_dir() const { return sessions_; }
  const std::string& members_dir() const { return members_; }
  const std::string& candidates_dir() const { return candidates_; }
  const std::string& snapshots_dir() const { return snapshots_; }
  const std::string& intake_dir() const { return intake_; }
  const std::string& tmp_dir() const { return tmp_; }
  const std::string& lock_file() const { return lock_; }
  const std::string& latest_file() const { return latest_; }
  const std::string& election_file() const { return election_; }
  const std::string& intake_seq_file() const { return intake_seq_; }

  // Creates the subdirectories and the lock file (BERTH_E_CONFIG naming the path on failure).
  void prepare() const;
  DirectoryLock lock() const { return DirectoryLock(lock_); }

  // Whether `session`'s lock is held, i.e. the instance lives.
  bool alive(const std::string& session) const;

  Election read_election() const;
  void write_election_locked(const Election& election, const std::string& writer) const;
  std::vector<Candidate> list_candidates() const;  // by sequence number

  // The election as it should be: the first candidate whose session lives leads; a new leading
  // candidate gets the next epoch. Requires the lock; removes dead candidates on the way.
  // `changed` is set when the leader changed.
  Election settle_locked(const std::string& writer, bool* changed) const;
  // The same without the lock when the recorded leader is still right (the common case).
  Election settle(const std::string& writer, bool* changed) const;

  // The newest published version (0 before the first publication) and the version its bytes are
  // based on (0: self-contained); BERTH_E_CORRUPT if the pointer does not parse.
  struct Latest {
    uint64_t version = 0;
    uint64_t base = 0;
  };
  Latest latest() const;
  uint64_t latest_version() const { return latest().version; }
  static std::string encode_latest(const Latest& latest);
  // The intake counter (0 before the first submission).
  uint64_t intake_seq() const;

  // nullopt when the file is gone; BERTH_E_CORRUPT when it does not parse.
  std::optional<MemberRecord> read_member(const std::string& path) const;
  static std::string encode_member(const MemberRecord& member);
  static std::string member_file_name(std::string_view id);

  // Removes everything dead sessions left behind (members, candidates, temp files, the session
  // file itself). Requires the lock.
  void reap_dead_locked() const;

  // "backend instance <session> (pid N) with members a, b" for messages.
  std::string describe_session(const std::string& session) const;
  std::string describe_leader(const Election& election) const;

 private:
  std::string root_, lock_, election_, latest_, intake_seq_;
  std::string sessions_, members_, candidates_, snapshots_, intake_, tmp_;
};

// Parses "<prefix><20 digits><suffix>"; nullopt when `name` is not of that shape.
std::optional<uint64_t> numbered_name(std::string_view name, std::string_view suffix);
// The 20-digit zero-padded decimal form, so names sort as numbers do.
std::string padded(uint64_t value);

}  // namespace berth::file
