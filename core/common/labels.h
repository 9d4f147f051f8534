// Server labels: the key=value pairs rules select servers by (zone, rack, tags). Written by
// hosts as "zone=a,rack=r1,ssd" (a bare key is a tag), kept sorted by key.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth {

// Sorted by key, keys unique; a tag has an empty value.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Parses "zone=a,rack=r1,ssd". Keys: letters, digits, '_', '-', '.', '/' (starting with a letter
// or digit); values the same plus ':'. Throws Error(BERTH_E_INVALID_ARGUMENT) naming the bad label.
Labels parse_labels(std::string_view text);

// The inverse of parse_labels: "rack=r1,ssd,zone=a".
std::string format_labels(const Labels& labels);

// The value of `key`, or nullptr when the server does not have it.
const std::string* label_value(const Labels& labels, std::string_view key) noexcept;

}  // namespace berth
