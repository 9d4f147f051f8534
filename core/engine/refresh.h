// One refresh, as a function: (previous snapshot, members, pending stream changes, appraiser,
// policy) -> the next snapshot and what it moved. The engine wraps it with leadership and
// publication; the benchmarks call it directly.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalogue/migrations.h"
#include "engine/pending_changes.h"
#include "ownership/grant_step.h"
#include "scripting/rules_source.h"
#include "snapshot/snapshot.h"

namespace berth {

// What the tenant rules did in one refresh.
struct RulesReport {
  bool evaluated = false;
  uint64_t hash = 0;                // of the rules in force (0: none)
  bool reloaded = false;            // a changed file came into force
  std::string refused;              // why a changed file was refused, if one was
  std::vector<rules::Problem> problems;
  uint64_t problem_count = 0;
  uint64_t kept_owner = 0;          // streams held on their owner by a failed or empty rule
  uint64_t constrained_streams = 0;
  uint32_t classes = 0;
  uint64_t violations = 0;          // constrained streams the policy put outside their allowed servers
  double eval_ms = 0;
};

struct RefreshResult {
  std::shared_ptr<Snapshot> snapshot;  // finished
  uint64_t moved_streams = 0;          // streams whose owner changed (new streams do not count)
  double moved_load = 0;
  double moved_load_fraction = 0;      // of the new total load
  uint64_t new_streams = 0;
  uint64_t removed_streams = 0;
  RulesReport rules;
  ownership::StepCounts ownership;     // what the grant step did (holders and tokens)
  catalogue::StepCounts catalogue;     // what the migration step did (catalogue/migrations.h)
};

// `base` may be null (first refresh). `meta` carries version, epoch, leader, time; the policy's
// name and behaviour version are filled in here, and the rules' hash. `rules` (may be null: no
// rules) turns the operators' Lua rules into scaled loads and placement constraints for the
// policy; the snapshot keeps the appraised loads, so a scale is never applied twice.
// Holders and tokens come from the grant step (ownership/grant_step.h) over `base`, the owners
// decided here and the releases in `pending`; `meta.version` is the token of every grant, so it
// must exceed the base's. Without a base every stream is granted to its owner.
// `soft_handoff`: ownership.soft_handoff (breaks the guarantee; see grant_step.h), recorded in
// the snapshot's provenance. Without `grant`, nothing is granted (a base that may not be the
// latest version, docs/ownership.md). `catalogue`: the bounds of the migration step.
RefreshResult compute_refresh(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                              const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                              Provenance meta, std::shared_ptr<ServerNames> names,
                              rules::RulesSource* rules = nullptr, bool soft_handoff = false, bool grant = true,
                              const catalogue::Settings& catalogue = {});

// What the rules give one refresh: the evaluation of those in force (and whether they changed).
using RulesStep = std::function<rules::SourceOutcome(const rules::Input&)>;

// The same with the rules as a step (the engine's shared rules, engine/shared_rules_step.h);
// an empty step applies no rules. `lapse`: the leader's clock and wait for lapsing holds
// (ownership/lapsing_holds.h; none by default).
RefreshResult compute_refresh_step(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                   const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                                   Provenance meta, std::shared_ptr<ServerNames> names, const RulesStep& rules,
                                   bool soft_handoff = false, bool grant = true,
                                   const catalogue::Settings& catalogue = {}, ownership::LapseClock lapse = {});

// The same with a rule set given directly (the CLI's `plan`, tests): no reload.
RefreshResult compute_refresh_with(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                   const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                                   Provenance meta, std::shared_ptr<ServerNames> names, rules::RuleSet* rules,
                                   bool soft_handoff = false, bool grant = true);

}  // namespace berth
