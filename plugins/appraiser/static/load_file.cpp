#include "load_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace berth::static_appraiser {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The fields of one line, up to a comment.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && is_space(line[at])) ++at;
    if (at == line.size() || line[at] == '#') break;
    size_t end = at;
    while (end < line.size() && !is_space(line[end])) ++end;
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  return fields;
}

std::string quoted(std::string_view text) {
  constexpr size_t kMax = 60;
  std::string out = "'" + std::string(text.substr(0, kMax));
  return out + (text.size() > kMax ? "...'" : "'");
}

}  // namespace

std::optional<ParseError> parse_loads(std::string_view text, LoadTable& out) {
  out.clear();
  std::unordered_map<std::string_view, size_t> first_line;  // for duplicate ids
  size_t line_number = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;

    const std::vector<std::string_view> fields = fields_of(line);
    if (fields.empty()) continue;
    if (fields.size() != 2)
      return ParseError{line_number, "expected 'stream-id load', found " + std::to_string(fields.size()) +
                                         (fields.size() == 1 ? " field" : " fields")};
    const std::string_view id = fields[0], number = fields[1];
    double load = 0.0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), load);
    if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(load) || load < 0.0)
      return ParseError{line_number, "the load of stream " + quoted(id) + " is " + quoted(number) +
                                         "; a load must be a finite number >= 0"};
    const auto [seen, inserted] = first_line.try_emplace(id, line_number);
    if (!inserted)
      return ParseError{line_number, "stream " + quoted(id) + " appears again (first on line " +
                                         std::to_string(seen->second) + ")"};
    out.emplace(std::string(id), load == 0.0 ? 0.0 : load);  // no -0.0
  }
  return std::nullopt;
}

std::optional<FileSignature> signature_of(const std::string& path, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int code = errno;
    *error = path + ": " + std::strerror(code);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
    return std::nullopt;
  }
  FileSignature signature;
  signature.device = static_cast<uint64_t>(st.st_dev);
  signature.inode = static_cast<uint64_t>(st.st_ino);
  signature.size = static_cast<uint64_t>(st.st_size);
  signature.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  signature.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return signature;
}

std::optional<std::string> read_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int code = errno;
    *error = path + ": " + (code != 0 ? std::strerror(code) : "cannot be opened");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    *error = path + ": read failed";
    return std::nullopt;
  }
  return std::move(text).str();
}

}  // namespace berth::static_appraiser
