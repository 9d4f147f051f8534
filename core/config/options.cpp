#include "config/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "berth/duration.hpp"
#include "common/error.h"
#include "plugin/loader.h"

namespace berth {
namespace {

constexpr std::string_view kSections[] = {"engine",    "appraiser", "policy",  "backend",
                                             "rules",     "ownership", "catalogue", "weigher"};
constexpr std::string_view kRulesKeys[] = {"file", "instruction_limit", "memory_limit"};
constexpr std::string_view kEngineKeys[] = {"node_id",          "campaign",         "refresh_interval",
                                            "refresh_on_change", "intake_flush",     "intake_refresh_delay",
                                            "plugin_path",      "checkpoint_ratio", "checkpoint_every",
                                            "implicit_owners",  "return_freed_memory"};
constexpr std::string_view kOwnershipKeys[] = {"lease_margin", "soft_handoff", "stall_after", "vanish_wait"};
constexpr std::string_view kCatalogueKeys[] = {"max_migrations", "max_migrations_per_server", "migration_interval"};
constexpr std::string_view kSectionList = "engine, appraiser, policy, backend, rules, ownership, catalogue or weigher";
constexpr std::string_view kWeigherHostKeys[] = {"smoothing", "min_factor", "max_factor", "hysteresis"};

template <size_t N>
std::string listed(const std::string_view (&keys)[N]) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

bool known_section(std::string_view s) {
  for (auto k : kSections)
    if (k == s) return true;
  return false;
}

// A value as messages show it: quoted, and cut (at a character boundary) after kShown bytes,
// with its length, so a huge value never makes a huge message.
constexpr size_t kShown = 64;
// Control characters are written as \xNN so the message stays one readable line.
std::string shown(std::string_view text) {
  size_t cut = text.size();
  if (cut > kShown) {
    cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out = "'";
  for (char c : text.substr(0, cut)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
    else out += c;
  }
  out += cut < text.size() ? fmt::format("...' ({} bytes)", text.size()) : "'";
  return out;
}

// A key or section name for messages: as written unless it is too long to echo.
std::string name_shown(std::string_view name) { return name.size() <= kShown ? std::string(name) : shown(name); }

[[noreturn]] void bad(const std::string& key, const Options::Value& v, const std::string& why) {
  throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: {}", v.where, name_shown(key), why));
}

const char* type_name(Options::Kind kind) {
  switch (kind) {
    case Options::Kind::string: return "a string";
    case Options::Kind::integer: return "an integer";
    case Options::Kind::floating: return "a float";
    case Options::Kind::boolean: return "a boolean";
    case Options::Kind::array: return "an array";
    case Options::Kind::text: break;
  }
  return "text";
}

// A value from a file must have one of `kinds` (overrides are text: each key's parser judges them).
void expect(const std::string& key, const Options::Value& v, std::initializer_list<Options::Kind> kinds,
            std::string_view what) {
  if (v.kind == Options::Kind::text) return;
  for (Options::Kind k : kinds)
    if (k == v.kind) return;
  bad(key, v, fmt::format("expected {}, found {}", what, type_name(v.kind)));
}

using K = Options::Kind;

// What a plugin is told of a value's type (berth/abi.h): arrays never reach it.
int32_t value_kind(K kind) {
  switch (kind) {
    case K::string: return BERTH_VALUE_STRING;
    case K::integer: return BERTH_VALUE_INTEGER;
    case K::floating: return BERTH_VALUE_FLOAT;
    case K::boolean: return BERTH_VALUE_BOOLEAN;
    case K::text:
    case K::array: break;
  }
  return BERTH_VALUE_TEXT;
}
constexpr std::string_view kDurationWhat = "a duration (a string such as \"500ms\" or \"2m\", or a number of seconds)";

Options::Kind kind_of(const toml::node& node) {
  if (node.is_string()) return K::string;
  if (node.is_integer()) return K::integer;
  if (node.is_floating_point()) return K::floating;
  if (node.is_boolean()) return K::boolean;
  if (node.is_array()) return K::array;
  return K::text;
}

// The first byte of `text` that is not valid UTF-8 (overlong forms and surrogates included), or npos.
size_t invalid_utf8_at(std::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = b[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char lower = k == 1 ? lo : 0x80, upper = k == 1 ? hi : 0xBF;
      if (b[i + k] < lower || b[i + k] > upper) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// "section.key" for a "key = ..." line `line` (1-based) of `text`, under the last [section]
// above it; empty when the line is not one.
std::string key_on_line(std::string_view text, uint32_t line) {
  std::string section, key;
  uint32_t at = 1;
  size_t start = 0;
  while (start <= text.size() && at <= line) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    size_t first = l.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      l = l.substr(first);
      if (l.front() == '[') {
        size_t close = l.find(']');
        if (close != std::string_view::npos && at < line) section = std::string(l.substr(1, close - 1));
      } else if (at == line) {
        size_t eq = l.find('=');
        if (eq != std::string_view::npos) {
          std::string_view k = l.substr(0, eq);
          while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.remove_suffix(1);
          if (!k.empty() && k.size() <= kShown) key = section.empty() ? std::string(k) : section + "." + std::string(k);
        }
      }
    }
    start = end + 1;
    ++at;
  }
  return key;
}

std::string where_of(std::string_view origin, const toml::node& node) {
  const auto& src = node.source();
  return src.begin.line > 0 ? fmt::format("{}:{}", origin, src.begin.line) : std::string(origin);
}

// A TOML scalar as the text every consumer parses (plugins get strings through the ABI).
std::string scalar_text(const std::string& key, const toml::node& node, const std::string& where) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
  throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: expected a string, number or boolean, found {}", where, key,
                                          node.is_table() ? "a table" : node.is_array() ? "an array" : "a date or time"));
}

// A count, with an optional binary suffix for sizes: "1000000", "64MiB", "512KiB", "1GiB".
uint64_t parse_count(const std::string& key, const Options::Value& v, bool sizes) {
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), number);
  std::string unit(end, v.text.data() + v.text.size());
  uint64_t scale = 1;
  if (sizes && (unit == "KiB" || unit == "k")) scale = uint64_t{1} << 10;
  else if (sizes && (unit == "MiB" || unit == "M")) scale = uint64_t{1} << 20;
  else if (sizes && (unit == "GiB" || unit == "G")) scale = uint64_t{1} << 30;
  else if (!unit.empty()) ec = std::errc::invalid_argument;
  if (ec != std::errc() || end == v.text.data() || number == 0 || number > UINT64_MAX / scale)
    bad(key, v, fmt::format("{} is not a positive {}", shown(v.text), sizes ? "size (e.g. 67108864 or 64MiB)" : "whole number"));
  return number * scale;
}

void resolve_rules_key(const std::string& key, const std::string& name, const Options::Value& v, RulesOptions& out) {
  if (name == "file") {
    expect(key, v, {K::string}, "a string (a path)");
    out.file = v.text;
  } else if (name == "instruction_limit") {
    expect(key, v, {K::integer}, "an integer");
    out.limits.instructions = parse_count(key, v, false);
    if (out.limits.instructions < 1000) bad(key, v, "must be at least 1000");
  } else if (name == "memory_limit") {
    expect(key, v, {K::integer, K::string}, "a size (an integer, or a string such as \"64MiB\")");
    out.limits.memory_bytes = parse_count(key, v, true);
    if (out.limits.memory_bytes < (uint64_t{1} << 20)) bad(key, v, "must be at least 1MiB (Lua itself needs some)");
  } else {
    bad(key, v, "unknown key (rules keys are " + listed(kRulesKeys) + ")");
  }
}

bool parse_bool(const std::string& key, const Options::Value& v) {
  expect(key, v, {K::boolean}, "a boolean (true or false)");
  if (v.text == "true" || v.text == "1" || v.text == "yes") return true;
  if (v.text == "false" || v.text == "0" || v.text == "no") return false;
  bad(key, v, fmt::format("{} is not a boolean (true or false)", shown(v.text)));
}

std::chrono::milliseconds duration_of(const std::string& key, const Options::Value& v) {
  expect(key, v, {K::string, K::integer, K::floating}, kDurationWhat);
  if (v.text.size() > kShown) bad(key, v, fmt::format("{} is not a duration", shown(v.text)));
  try {
    return parse_duration(v.text);
  } catch (const Error& e) {
    bad(key, v, e.what());
  }
}

void resolve_ownership_key(const std::string& key, const std::string& name, const Options::Value& v,
                           OwnershipOptions& out) {
  if (name == "lease_margin") {
    out.lease_margin = duration_of(key, v);
    if (out.lease_margin.count() < 10)
      bad(key, v, "must be at least 10ms (it covers clock-rate differences and the coarse clock's granularity)");
  } else if (name == "soft_handoff") {
    out.soft_handoff = parse_bool(key, v);
  } else if (name == "stall_after") {
    out.stall_after = duration_of(key, v);
    if (out.stall_after.count() < 1) bad(key, v, "must be a positive duration");
  } else if (name == "vanish_wait") {
    out.vanish_wait = duration_of(key, v);
    if (out.vanish_wait->count() < 0) bad(key, v, "must not be negative");
  } else {
    bad(key, v, "unknown key (ownership keys are " + listed(kOwnershipKeys) + ")");
  }
}

void resolve_catalogue_key(const std::string& key, const std::string& name, const Options::Value& v,
                           CatalogueOptions& out) {
  if (name == "max_migrations" || name == "max_migrations_per_server") {
    expect(key, v, {K::integer}, "an integer");
    uint64_t n = parse_count(key, v, false);
    if (n < 1 || n > 1000000) bad(key, v, "must be between 1 and 1000000");
    (name == "max_migrations" ? out.max_migrations : out.max_migrations_per_server) = static_cast<uint32_t>(n);
  } else if (name == "migration_interval") {
    out.migration_interval = duration_of(key, v);
  } else {
    bad(key, v, "unknown key (catalogue keys are " + listed(kCatalogueKeys) + ")");
  }
}

// A [weigher] key the host reads; false for a key of the weigher plugin's.
bool resolve_weigher_key(const std::string& key, const std::string& name, const Options::Value& v, WeigherOptions& out) {
  double* into = name == "smoothing"    ? &out.smoothing
                 : name == "min_factor" ? &out.min_factor
                 : name == "max_factor" ? &out.max_factor
                 : name == "hysteresis" ? &out.hysteresis
                                        : nullptr;
  if (into == nullptr) return false;
  expect(key, v, {K::floating, K::integer}, "a number");
  double value = 0;
  auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), value);
  if (ec != std::errc() || end != v.text.data() + v.text.size() || !std::isfinite(value))
    bad(key, v, fmt::format("{} is not a finite number", shown(v.text)));
  if (name == "smoothing" && !(value > 0 && value <= 1))
    bad(key, v, "must be in (0, 1] (the weight of a new report; 1: no smoothing)");
  if ((name == "min_factor" || name == "max_factor") && !(value > 0 && value <= 1e6))
    bad(key, v, "must be a factor in (0, 1e6]");
  if (name == "hysteresis" && !(value >= 0 && value <= 10))
    bad(key, v, "must be in [0, 10] (a share of the effective factor)");
  *into = value;
  return true;
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
  const plugin::ParsedDuration parsed = plugin::parse_duration(text);
  if (!parsed.ok()) throw Error(BERTH_E_CONFIG, parsed.problem);
  if (parsed.value.count() > 1000000000000)
    throw Error(BERTH_E_CONFIG, fmt::format("'{}' is not a duration between 0 and 30 years", text));
  return parsed.value;
}

void Options::load_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(BERTH_E_CONFIG, fmt::format("{}: not a readable configuration file", path.string()));
  std::ifstream in(path);
  if (!in) throw Error(BERTH_E_CONFIG, fmt::format("{}: cannot open the configuration file", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  load_string(text.str(), path.string());
}

void Options::load_string(std::string_view text, std::string_view origin) {
  // Checked here, not by the parser, so the line named is the one the bad byte is on.
  if (size_t bad_byte = invalid_utf8_at(text); bad_byte != std::string_view::npos) {
    const size_t line_start = text.rfind('\n', bad_byte == 0 ? 0 : bad_byte - 1);
    const size_t column = bad_byte - (line_start == std::string_view::npos || bad_byte == 0 ? 0 : line_start + 1) + 1;
    const auto line = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad_byte), '\n') + 1;
    throw Error(BERTH_E_CONFIG, fmt::format("{}:{}: invalid UTF-8 (byte 0x{:02x} at column {})", origin, line,
                                            static_cast<unsigned char>(text[bad_byte]), column));
  }
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const uint32_t line = e.source().begin.line;
    const std::string key = key_on_line(text, line);
    std::string description(e.description());
    if (description.size() > 256) description = description.substr(0, 256) + "...";
    throw Error(BERTH_E_CONFIG, fmt::format("{}:{}: {}{}", origin, line, key.empty() ? "" : key + ": ", description));
  }
  // Parse everything first: a bad file changes nothing.
  std::map<std::string, Value> parsed;
  for (const auto& [section_key, node] : root) {
    std::string section(section_key.str());
    std::string where = where_of(origin, node);
    if (!known_section(section))
      throw Error(BERTH_E_CONFIG, fmt::format("{}: unknown section [{}] (expected {})", where, name_shown(section), kSectionList));
    const toml::table* table = node.as_table();
    if (table == nullptr)
      throw Error(BERTH_E_CONFIG, fmt::format("{}: {} must be a table ([{}])", where, section, section));
    for (const auto& [key, value] : *table) {
      std::string full = section + "." + std::string(key.str());
      std::string value_where = where_of(origin, value);
      if (const toml::array* array = value.as_array()) {
        // Lists (plugin_path) are lists of strings and travel as ':'-separated text.
        std::string joined;
        size_t index = 0;
        for (const auto& item : *array) {
          if (!item.is_string())
            throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: expected an array of strings, found {} at item {}",
                                                    value_where, full, type_name(kind_of(item)), index));
          std::string element = scalar_text(full, item, value_where);
          if (element.find(':') != std::string::npos)
            throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: {} contains ':', which separates list items", value_where,
                                                    full, shown(element)));
          joined += (joined.empty() ? "" : ":") + element;
          ++index;
        }
        parsed[full] = {joined, value_where, K::array};
      } else {
        parsed[full] = {scalar_text(full, value, value_where), value_where, kind_of(value)};
      }
    }
  }
  // Validate the result before keeping it: a bad file or value changes nothing.
  Options next = *this;
  for (auto& [k, v] : parsed) next.values_[k] = std::move(v);
  next.resolve();
  *this = std::move(next);
}

void Options::set(std::string_view key, std::string_view value, std::string_view where) {
  auto dot = key.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size() || !known_section(key.substr(0, dot)))
    throw Error(BERTH_E_CONFIG,
                fmt::format("{}: {} is not a key of the form section.key with section {}", where, shown(key), kSectionList));
  Options next = *this;
  next.values_[std::string(key)] = {std::string(value), std::string(where)};
  next.resolve();  // engine keys are checked now, not at open: a bad set changes nothing
  *this = std::move(next);
}

EngineOptions Options::resolve() const {
  EngineOptions out;
  std::map<std::string, std::vector<PluginConfig::Entry>> plugin_entries;
  for (const auto& [key, v] : values_) {
    auto dot = key.find('.');
    std::string section = key.substr(0, dot), name = key.substr(dot + 1);
    if (v.text.size() > kMaxValueBytes)
      bad(key, v, fmt::format("a value of {} bytes is longer than any key takes ({} bytes)", v.text.size(), kMaxValueBytes));
    if (section == "rules") {
      resolve_rules_key(key, name, v, out.rules);
      continue;
    }
    if (section == "ownership") {
      resolve_ownership_key(key, name, v, out.ownership);
      continue;
    }
    if (section == "catalogue") {
      resolve_catalogue_key(key, name, v, out.catalogue);
      continue;
    }
    if (section == "weigher" && name != "name" && resolve_weigher_key(key, name, v, out.weigher)) continue;
    if (section == "weigher" && name == "name") {
      expect(key, v, {K::string}, "a string (a plugin name or a path to a .so)");
      if (v.text.empty()) bad(key, v, "plugin name is empty");
      out.weigher.name = v.text;
      continue;
    }
    if (section != "engine") {
      if (name == "name") {
        PluginChoice& choice = section == "appraiser" ? out.appraiser : section == "policy" ? out.policy : out.backend;
        expect(key, v, {K::string}, "a string (a plugin name or a path to a .so)");
        if (v.text.empty()) bad(key, v, "plugin name is empty");
        choice.name = v.text;
      } else {
        // Plugins receive text; a list has no text form they agree on.
        expect(key, v, {K::string, K::integer, K::floating, K::boolean}, "a string, number or boolean");
        plugin_entries[section].push_back({name, v.text, v.where, value_kind(v.kind)});
      }
      continue;
    }
    if (name == "node_id") {
      expect(key, v, {K::string}, "a string");
      if (v.text.size() > kMaxNodeIdBytes)
        bad(key, v, fmt::format("{} is longer than a node id may be ({} bytes)", shown(v.text), kMaxNodeIdBytes));
      for (size_t i = 0; i < v.text.size(); ++i)
        if (static_cast<unsigned char>(v.text[i]) < 0x20 || v.text[i] == 0x7f)
          bad(key, v, fmt::format("{} has a control character (0x{:02x}) at byte {}", shown(v.text),
                                  static_cast<unsigned char>(v.text[i]), i));
      out.node_id = v.text;
    } else if (name == "campaign") {
      out.campaign = parse_bool(key, v);
    } else if (name == "refresh_on_change") {
      out.refresh_on_change = parse_bool(key, v);
    } else if (name == "implicit_owners") {
      out.implicit_owners = parse_bool(key, v);
    } else if (name == "return_freed_memory") {
      out.return_freed_memory = parse_bool(key, v);
    } else if (name == "refresh_interval" || name == "intake_flush" || name == "intake_refresh_delay") {
      std::chrono::milliseconds d = duration_of(key, v);
      if (name == "refresh_interval") {
        if (d.count() < 10) bad(key, v, "must be at least 10ms");
        out.refresh_interval = d;
      } else if (name == "intake_flush") {
        out.intake_flush = d;
      } else {
        out.intake_refresh_delay = d;
      }
    } else if (name == "checkpoint_ratio") {
      expect(key, v, {K::floating, K::integer}, "a number between 0 and 1");
      double ratio = 0;
      auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), ratio);
      if (ec != std::errc() || end != v.text.data() + v.text.size() || !(ratio >= 0 && ratio <= 1))
        bad(key, v, fmt::format("{} is not a share between 0 (never deltas) and 1", shown(v.text)));
      out.checkpoint_ratio = ratio;
    } else if (name == "checkpoint_every") {
      expect(key, v, {K::integer}, "an integer");
      uint64_t every = 0;
      auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), every);
      if (ec != std::errc() || end != v.text.data() + v.text.size() || every < 1)
        bad(key, v, fmt::format("{} is not a whole number of versions >= 1 (1: every publication is full)", shown(v.text)));
      out.checkpoint_every = every;
    } else if (name == "plugin_path") {
      expect(key, v, {K::array, K::string}, "an array of directories");
      std::stringstream parts(v.text);
      for (std::string dir; std::getline(parts, dir, ':');)
        if (!dir.empty()) out.plugin_path.emplace_back(dir);
    } else {
      bad(key, v, "unknown key (engine keys are " + listed(kEngineKeys) + ")");
    }
  }
  out.appraiser.config = PluginConfig("appraiser", plugin_entries["appraiser"]);
  out.policy.config = PluginConfig("policy", plugin_entries["policy"]);
  out.backend.config = PluginConfig("backend", plugin_entries["backend"]);
  out.weigher.config = PluginConfig("weigher", plugin_entries["weigher"]);
  if (out.weigher.min_factor > out.weigher.max_factor) {
    // Named by whichever of the two was set (either may be the default).
    const bool min_set = values_.count("weigher.min_factor") != 0;
    const std::string key = min_set ? "weigher.min_factor" : "weigher.max_factor";
    const Value& v = values_.at(key);
    bad(key, v, fmt::format("weigher.min_factor {} is above weigher.max_factor {}", out.weigher.min_factor,
                            out.weigher.max_factor));
  }
  if (out.weigher.name.empty())
    for (std::string_view host_key : kWeigherHostKeys)
      if (auto it = values_.find("weigher." + std::string(host_key)); it != values_.end())
        bad(it->first, it->second, "the [weigher] section names no plugin (weigher.name)");
  if (out.weigher.name.empty() && !plugin_entries["weigher"].empty()) {
    const PluginConfig::Entry& e = plugin_entries["weigher"].front();
    throw Error(BERTH_E_CONFIG, fmt::format("{}: weigher.{}: the [weigher] section names no plugin (weigher.name)", e.where, e.key));
  }
  return out;
}

EngineOptions Options::resolve_for_open() const {
  EngineOptions out = resolve();
  std::vector<std::filesystem::path> dirs = out.plugin_path;
  dirs.push_back(builtin_plugin_dir());
  const PluginRegistry registry(std::move(dirs));
  const std::tuple<int32_t, const PluginChoice*, const char*> choices[] = {
      {BERTH_PLUGIN_APPRAISER, &out.appraiser, "appraiser.name"},
      {BERTH_PLUGIN_POLICY, &out.policy, "policy.name"},
      {BERTH_PLUGIN_BACKEND, &out.backend, "backend.name"},
      {BERTH_PLUGIN_WEIGHER, nullptr, "weigher.name"}};
  for (const auto& [kind, choice, key] : choices) {
    auto given = values_.find(key);
    if (given == values_.end()) continue;  // a built-in default
    std::filesystem::path file;
    try {
      file = registry.locate(kind, choice != nullptr ? choice->name : out.weigher.name);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}: {}", given->second.where, key, e.what()));
    }
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
      throw Error(BERTH_E_NOT_FOUND, fmt::format("{}: {}: plugin {}: no such file", given->second.where, key, shown(file.string())));
  }
  return out;
}

}  // namespace berth
