#include "zk_names.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "decimal.h"

namespace berth::zk {
namespace {

using backend::parse_u64;

bool plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == ':';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string encode_name(std::string_view id) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (plain(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> decode_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '%') {
      if (!plain(static_cast<unsigned char>(name[i]))) return std::nullopt;
      out += name[i];
      continue;
    }
    if (i + 2 >= name.size()) return std::nullopt;
    int hi = hex_value(name[i + 1]), lo = hex_value(name[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string version_node_name(uint64_t version, uint64_t epoch) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%020" PRIu64 "-%020" PRIu64, version, epoch);
  return buffer;
}

std::optional<uint64_t> version_of_node_name(std::string_view name) {
  if (name.size() != 41 || name[20] != '-') return std::nullopt;
  if (!parse_u64(name.substr(21))) return std::nullopt;
  return parse_u64(name.substr(0, 20));
}

namespace {
constexpr int kNewestLatestFormat = 4;
}  // namespace

std::string format_latest(const Latest& latest) {
  const bool coded = latest.codec != 0 || latest.base_codec != 0;
  const char* format = latest.base != 0 ? (coded ? "4 " : "2 ") : (coded ? "3 " : "1 ");
  const auto field = [](uint64_t value) { return " " + std::to_string(value); };
  std::string text = std::string("berth-zk-latest ") + format + std::to_string(latest.version) + field(latest.epoch) +
                     field(latest.chunks) + field(latest.size);
  if (coded) text += field(latest.codec);
  if (latest.base != 0) {
    text += field(latest.base) + field(latest.base_epoch) + field(latest.base_chunks) + field(latest.base_size);
    if (coded) text += field(latest.base_codec);
  }
  return text;
}

std::optional<Latest> parse_latest(std::string_view text) {
  if (text.empty()) return Latest{};  // created empty: nothing published yet
  std::istringstream in{std::string(text)};
  std::string magic, format;
  if (!(in >> magic >> format) || magic != "berth-zk-latest" || format.size() != 1 || format[0] < '1' ||
      format[0] > '0' + kNewestLatestFormat)
    return std::nullopt;
  const bool coded = format == "3" || format == "4", based = format == "2" || format == "4";
  Latest latest;
  std::vector<uint64_t*> targets = {&latest.version, &latest.epoch, &latest.chunks, &latest.size};
  if (coded) targets.push_back(&latest.codec);
  if (based) targets.insert(targets.end(), {&latest.base, &latest.base_epoch, &latest.base_chunks, &latest.base_size});
  if (coded && based) targets.push_back(&latest.base_codec);
  for (uint64_t* target : targets) {
    std::string field;
    if (!(in >> field)) return std::nullopt;
    auto value = parse_u64(field);
    if (!value) return std::nullopt;
    *target = *value;
  }
  std::string rest;
  if (in >> rest) return std::nullopt;
  if (based && (latest.base == 0 || latest.base >= latest.version)) return std::nullopt;
  return latest;
}

bool latest_format_is_newer(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string magic, format;
  if (!(in >> magic >> format) || magic != "berth-zk-latest") return false;
  const auto number = parse_u64(format);
  return number && *number > kNewestLatestFormat;
}

std::vector<std::string> versions_to_remove(std::vector<std::string> names, uint64_t floor,
                                            const std::vector<uint64_t>& bases) {
  std::vector<std::pair<uint64_t, std::string>> versions;
  for (std::string& name : names)
    if (auto v = version_of_node_name(name)) versions.emplace_back(*v, std::move(name));
  std::sort(versions.begin(), versions.end());
  constexpr size_t kKeepVersions = 2;  // the newest stay too, for readers who just read the pointer
  std::vector<std::string> doomed;
  for (size_t i = 0; i + kKeepVersions < versions.size(); ++i) {
    const auto& [version, name] = versions[i];
    if (version < floor && std::find(bases.begin(), bases.end(), version) == bases.end()) doomed.push_back(name);
  }
  return doomed;
}

}  // namespace berth::zk
