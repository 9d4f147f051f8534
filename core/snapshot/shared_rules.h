// The tenant rules every leader applies (docs/catalogue.md, "Rules every node shares"): the
// script an operator pushed, its version and its hash. Carried by every snapshot from the first
// accepted push on, so whichever node leads next applies the same rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/hash.h"

namespace berth {

// The longest script a push may carry (docs/limits.md). It travels as one intake record's
// tenant field (engine/intake.h) and in every published version.
inline constexpr size_t kMaxRulesScriptBytes = size_t{64} << 10;

struct SharedRules {
  uint64_t version = 0;  // grows by one with every accepted push
  uint64_t hash = 0;     // XXH3-64 of `script` (scripting/rule_set.h: rules_hash), as rulesHash records it
  std::string script;
  // A delta's head only: the script is the base's, left out of the head (apply_delta takes it
  // from the base; finish_snapshot refuses a snapshot still marked so).
  bool in_base = false;
};

// The hash of a script's text: XXH3-64, with 0 (which means "no rules" in rulesHash) read as 1;
// the same number scripting/rule_set.h's rules_hash gives.
inline uint64_t shared_rules_hash(std::string_view script) noexcept {
  uint64_t h = stream_hash(script);
  return h != 0 ? h : 1;
}

}  // namespace berth
