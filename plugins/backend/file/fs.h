// Small POSIX file-system helpers for the `file` backend. Every failure throws plugin::Error with
// a message naming the operation, the path and the errno text; nothing here crashes on a bad
// file system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.hpp"
#include "decimal.h"

namespace berth::file {

// "<what> '<path>': <strerror(err)>", thrown with `code`.
[[noreturn]] void fail(int32_t code, const std::string& what, const std::string& path, int err);

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// Identity of a file as stat() sees it; a file replaced by rename gets a new inode.
struct FileStamp {
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  bool operator==(const FileStamp&) const = default;
};

// open(2) with O_CLOEXEC; throws `code` on failure.
Fd open_or_throw(const std::string& path, int flags, mode_t mode, int32_t code);
// open(2) with O_CLOEXEC; an empty Fd when the file does not exist, throws on other errors.
Fd open_if_exists(const std::string& path, int flags, int32_t code);

// Creates `path` as a directory unless it is one already.
void ensure_directory(const std::string& path, int32_t code);

// The whole content of `path`, or nullopt if it does not exist.
std::optional<std::string> read_file_if_exists(const std::string& path, int32_t code);
// The whole content of an open file.
std::string read_all(int fd, const std::string& path, int32_t code);

// Writes all of `data` at the current offset of `fd`.
void write_all(int fd, std::string_view data, const std::string& path, int32_t code);
void write_all(int fd, std::string_view header, std::string_view data, const std::string& path, int32_t code);

void fsync_or_throw(int fd, const std::string& path, int32_t code);
void fsync_directory(const std::string& dir, int32_t code);

// Writes `content` to `temp` (fsynced when `durable`), then renames it over `target`; the
// directory of `target` is fsynced too when `durable`. A reader sees the old file or the new one,
// never a partial one. `temp` is removed when anything fails.
void replace_file(const std::string& temp, const std::string& target, std::string_view content, bool durable,
                  int32_t code);

void rename_or_throw(const std::string& from, const std::string& to, int32_t code);
// unlink(2); a file that is already gone is fine. Returns whether this call removed it.
bool remove_file(const std::string& path, int32_t code);
// Best effort, for cleanup paths that must not throw.
void remove_file_quietly(const std::string& path) noexcept;

// Names in `dir` (without "." and ".."); an empty list if `dir` does not exist.
std::vector<std::string> list_directory(const std::string& dir, int32_t code);

// stat(2) of `path`; nullopt if it does not exist.
std::optional<FileStamp> stamp_of(const std::string& path, int32_t code);

// An exclusive flock(2) on an existing lock file, held for the object's lifetime. Each Lock opens its own
// file description, so two Locks conflict even within one process (and one thread: never nest).
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& path);
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  Fd fd_;
};

// Whether the flock on `path` is held by some open file description (a live session). A missing
// file counts as not held. Never takes the lock in a way that blocks.
bool lock_is_held(const std::string& path, int32_t code);

using backend::parse_u64;

}  // namespace berth::file
