#include "zk_names.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace berth::zk {
namespace {

bool plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == ':';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
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

std::string format_latest(const Latest& latest) {
  std::string text = std::string("berth-zk-latest ") + (latest.base != 0 ? "2 " : "1 ") + std::to_string(latest.version) +
                     " " + std::to_string(latest.epoch) + " " + std::to_string(latest.chunks) + " " +
                     std::to_string(latest.size);
  if (latest.base != 0)
    text += " " + std::to_string(latest.base) + " " + std::to_string(latest.base_epoch) + " " +
            std::to_string(latest.base_chunks) + " " + std::to_string(latest.base_size);
  return text;
}

std::optional<Latest> parse_latest(std::string_view text) {
  if (text.empty()) return Latest{};  // created empty: nothing published yet
  std::istringstream in{std::string(text)};
  std::string magic, format;
  if (!(in >> magic >> format) || magic != "berth-zk-latest" || (format != "1" && format != "2")) return std::nullopt;
  Latest latest;
  uint64_t* targets[8] = {&latest.version, &latest.epoch,      &latest.chunks,      &latest.size,
                          &latest.base,    &latest.base_epoch, &latest.base_chunks, &latest.base_size};
  const int count = format == "1" ? 4 : 8;
  for (int i = 0; i < count; ++i) {
    std::string field;
    if (!(in >> field)) return std::nullopt;
    auto value = parse_u64(field);
    if (!value) return std::nullopt;
    *targets[i] = *value;
  }
  std::string rest;
  if (in >> rest) return std::nullopt;
  if (format == "2" && (latest.base == 0 || latest.base >= latest.version)) return std::nullopt;
  return latest;
}

std::optional<int64_t> parse_duration_ms(std::string_view text, int64_t min_ms, int64_t max_ms) {
  double scale = 0;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.size() > 1 && text.back() == 's') {
    scale = 1000;
    text.remove_suffix(1);
  }
  std::string number(text);
  if (scale == 0 || number.empty()) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return std::nullopt;
  double ms = value * scale;
  if (!(ms >= static_cast<double>(min_ms) && ms <= static_cast<double>(max_ms))) return std::nullopt;
  return static_cast<int64_t>(ms);
}

}  // namespace berth::zk
