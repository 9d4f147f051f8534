// A compiled rules script and its evaluation against one cluster: which servers each stream may
// use (allowed, hard) and should use (preferred, soft), and each stream's load scale.
//
// The script runs once when compiled; it registers rules (dedicate, tenant, stream, pin). An
// evaluation then calls each tenant rule once per tenant that has streams (not per stream), each
// stream rule once per stream of the tenants it names, and turns the results into deduplicated
// constraint classes. See scripting/README.md for the API operators write against.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "berth/plugin.h"
#include "common/labels.h"
#include "scripting/constraints.h"
#include "scripting/sandbox.h"

namespace berth::rules {

// What one evaluation looks at. Arrays are indexed like the sets; all must outlive the call.
struct Input {
  const berth_server_set* servers = nullptr;
  const std::vector<Labels>* labels = nullptr;  // per server; may be shorter (no labels)
  const berth_stream_set* streams = nullptr;
  const double* load = nullptr;                 // appraised, per stream
  const uint32_t* previous_owner = nullptr;     // per stream, BERTH_NO_SERVER when none; may be null
  bool explain = false;                         // fill Evaluation::decided_by
};

struct Problem {
  enum Kind { syntax, runtime, limit, unknown_server, unknown_label, no_allowed_server, spread };
  Kind kind;
  std::string message;  // names the script, the line, and the tenant or stream
  uint64_t streams = 0; // streams it left on their current owner
  // Every kind but an infeasible spread (which still caps the zones as tightly as it can).
  bool is_error() const noexcept { return kind != spread; }
};
const char* kind_name(Problem::Kind kind) noexcept;

struct Evaluation {
  Constraints constraints;
  std::vector<double> load;       // scaled, per stream; empty when no rule scales anything
  std::vector<Problem> problems;  // the first kMaxProblems
  uint64_t problem_count = 0;     // all of them
  uint64_t kept_owner = 0;        // streams held on their owner because a rule failed or allowed nothing
  uint64_t tenant_calls = 0;      // tenant rule calls made (once per tenant, not per stream)
  uint64_t stream_calls = 0;
  // With Input::explain, per stream: "script:line" of the rule that set its servers last (a pin,
  // a dedication, allow/deny/require, a spread), or "" when no rule narrowed them.
  std::vector<std::string> decided_by;
  bool has_errors() const noexcept;
  std::string report() const;     // one problem per line
};

constexpr size_t kMaxProblems = 100;

class RuleSet {
 public:
  // Compiles `text` and runs it once. Throws Error(BERTH_E_CONFIG) with "name:line: ..." on a
  // syntax error, a runtime error, a limit, or a malformed registration.
  static std::shared_ptr<RuleSet> compile(std::string name, std::string text, Limits limits = {});
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Safe to call from several threads (evaluations are serialised).
  Evaluation evaluate(const Input& input);

  const std::string& name() const noexcept { return name_; }
  const std::string& text() const noexcept { return text_; }
  uint64_t hash() const noexcept { return hash_; }  // XXH3-64 of the text; never 0

  struct State;  // the registered rules and the evaluation under way (rule_set.cpp)

 private:
  RuleSet(std::string name, std::string text, Limits limits);

  std::string name_, text_;
  uint64_t hash_ = 0;
  std::mutex mutex_;
  std::unique_ptr<State> state_;
};

// XXH3-64 of a script's text as snapshots record it (0 stays "no rules").
uint64_t rules_hash(std::string_view text) noexcept;

}  // namespace berth::rules
