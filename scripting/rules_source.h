// The rules in force and the file they come from. The leader looks at the file before each
// refresh (and once a second between them): a changed file is compiled and evaluated against that
// refresh's cluster, and replaces the rules in force only if both succeed without a problem. A
// script that fails keeps the old one in force and is reported, once per change of the file.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "scripting/rule_set.h"

namespace berth::rules {

struct SourceOutcome {
  Evaluation evaluation;               // of the rules in force after this call
  std::shared_ptr<const RuleSet> rules;
  bool reloaded = false;               // a changed file came into force
  std::string refused;                 // why a changed file was refused ("" when none was)
};

class RulesSource {
 public:
  // Reads and compiles the file now. Throws Error(BERTH_E_CONFIG) when it cannot be read or
  // does not compile: an engine does not start with rules it cannot run.
  RulesSource(std::filesystem::path file, Limits limits);

  // Looks at the file (a stat; the text is read and hashed only when its size, time or inode
  // changed). True when it changed since the last look, good or bad.
  bool poll();

  // Evaluates the rules for one refresh, trying a changed file first.
  SourceOutcome evaluate(const Input& input);

 private:
  struct Stamp {
    int64_t mtime_ns = 0;
    uint64_t size = 0, inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::optional<Stamp> stamp() const;
  std::string read() const;  // throws Error(BERTH_E_CONFIG)
  bool poll_locked();

  std::filesystem::path file_;
  Limits limits_;
  std::mutex mutex_;
  std::shared_ptr<RuleSet> in_force_;
  std::shared_ptr<RuleSet> candidate_;  // compiled, not evaluated yet
  std::string pending_refusal_;         // a changed file that did not compile
  std::optional<Stamp> seen_;
  uint64_t refused_hash_ = 0;           // the last changed text tried: not tried again
};

}  // namespace berth::rules
