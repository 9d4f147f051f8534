#include "common/labels.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace berth {
namespace {

constexpr size_t kMaxKey = 63;
constexpr size_t kMaxValue = 255;

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/';
}
bool value_char(char c) { return key_char(c) || c == ':'; }
bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

[[noreturn]] void bad(std::string_view label, const std::string& why) {
  throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("label '{}': {}", label, why));
}

}  // namespace

Labels parse_labels(std::string_view text) {
  Labels out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view label = text.substr(start, comma - start);
    start = comma + 1;
    if (label.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("labels '{}': an empty label (two commas, or one at an end)", text));
    size_t eq = label.find('=');
    std::string_view key = label.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : label.substr(eq + 1);
    if (key.empty()) bad(label, "empty key");
    if (key.size() > kMaxKey) bad(label, fmt::format("key longer than {} characters", kMaxKey));
    if (!alnum(key.front())) bad(label, "a key starts with a letter or a digit");
    for (char c : key)
      if (!key_char(c)) bad(label, fmt::format("'{}' is not allowed in a key (letters, digits, _ - . /)", c));
    if (eq != std::string_view::npos && value.empty()) bad(label, "empty value (write the key alone for a tag)");
    if (value.size() > kMaxValue) bad(label, fmt::format("value longer than {} characters", kMaxValue));
    for (char c : value)
      if (!value_char(c)) bad(label, fmt::format("'{}' is not allowed in a value (letters, digits, _ - . / :)", c));
    for (const auto& [k, v] : out)
      if (k == key) bad(label, fmt::format("key '{}' is given twice", key));
    out.emplace_back(std::string(key), std::string(value));
    if (comma == text.size()) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string format_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k;
    if (!v.empty()) out += '=' + v;
  }
  return out;
}

const std::string* label_value(const Labels& labels, std::string_view key) noexcept {
  auto it = std::lower_bound(labels.begin(), labels.end(), key, [](const auto& l, std::string_view k) { return l.first < k; });
  return it != labels.end() && it->first == key ? &it->second : nullptr;
}

}  // namespace berth
