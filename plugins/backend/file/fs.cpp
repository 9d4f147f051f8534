#include "fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::file {

using plugin::Error;

void fail(int32_t code, const std::string& what, const std::string& path, int err) {
  char buffer[256];
  // GNU strerror_r returns the text (maybe not in buffer); thread-safe unlike strerror.
  const char* text = strerror_r(err, buffer, sizeof buffer);
  throw Error(code, what + " '" + path + "': " + text);
}

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Fd open_or_throw(const std::string& path, int flags, mode_t mode, int32_t code) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) fail(code, (flags & O_CREAT) != 0 ? "cannot create" : "cannot open", path, errno);
  return Fd(fd);
}

Fd open_if_exists(const std::string& path, int flags, int32_t code) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return Fd();
    fail(code, "cannot open", path, errno);
  }
  return Fd(fd);
}

void ensure_directory(const std::string& path, int32_t code) {
  if (::mkdir(path.c_str(), 0777) == 0) return;
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error(code, "'" + path + "' exists but is not a directory");
  }
  fail(code, "cannot create directory", path, err);
}

std::string read_all(int fd, const std::string& path, int32_t code) {
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    // Read straight into the string once it has room, to avoid copying tens of megabytes.
    size_t room = out.capacity() - out.size();
    if (room >= sizeof buffer) {
      size_t old = out.size();
      out.resize(out.capacity());
      ssize_t n = ::read(fd, out.data() + old, room);
      if (n < 0) {
        out.resize(old);
        if (errno == EINTR) continue;
        fail(code, "cannot read", path, errno);
      }
      out.resize(old + static_cast<size_t>(n));
      if (n == 0) return out;
      continue;
    }
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(code, "cannot read", path, errno);
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

std::optional<std::string> read_file_if_exists(const std::string& path, int32_t code) {
  Fd fd = open_if_exists(path, O_RDONLY, code);
  if (!fd) return std::nullopt;
  return read_all(fd.get(), path, code);
}

void write_all(int fd, std::string_view data, const std::string& path, int32_t code) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(code, "cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void write_all(int fd, std::string_view header, std::string_view data, const std::string& path, int32_t code) {
  write_all(fd, header, path, code);
  write_all(fd, data, path, code);
}

void fsync_or_throw(int fd, const std::string& path, int32_t code) {
  if (::fsync(fd) != 0) fail(code, "cannot fsync", path, errno);
}

void fsync_directory(const std::string& dir, int32_t code) {
  Fd fd = open_or_throw(dir, O_RDONLY | O_DIRECTORY, 0, code);
  // Some file systems refuse fsync on a directory; that is no reason to fail a publication.
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS) fail(code, "cannot fsync directory", dir, errno);
}

void replace_file(const std::string& temp, const std::string& target, std::string_view content, bool durable,
                  int32_t code) {
  try {
    Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_TRUNC, 0666, code);
    write_all(fd.get(), content, temp, code);
    if (durable) fsync_or_throw(fd.get(), temp, code);
    fd.reset();
    rename_or_throw(temp, target, code);
  } catch (...) {
    remove_file_quietly(temp);
    throw;
  }
  if (durable) fsync_directory(target.substr(0, target.rfind('/')), code);
}

void rename_or_throw(const std::string& from, const std::string& to, int32_t code) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail(code, "cannot rename '" + from + "' to", to, errno);
}

bool remove_file(const std::string& path, int32_t code) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  fail(code, "cannot remove", path, errno);
}

void remove_file_quietly(const std::string& path) noexcept { ::unlink(path.c_str()); }

std::vector<std::string> list_directory(const std::string& dir, int32_t code) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return names;
    fail(code, "cannot list directory", dir, errno);
  }
  try {
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(handle);  // NOLINT(concurrency-mt-unsafe): one DIR per call
      if (entry == nullptr) {
        if (errno != 0) fail(code, "cannot list directory", dir, errno);
        break;
      }
      std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
  } catch (...) {
    ::closedir(handle);
    throw;
  }
  ::closedir(handle);
  return names;
}

std::optional<FileStamp> stamp_of(const std::string& path, int32_t code) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    fail(code, "cannot stat", path, errno);
  }
  return FileStamp{static_cast<uint64_t>(st.st_ino),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   static_cast<int64_t>(st.st_size)};
}

DirectoryLock::DirectoryLock(const std::string& path)
    : fd_(open_or_throw(path, O_RDONLY, 0, BERTH_E_UNAVAILABLE)) {  // read-only: no inotify write events
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) fail(BERTH_E_UNAVAILABLE, "cannot lock", path, errno);
  }
}

bool lock_is_held(const std::string& path, int32_t code) {
  Fd fd = open_if_exists(path, O_RDONLY, code);
  if (!fd) return false;
  for (;;) {
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;  // released when fd closes
    if (errno == EWOULDBLOCK) return true;
    if (errno != EINTR) fail(code, "cannot test the lock of", path, errno);
  }
}

}  // namespace berth::file
