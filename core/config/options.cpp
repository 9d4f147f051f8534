#include "config/options.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "berth/duration.hpp"
#include "common/error.h"

namespace berth {
namespace {

constexpr std::string_view kSections[] = {"engine", "appraiser", "policy", "backend", "rules", "ownership"};
constexpr std::string_view kRulesKeys[] = {"file", "instruction_limit", "memory_limit"};
constexpr std::string_view kEngineKeys[] = {"node_id",          "campaign",         "refresh_interval",
                                            "refresh_on_change", "intake_flush",     "intake_refresh_delay",
                                            "plugin_path",      "checkpoint_ratio", "checkpoint_every",
                                            "implicit_owners"};
constexpr std::string_view kOwnershipKeys[] = {"lease_margin", "soft_handoff", "stall_after"};
constexpr std::string_view kSectionList = "engine, appraiser, policy, backend, rules or ownership";

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

[[noreturn]] void bad(const std::string& key, const Options::Value& v, const std::string& why) {
  throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: {}", v.where, key, why));
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
  throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: expected a string, number or boolean", where, key));
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
    bad(key, v, fmt::format("'{}' is not a positive {}", v.text, sizes ? "size (e.g. 67108864 or 64MiB)" : "whole number"));
  return number * scale;
}

void resolve_rules_key(const std::string& key, const std::string& name, const Options::Value& v, RulesOptions& out) {
  if (name == "file") {
    out.file = v.text;
  } else if (name == "instruction_limit") {
    out.limits.instructions = parse_count(key, v, false);
    if (out.limits.instructions < 1000) bad(key, v, "must be at least 1000");
  } else if (name == "memory_limit") {
    out.limits.memory_bytes = parse_count(key, v, true);
    if (out.limits.memory_bytes < (uint64_t{1} << 20)) bad(key, v, "must be at least 1MiB (Lua itself needs some)");
  } else {
    bad(key, v, "unknown key (rules keys are " + listed(kRulesKeys) + ")");
  }
}

bool parse_bool(const std::string& key, const Options::Value& v) {
  if (v.text == "true" || v.text == "1" || v.text == "yes") return true;
  if (v.text == "false" || v.text == "0" || v.text == "no") return false;
  bad(key, v, fmt::format("'{}' is not a boolean (true or false)", v.text));
}

std::chrono::milliseconds duration_of(const std::string& key, const Options::Value& v) {
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
  } else {
    bad(key, v, "unknown key (ownership keys are " + listed(kOwnershipKeys) + ")");
  }
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
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw Error(BERTH_E_CONFIG, fmt::format("{}:{}: {}", origin, e.source().begin.line, e.description()));
  }
  // Parse everything first: a bad file changes nothing.
  std::map<std::string, Value> parsed;
  for (const auto& [section_key, node] : root) {
    std::string section(section_key.str());
    std::string where = where_of(origin, node);
    if (!known_section(section))
      throw Error(BERTH_E_CONFIG, fmt::format("{}: unknown section [{}] (expected {})", where, section, kSectionList));
    const toml::table* table = node.as_table();
    if (table == nullptr)
      throw Error(BERTH_E_CONFIG, fmt::format("{}: {} must be a table ([{}])", where, section, section));
    for (const auto& [key, value] : *table) {
      std::string full = section + "." + std::string(key.str());
      std::string value_where = where_of(origin, value);
      if (const toml::array* array = value.as_array()) {
        // Lists (plugin_path) travel as ':'-separated text.
        std::string joined;
        for (const auto& item : *array) {
          std::string element = scalar_text(full, item, value_where);
          if (element.find(':') != std::string::npos)
            throw Error(BERTH_E_CONFIG, fmt::format("{}: {}: '{}' contains ':', which separates list items", value_where,
                                                    full, element));
          joined += (joined.empty() ? "" : ":") + element;
        }
        parsed[full] = {joined, value_where};
      } else {
        parsed[full] = {scalar_text(full, value, value_where), value_where};
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
                fmt::format("{}: '{}' is not a key of the form section.key with section {}", where, key, kSectionList));
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
    if (section == "rules") {
      resolve_rules_key(key, name, v, out.rules);
      continue;
    }
    if (section == "ownership") {
      resolve_ownership_key(key, name, v, out.ownership);
      continue;
    }
    if (section != "engine") {
      if (name == "name") {
        PluginChoice& choice = section == "appraiser" ? out.appraiser : section == "policy" ? out.policy : out.backend;
        if (v.text.empty()) bad(key, v, "plugin name is empty");
        choice.name = v.text;
      } else {
        plugin_entries[section].push_back({name, v.text, v.where});
      }
      continue;
    }
    if (name == "node_id") {
      out.node_id = v.text;
    } else if (name == "campaign") {
      out.campaign = parse_bool(key, v);
    } else if (name == "refresh_on_change") {
      out.refresh_on_change = parse_bool(key, v);
    } else if (name == "implicit_owners") {
      out.implicit_owners = parse_bool(key, v);
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
      double ratio = 0;
      auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), ratio);
      if (ec != std::errc() || end != v.text.data() + v.text.size() || !(ratio >= 0 && ratio <= 1))
        bad(key, v, fmt::format("'{}' is not a share between 0 (never deltas) and 1", v.text));
      out.checkpoint_ratio = ratio;
    } else if (name == "checkpoint_every") {
      uint64_t every = 0;
      auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), every);
      if (ec != std::errc() || end != v.text.data() + v.text.size() || every < 1)
        bad(key, v, fmt::format("'{}' is not a whole number of versions >= 1 (1: every publication is full)", v.text));
      out.checkpoint_every = every;
    } else if (name == "plugin_path") {
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
  return out;
}

}  // namespace berth
