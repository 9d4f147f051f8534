// The file the "static" appraiser reads: one stream per line, "stream-id<whitespace>load".
//
//   # a comment: everything from a '#' that starts a field to the end of the line
//   orders-eu   12.5
//   orders-us   40      # trailing comments are fine too
//
// Blank lines are ignored; a line has exactly two fields; a load is a finite number >= 0 (plain
// decimal or exponent notation, no locale); a stream id appears at most once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::static_appraiser {

// Heterogeneous lookup: the stream set's ids are string_views into the host's arena.
struct IdHash {
  using is_transparent = void;
  size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
};
using LoadTable = std::unordered_map<std::string, double, IdHash, std::equal_to<>>;

// A parse failure: the 1-based line and what is wrong with it (line 0: the file as a whole).
struct ParseError {
  size_t line = 0;
  std::string message;
};

// Parses the text of a load file into `out` (cleared first). Returns the first error, if any.
std::optional<ParseError> parse_loads(std::string_view text, LoadTable& out);

// What identifies one version of a file: if any of it changes, the file is read again.
struct FileSignature {
  uint64_t device = 0, inode = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileSignature&) const = default;
};

// stat() of `path`; an error message naming the file when it cannot be.
std::optional<FileSignature> signature_of(const std::string& path, std::string* error);

// The whole file; an error message naming the file when it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string* error);

}  // namespace berth::static_appraiser
