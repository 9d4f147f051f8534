#include "cli/usage.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/exit_codes.h"

namespace berth::cli {

namespace {

// A whole number written in digits (no sign, no exponent) of at least `min`.
CLI::Validator whole_number(uint64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || value.size() > 19 || std::stoull(value) < min)
          return fmt::format("'{}' is not a whole number of at least {}", value, min);
        return "";
      },
      fmt::format("INT>={}", min));
}

// `value` whole as a finite number, or nothing.
std::optional<double> finite_number(const std::string& value) {
  std::size_t used = 0;
  double x = NAN;
  try {
    x = std::stod(value, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != value.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

// A finite number above `low` (or from `low` when `low_included`) and below `high`.
CLI::Validator number_between(double low, bool low_included, double high) {
  const std::string range = fmt::format("{}{}, {})", low_included ? "[" : "(", low, high);
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        const std::optional<double> x = finite_number(value);
        if (!x || !(low_included ? *x >= low : *x > low) || *x >= high)
          return fmt::format("'{}' is not a number in {}", value, range);
        return "";
      },
      "NUM in " + range);
}

// A finite number of at least `low`, with no bound above (a duration in seconds, say).
CLI::Validator number_from(double low) {
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        const std::optional<double> x = finite_number(value);
        if (!x || *x < low) return fmt::format("'{}' must be a number >= {}", value, low);
        return "";
      },
      fmt::format("NUM>={}", low));
}

CLI::Validator log_level() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (std::find(kLogLevels.begin(), kLogLevels.end(), value) != kLogLevels.end()) return "";
        return fmt::format("'{}' is not a log level; use one of {}", value, fmt::join(kLogLevels, ", "));
      },
      "");
}

// Numeric flags by name: the same name means the same kind of number in every command.
const std::map<std::string, CLI::Validator>& checks() {
  static const std::map<std::string, CLI::Validator> table = {
      {"--servers", whole_number(1)},       {"--streams", whole_number(1)},     {"--nodes", whole_number(1)},
      {"--repetitions", whole_number(1)},   {"--drains", whole_number(1)},      {"--concurrent", whole_number(1)},
      {"--new-streams", whole_number(0)},   {"--background", whole_number(0)},  {"--tenants", whole_number(0)},
      {"--seed", whole_number(0)},          {"--limit", whole_number(0)},       {"--instruction-limit", whole_number(0)},
      {"--drift", number_between(0, true, 1)},
      {"--timeout", number_between(0, false, 1e9)},
      {"--weight", number_between(0, false, HUGE_VAL)},
      {"--metrics-linger", number_from(0)}, {"--for", number_from(0)},
  };
  return table;
}

void check_tree(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      auto it = checks().find("--" + name);
      if (it != checks().end()) option->check(it->second);
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) check_tree(*sub);
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

const CLI::App* command_named(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

bool takes_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

// The option `flag` ("--x" or "--x=v") names in `app` or, as options fall through, its parents.
const CLI::Option* option_named(const CLI::App* app, const std::string& flag) {
  const std::string name = flag.substr(0, flag.find('='));
  for (; app != nullptr; app = app->get_parent())
    if (const CLI::Option* o = app->get_option_no_throw(name)) return o;
  return nullptr;
}

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string path_of(const CLI::App& app) {
  return app.get_parent() == nullptr ? app.get_name() : path_of(*app.get_parent()) + " " + app.get_name();
}

int unknown_command(const CLI::App& parent, const std::string& word) {
  std::vector<std::string> names;
  std::vector<std::string> near;
  for (const CLI::App* sub : commands_of(parent)) {
    names.push_back(sub->get_name());
    const std::size_t d = distance(word, sub->get_name());
    if (d <= std::max<std::size_t>(1, sub->get_name().size() / 3) || sub->get_name().rfind(word, 0) == 0)
      near.push_back("'" + sub->get_name() + "'");
  }
  std::cerr << fmt::format("{}: unknown command '{}'", path_of(parent), word);
  if (!near.empty())
    std::cerr << fmt::format("; did you mean {}?\n", fmt::join(near, " or "));
  else
    std::cerr << fmt::format("; the commands are {}\n", fmt::join(names, ", "));
  std::cerr << fmt::format("Run '{} --help' for more.\n", path_of(parent));
  return kExitUsage;
}

}  // namespace

void check_flags(CLI::App& app) {
  check_tree(app);
  if (CLI::Option* level = app.get_option_no_throw("--log-level")) level->check(log_level());
}

std::optional<int> refuse_unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return std::nullopt;
    if (word.size() > 1 && word[0] == '-') {
      const CLI::Option* o = option_named(at, word);
      if (o != nullptr && o->get_expected_min() > 0 && word.find('=') == std::string::npos) ++i;
      continue;
    }
    if (const CLI::App* sub = command_named(*at, word)) {
      at = sub;
      continue;
    }
    if (commands_of(*at).empty() || takes_positionals(*at)) return std::nullopt;
    return unknown_command(*at, word);
  }
  return std::nullopt;
}

int run_help(const CLI::App& app, const std::vector<std::string>& words) {
  const CLI::App* at = &app;
  for (const std::string& word : words) {
    const CLI::App* sub = command_named(*at, word);
    if (sub == nullptr) return unknown_command(*at, word);
    at = sub;
  }
  std::cout << at->help(at->get_parent() == nullptr ? "" : path_of(*at->get_parent()));
  return kExitOk;
}

int run_complete(const CLI::App& app, const std::vector<std::string>& words, bool describe) {
  const CLI::App* at = &app;
  const std::string last = words.empty() ? "" : words.back();
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (const CLI::App* sub = command_named(*at, words[i])) at = sub;
  auto line = [describe](const std::string& name, const std::string& description) {
    std::cout << name << (describe ? "\t" + description : "") << "\n";
  };
  if (!last.empty() && last[0] == '-') {
    std::vector<std::string> seen;
    for (const CLI::App* a = at; a != nullptr; a = a->get_parent())
      for (const CLI::Option* o : a->get_options())
        for (const std::string& name : o->get_lnames()) {
          if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
          seen.push_back(name);
          line("--" + name, o->get_description());
        }
    return kExitOk;
  }
  for (const CLI::App* sub : commands_of(*at)) line(sub->get_name(), sub->get_description());
  return kExitOk;
}

}  // namespace berth::cli
