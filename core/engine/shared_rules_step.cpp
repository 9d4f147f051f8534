#include "engine/shared_rules_step.h"

#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "common/log.h"

namespace berth {

double rules_record_hash_bits(uint64_t hash) noexcept {
  double bits;
  std::memcpy(&bits, &hash, 8);
  return bits;
}

RulesRecord parse_rules_record(const IntakeRecord& r) {
  RulesRecord out;
  out.node = r.stream;
  out.script = r.tenant;
  std::memcpy(&out.hash, &r.load, 8);
  const std::string from = fmt::format("rules record from node '{}'", out.node.substr(0, 64));
  if (out.script.empty()) throw Error(BERTH_E_CORRUPT, from + ": the script is empty");
  if (out.script.size() > kMaxRulesScriptBytes)
    throw Error(BERTH_E_CORRUPT, fmt::format("{}: a script of {} bytes, more than the limit of {}", from,
                                             out.script.size(), kMaxRulesScriptBytes));
  if (out.hash != shared_rules_hash(out.script))
    throw Error(BERTH_E_CORRUPT, fmt::format("{}: the hash {:016x} is not the script's", from, out.hash));
  return out;
}

std::shared_ptr<rules::RuleSet> SharedRulesStep::compiled(const SharedRules& in_force) {
  if (cached_ && cached_->hash() == in_force.hash) return cached_;
  try {
    cached_ = rules::RuleSet::compile(fmt::format("shared rules v{}", in_force.version), in_force.script, limits_);
  } catch (const Error& e) {
    throw Error(BERTH_E_CONFIG, fmt::format("the shared rules in force (version {}, hash {:016x}) do not compile on this "
                                            "node, which applies no other rules instead: {}",
                                            in_force.version, in_force.hash, e.what()));
  }
  return cached_;
}

RulesStep SharedRulesStep::prepare(const Snapshot* base, const std::vector<IntakeRecord>& catalogue,
                                   rules::RulesSource* file, SharedRulesOutcome& out) {
  out = SharedRulesOutcome{};
  std::shared_ptr<const SharedRules> in_force = base != nullptr ? base->shared_rules : nullptr;
  out.next = in_force;
  std::vector<RulesRecord> pushed;
  for (const IntakeRecord& r : catalogue) {
    if (r.op != IntakeOp::rules) continue;
    try {
      pushed.push_back(parse_rules_record(r));
    } catch (const Error& e) {
      ++out.malformed;
      logger().warn("tenant rules: {} (ignored)", e.what());
    }
  }
  if (!in_force && pushed.empty()) {
    if (file == nullptr) return {};
    return [file](const rules::Input& input) { return file->evaluate(input); };
  }
  out.file_ignored = file != nullptr && in_force;
  return [this, in_force, file, pushed = std::move(pushed), &out](const rules::Input& input) {
    rules::SourceOutcome result;
    std::shared_ptr<rules::RuleSet> chosen;
    const RulesRecord* chosen_record = nullptr;
    for (const RulesRecord& push : pushed) {
      if (in_force && push.hash == in_force->hash) continue;  // the rules in force, pushed again
      const std::string name = fmt::format("rules pushed by {}", push.node.substr(0, 64));
      try {
        auto candidate = rules::RuleSet::compile(name, push.script, limits_);
        rules::Evaluation trial = candidate->evaluate(input);
        if (trial.has_errors()) {
          out.refusals.push_back(fmt::format("{} (hash {:016x}) refused: {} problem(s) on this cluster:\n{}", name,
                                             push.hash, trial.problem_count, trial.report()));
          continue;
        }
        chosen = std::move(candidate);
        chosen_record = &push;
        result.evaluation = std::move(trial);
      } catch (const Error& e) {
        out.refusals.push_back(fmt::format("{} (hash {:016x}) refused: {}", name, push.hash, e.what()));
      }
    }
    if (chosen) {
      auto next = std::make_shared<SharedRules>();
      next->version = (in_force ? in_force->version : 0) + 1;
      next->hash = chosen_record->hash;
      next->script = chosen_record->script;
      out.next = std::move(next);
      out.accepted = true;
      cached_ = chosen;
      result.rules = std::move(chosen);
      result.reloaded = true;
    } else if (in_force) {
      std::shared_ptr<rules::RuleSet> rules = compiled(*in_force);
      result.evaluation = rules->evaluate(input);
      result.rules = std::move(rules);
    } else if (file != nullptr) {
      // Every push refused and none in force yet: the node's own file stays in force.
      result = file->evaluate(input);
    }
    for (const std::string& refusal : out.refusals)
      result.refused += (result.refused.empty() ? "" : "\n") + refusal;
    return result;
  };
}

}  // namespace berth
