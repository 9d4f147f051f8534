// Why a stream is where it is (docs/catalogue.md, "Why a stream is there"): the rule that set its
// servers, evaluated for that one stream when asked, and the policy's decision as far as the
// version tells it. Computed on demand from a snapshot; nothing is stored per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scripting/rule_set.h"
#include "snapshot/snapshot.h"

namespace berth::catalogue {

// The policy's decision, as far as the version tells it (the C API's BERTH_WHY_* values).
enum class Decision : int32_t {
  unknown = 0,          // not in the assignment: where a lookup of it would go
  deleted = 1,          // deleting: its locations are to purge
  placed = 2,           // where a new stream of that id is placed now
  kept = 3,             // elsewhere: kept where it was (sticky), or balanced there
  pinned = 4,           // the rules allow one server only
  migrating = 5,        // an operator's migration runs (or finished within the interval)
  migrating_out = 6,    // its server is marked for data migration: migrating out, or waiting to
  queued = 7,           // a migration waits for a concurrency bound
  moved_off_sealed = 8, // moved off a read-only server, still read there
  handing_off = 9,      // moved, its last holder hands it off (that server drained, or the policy moved it)
};
const char* decision_name(Decision d) noexcept;

struct PlacementWhy {
  Decision decision = Decision::unknown;
  std::string detail;  // one sentence naming the servers involved

  // The rules: evaluated for this stream alone against the version's servers.
  bool rules_evaluated = false;
  std::string rules_note;            // why they were not (no rules, or not the version's), else ""
  std::string rule;                  // "script:line" of the rule that set its servers; "" none
  std::vector<std::string> allowed;  // server ids; empty: the rules leave every server
  std::vector<std::string> preferred;
};

// `rules`: the rules that placed `s` (their hash is s.meta.rules_hash), or null when this caller
// has none. Throws Error(BERTH_E_INVALID_ARGUMENT) for an empty stream id.
PlacementWhy explain_placement(const Snapshot& s, std::string_view stream, rules::RuleSet* rules);

// The rules that placed `s` when this caller can have them: the version's shared rules (compiled
// here under `limits`, the caller's [rules] limits, as its leader compiles them), else
// `file_rules` when their hash is the version's. Null otherwise, with `note` saying why.
std::shared_ptr<rules::RuleSet> rules_of(const Snapshot& s, std::shared_ptr<rules::RuleSet> file_rules, std::string& note,
                                         const rules::Limits& limits = {});

}  // namespace berth::catalogue
