// The rules every node shares (docs/catalogue.md): the caller's check and push, the wait for the
// version that carries a push, and the leader's refresh with the shared rules in force.
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/log.h"
#include "engine/catalogue_step.h"
#include "engine/engine.h"

namespace berth {

Engine::RulesPush Engine::check_rules(std::string_view script) {
  if (script.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "rules: the script is empty (write a comment for no rules)");
  if (script.size() > kMaxRulesScriptBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("rules: the script has {} bytes, more than the limit of {}",
                                                      script.size(), kMaxRulesScriptBytes));
  std::shared_ptr<const Snapshot> s = cell_.shared();
  if (!s) throw Error(BERTH_E_UNAVAILABLE, fmt::format("rules: node {} has no snapshot yet to check the script against", node_id_));
  RulesPush push;
  push.hash = shared_rules_hash(script);
  if (s->shared_rules) {
    push.replaces_version = s->shared_rules->version;
    push.replaces_hash = s->shared_rules->hash;
  }
  // Checked here as the leader checks it (engine/shared_rules_step.h), against the version served.
  auto rules = rules::RuleSet::compile("pushed rules", std::string(script), options_.rules.limits);
  const uint64_t n = s->stream_count();
  std::vector<double> load(s->load.begin(), s->load.end());
  berth_server_set servers = s->servers->view();
  berth_stream_set streams = s->streams->view(nullptr);
  rules::Input input{&servers, &s->servers->labels, &streams, load.data(), n == s->owner.size() ? s->owner.data() : nullptr};
  rules::Evaluation evaluation = rules->evaluate(input);
  if (evaluation.has_errors())
    throw Error(BERTH_E_CONFIG, fmt::format("rules refused: {} problem(s) against version {} ({} servers, {} streams):\n{}",
                                            evaluation.problem_count, s->meta.version, s->server_count(), n,
                                            evaluation.report()));
  push.unchanged = push.replaces_hash == push.hash;
  return push;
}

Engine::RulesPush Engine::push_rules(std::string_view script) {
  RulesPush push = check_rules(script);
  if (push.unchanged) return push;
  record_intake(IntakeOp::rules, node_id_, script, rules_record_hash_bits(push.hash));
  flush_intake();
  return push;
}

uint64_t Engine::wait_rules(uint64_t hash, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::shared_ptr<const Snapshot> s = cell_.shared();
    if (s && s->shared_rules && s->shared_rules->hash == hash) return s->shared_rules->version;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(BERTH_E_TIMEOUT,
                  fmt::format("node {}: the rules with hash {:016x} are not in force after {} ms (version {} serves shared "
                              "rules {}): the leader refused them (its log, berth_rules_refused_total) or has not refreshed",
                              node_id_, hash, timeout.count(), s ? s->meta.version : 0,
                              s && s->shared_rules ? fmt::format("version {} hash {:016x}", s->shared_rules->version,
                                                                 s->shared_rules->hash)
                                                   : std::string("none")));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

RefreshResult Engine::refresh_with_rules(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                         Provenance meta, bool grant, const OperatorServers* operators) {
  SharedRulesOutcome outcome;
  catalogue::Settings catalogue = catalogue_settings(options_.catalogue);
  catalogue.migrate_out = catalogue::marked_for_migration(operators);
  RulesStep step = shared_rules_.prepare(base, intake_->pending().catalogue(), rules_.get(), outcome);
  RefreshResult result =
      compute_refresh_step(base, std::move(servers), intake_->pending(), *appraiser_, *policy_, std::move(meta), names_,
                           step, options_.ownership.soft_handoff, grant, catalogue, lapse_clock());
  result.snapshot->shared_rules = outcome.next;
  if (outcome.accepted)
    logger().info("berth node {}: shared rules version {} (hash {:016x}) in force from version {}", node_id_,
                  outcome.next->version, outcome.next->hash, result.snapshot->meta.version);
  if (outcome.file_ignored && outcome.next && file_ignored_warned_ != outcome.next->version) {
    file_ignored_warned_ = outcome.next->version;
    logger().warn("berth node {}: rules file {} is ignored: the shared rules version {} (hash {:016x}) are in force on "
                  "every node",
                  node_id_, options_.rules.file.string(), outcome.next->version, outcome.next->hash);
  }
  refused_in_build_ += outcome.malformed;
  return result;
}

}  // namespace berth
