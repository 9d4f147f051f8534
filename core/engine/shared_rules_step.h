// The leader's step for the rules every node shares (docs/catalogue.md, "Rules every node
// shares"). Each refresh, the scripts pushed since the last one (IntakeOp::rules) are compiled and
// evaluated against that refresh's cluster in the order heard; the last that does both without a
// problem comes into force as the base's version + 1. A script that fails never replaces the one
// in force; the refusal is reported. Once any version exists, it is what every leader applies and
// a node's own [rules] file is ignored (with a warning naming both).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/intake.h"
#include "engine/refresh.h"
#include "scripting/rule_set.h"
#include "snapshot/shared_rules.h"

namespace berth {

// A rules record's payload (IntakeOp::rules): the script in the tenant field, the pushing node's
// id in the stream field, the script's hash (shared_rules_hash) in the 8 bytes.
struct RulesRecord {
  std::string node;
  std::string script;
  uint64_t hash = 0;
};
double rules_record_hash_bits(uint64_t hash) noexcept;  // the 8 bytes as append_intake takes them
// The payload of `r`, or Error(BERTH_E_CORRUPT) naming what is wrong (an empty or oversized
// script, a hash that is not the script's).
RulesRecord parse_rules_record(const IntakeRecord& r);

// What one refresh's step decided.
struct SharedRulesOutcome {
  std::shared_ptr<const SharedRules> next;  // the version's shared rules: the base's, or an accepted push
  bool accepted = false;                    // a push came into force in this version
  std::vector<std::string> refusals;        // pushed scripts refused, each with its problems
  uint64_t malformed = 0;                   // rules records that could not be read (logged, counted)
  bool file_ignored = false;                // a [rules] file exists but shared rules are in force
};

class SharedRulesStep {
 public:
  explicit SharedRulesStep(rules::Limits limits) : limits_(limits) {}

  // The rules step for compute_refresh_step, for one refresh on `base` (may be null) with the
  // pending catalogue records; `file` is the node's own [rules] source (may be null). Empty when
  // there are no rules at all. `out` is filled when the step runs; `out.next` is the base's until
  // then. The step throws Error(BERTH_E_CONFIG) when the shared rules in force no longer compile
  // here (limits lower than the leader's that accepted them): no leader applies other rules.
  RulesStep prepare(const Snapshot* base, const std::vector<IntakeRecord>& catalogue, rules::RulesSource* file,
                    SharedRulesOutcome& out);

 private:
  std::shared_ptr<rules::RuleSet> compiled(const SharedRules& rules);

  rules::Limits limits_;
  std::shared_ptr<rules::RuleSet> cached_;  // the shared rules last in force, compiled
};

}  // namespace berth
