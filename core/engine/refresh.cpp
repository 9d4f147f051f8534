#include "engine/refresh.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.h"
#include "common/hash.h"
#include "engine/catalogue_step.h"

namespace berth {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
static_assert(kMaxTombstoneIdBytes == kMaxIdBytes, "a snapshot must take every id an intake record carries");

struct NextStreams {
  std::shared_ptr<const StreamColumns> columns;
  std::vector<double> reported;         // per stream: last known load, NaN when none
  std::vector<uint64_t> base_index;     // per stream: index in the base snapshot, or UINT64_MAX
  uint64_t removed = 0;
};

// A lookup (`seen`) or a load report of a stream removed on purpose: it stays removed.
bool stays_removed(const Snapshot* base, const std::string& id, const StreamChange& change) {
  return change.present && !change.added && base != nullptr && base->tombstones && base->tombstones->contains(id);
}

bool in_base(const Snapshot* base, const std::string& id) {
  return base != nullptr && base->table->find(stream_hash(id), id, base->streams->ids.arena.data()) != nullptr;
}

// Whether a removal in `pending` buries `id`: a stream the base holds or buries, or one some
// record of this refresh brought in before its removal. An id nobody knew gets no tombstone:
// nothing would bring it back, and its tombstone would push out one that matters.
bool buries(const Snapshot* base, const std::string& id, const StreamChange& change) {
  if (change.present) return false;
  return change.heard || in_base(base, id) || (base != nullptr && base->tombstones && base->tombstones->contains(id));
}

// The base's tombstones, less the streams added again, plus those removed since (tombstones.h).
// A buried stream removed again moves to the newest place, so the bound forgets the removals
// longest ago.
std::shared_ptr<const Tombstones> next_tombstones(const Snapshot* base, const PendingChanges& pending) {
  const Tombstones* dead = base != nullptr ? base->tombstones.get() : nullptr;
  bool changed = false;
  for (const auto& [id, change] : pending.all()) {
    bool buried = dead != nullptr && dead->contains(id);
    if (buried ? change.added || !change.present : buries(base, id, change)) changed = true;
  }
  if (!changed) return dead != nullptr ? base->tombstones : nullptr;
  std::vector<std::string> ids;
  if (dead != nullptr)
    for (const std::string& id : dead->ids()) {
      const StreamChange* c = pending.find(id);
      if (c == nullptr || (c->present && !c->added)) ids.push_back(id);
    }
  for (const std::string& id : pending.order())
    if (buries(base, id, pending.all().at(id))) ids.push_back(id);
  if (ids.empty()) return nullptr;
  return std::make_shared<const Tombstones>(std::move(ids));
}

// The streams of the next snapshot: the base's, minus removals, plus additions. Reuses the
// base's columns untouched when nothing was added or removed.
NextStreams next_streams(const Snapshot* base, const PendingChanges& pending) {
  NextStreams next;
  uint64_t base_count = base != nullptr ? base->stream_count() : 0;
  bool membership_changed = false;
  for (const auto& [id, change] : pending.all()) {
    if (stays_removed(base, id, change)) continue;
    bool known = base != nullptr && base->table->find(stream_hash(id), id, base->streams->ids.arena.data()) != nullptr;
    if (known != change.present || (known && change.added)) membership_changed = true;
  }

  if (!membership_changed && base != nullptr) {
    next.columns = base->streams;
    next.reported.resize(base_count);
    next.base_index.resize(base_count);
    for (uint64_t i = 0; i < base_count; ++i) {
      const StreamChange* c = pending.no_stream_changes() ? nullptr : pending.find(base->streams->ids.at(i));
      next.reported[i] = c != nullptr && !std::isnan(c->reported_load) ? c->reported_load : base->load[i];
      next.base_index[i] = i;
    }
    return next;
  }

  auto columns = std::make_shared<StreamColumns>();
  std::unordered_map<std::string, uint32_t> tenant_index;
  auto tenant_of = [&](std::string_view name) -> uint32_t {
    auto [it, inserted] = tenant_index.try_emplace(std::string(name), static_cast<uint32_t>(columns->tenants.size()));
    if (inserted) columns->tenants.push_back(name);
    return it->second;
  };
  tenant_of("");
  auto push = [&](std::string_view id, std::string_view tenant, double reported, uint64_t base_i) {
    columns->ids.push_back(id);
    columns->hash.push_back(stream_hash(id));
    columns->tenant.push_back(tenant_of(tenant));
    next.reported.push_back(reported);
    next.base_index.push_back(base_i);
  };

  columns->ids.reserve(base_count + pending.order().size(),
                       (base != nullptr ? base->streams->ids.arena.size() : 0) + pending.order().size() * 16);
  for (uint64_t i = 0; i < base_count; ++i) {
    std::string_view id = base->streams->ids.at(i);
    const StreamChange* c = pending.no_stream_changes() ? nullptr : pending.find(id);
    if (c != nullptr && !c->present) {
      ++next.removed;
      continue;
    }
    std::string_view tenant = c != nullptr && c->added ? std::string_view(c->tenant)
                                                       : base->streams->tenants.at(base->streams->tenant[i]);
    double reported = c != nullptr && !std::isnan(c->reported_load) ? c->reported_load : base->load[i];
    push(id, tenant, reported, i);
  }
  for (const std::string& id : pending.order()) {
    const StreamChange& c = pending.all().at(id);
    if (!c.present || stays_removed(base, id, c)) continue;
    if (base != nullptr &&
        base->table->find(stream_hash(id), id, base->streams->ids.arena.data()) != nullptr)
      continue;  // already carried over from the base
    push(id, c.tenant, c.reported_load, UINT64_MAX);
  }
  next.columns = std::move(columns);
  return next;
}

// Constrained streams the policy placed outside their allowed servers (the ABI lets it keep a
// previous owner when no allowed server can take a stream; the host counts it either way).
uint64_t count_violations(const rules::Constraints& constraints, const std::vector<uint32_t>& owner) {
  uint64_t violations = 0;
  for (uint64_t i = 0; i < owner.size(); ++i) {
    uint32_t cls = constraints.class_of(i);
    if (cls != BERTH_NO_CLASS && !constraints.allows(cls, owner[i])) ++violations;
  }
  return violations;
}

RefreshResult compute(const Snapshot* base, std::shared_ptr<const ServerColumns> servers, const PendingChanges& pending,
                      Appraiser& appraiser, const Policy& policy, Provenance meta, std::shared_ptr<ServerNames> names,
                      const RulesStep& apply_rules, bool soft_handoff, bool grant,
                      const catalogue::Settings& catalogue_settings, ownership::LapseClock lapse) {
  NextStreams next = next_streams(base, pending);
  const StreamColumns& streams = *next.columns;
  uint64_t n = streams.size();
  uint32_t m = servers->size();

  std::vector<double> load(n);
  if (n > 0) appraiser.appraise(streams.view(next.reported.data()), load.data());
  for (uint64_t i = 0; i < n; ++i)
    if (!std::isfinite(load[i]) || load[i] < 0)
      throw Error(BERTH_E_PLUGIN, fmt::format("appraiser '{}' gave stream '{}' the load {}", appraiser.plugin().name,
                                              streams.ids.at(i), load[i]));

  // Where each stream was: its owner in the base (by server id, as indexes change with
  // membership), or for a stream new since the base, where the base's placer put it, so every
  // answer given before this refresh stays the previous owner.
  std::vector<uint32_t> previous(n, BERTH_NO_SERVER);
  std::vector<uint32_t> base_to_new;  // base server index -> index in `servers`, or BERTH_NO_SERVER
  if (base != nullptr) {
    base_to_new.assign(base->server_count(), BERTH_NO_SERVER);
    for (uint32_t b = 0, j = 0; b < base->server_count(); ++b) {
      std::string_view id = base->servers->ids.at(b);
      while (j < m && servers->ids.at(j) < id) ++j;
      if (j < m && servers->ids.at(j) == id) base_to_new[b] = j;
    }
    // A placer with nowhere to place one stream has nowhere for any (its servers are fixed), and
    // each refusal is an exception on both sides of the plugin ABI: ask no more after the first.
    bool base_placer_can_place = base->placer != nullptr;
    for (uint64_t i = 0; i < n; ++i) {
      if (next.base_index[i] != UINT64_MAX) {
        previous[i] = base_to_new[base->owner[next.base_index[i]]];
      } else if (base_placer_can_place) {
        try {
          uint32_t placed = base->placer->place(streams.hash[i], kNaN);
          if (placed < base_to_new.size()) previous[i] = base_to_new[placed];
        } catch (const Error& e) {
          // Could not have been answered before either: no previous owner.
          if (e.code() == BERTH_E_NO_SERVERS) base_placer_can_place = false;
        }
      }
    }
  }

  // The operators' rules: scaled loads and allowed/preferred servers for the policy.
  RulesReport rules_report;
  rules::SourceOutcome rules_outcome;
  berth_server_set server_view = servers->view();
  const std::vector<int32_t> policy_states = catalogue::policy_states(*servers);  // sealed servers drain
  if (!policy_states.empty()) server_view.state = policy_states.data();
  berth_stream_set stream_view = streams.view(next.reported.data());
  if (apply_rules) {
    auto started = std::chrono::steady_clock::now();
    rules::Input input{&server_view, &servers->labels, &stream_view, load.data(), previous.data()};
    rules_outcome = apply_rules(input);
    rules::Evaluation& ev = rules_outcome.evaluation;
    rules_report.evaluated = true;
    rules_report.hash = rules_outcome.rules ? rules_outcome.rules->hash() : 0;
    rules_report.reloaded = rules_outcome.reloaded;
    rules_report.refused = rules_outcome.refused;
    rules_report.problems = ev.problems;
    rules_report.problem_count = ev.problem_count;
    rules_report.kept_owner = ev.kept_owner;
    rules_report.constrained_streams = ev.constraints.constrained_streams();
    rules_report.classes = ev.constraints.class_count();
    rules_report.eval_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    meta.rules_hash = rules_report.hash;
  }
  const rules::Evaluation& evaluation = rules_outcome.evaluation;
  const double* policy_load = evaluation.load.empty() ? load.data() : evaluation.load.data();

  std::vector<uint32_t> owner(n, BERTH_NO_SERVER);
  const berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &server_view,
                                        &stream_view, policy_load, previous.data(),
                                        rules_outcome.evaluation.constraints.view()};
  if (n > 0) {
    policy.rebalance(request, owner.data());
    for (uint64_t i = 0; i < n; ++i)
      if (owner[i] >= m)
        throw Error(BERTH_E_PLUGIN, fmt::format("policy '{}' assigned stream '{}' to server #{} of {}", policy.plugin().name,
                                                streams.ids.at(i), owner[i], m));
  }
  catalogue::StepResult catalogue =
      run_catalogue_step(base, *servers, streams, previous, pending, meta, catalogue_settings, policy, request, owner);

  auto snapshot = std::make_shared<Snapshot>();
  meta.policy = policy.plugin().name;
  meta.behaviour_version = policy.behaviour_version();
  meta.soft_handoff = soft_handoff;
  snapshot->meta = std::move(meta);
  snapshot->servers = std::move(servers);
  snapshot->streams = next.columns;
  snapshot->load.resize(n);
  for (uint64_t i = 0; i < n; ++i) snapshot->load[i] = static_cast<float>(load[i]);
  snapshot->owner = std::move(owner);
  snapshot->tombstones = next_tombstones(base, pending);
  if (base != nullptr) carry_catalogue(*snapshot, *base);
  snapshot->catalogue = std::move(catalogue.catalogue);
  // Who holds what follows the owners just decided (docs/ownership.md), before the snapshot is
  // finished, so that finish_snapshot sees every column.
  ownership::StepCounts ownership = ownership::assign_holders(base, *snapshot, pending.releases(), soft_handoff, grant, lapse);
  finish_snapshot(*snapshot, &policy, std::move(names), base);

  RefreshResult result;
  result.ownership = ownership;
  result.catalogue = catalogue.counts;
  if (rules_report.evaluated && evaluation.constraints.stream_count() == n)
    rules_report.violations = count_violations(evaluation.constraints, snapshot->owner);
  result.rules = std::move(rules_report);
  result.removed_streams = next.removed;
  double total = snapshot->balance.total_load;
  for (uint64_t i = 0; i < n; ++i) {
    if (next.base_index[i] == UINT64_MAX) {
      ++result.new_streams;
      continue;
    }
    if (base_to_new[base->owner[next.base_index[i]]] != snapshot->owner[i]) {  // same server id, or moved
      ++result.moved_streams;
      result.moved_load += snapshot->load[i];
    }
  }
  result.moved_load_fraction = total > 0 ? result.moved_load / total : 0;
  result.snapshot = std::move(snapshot);
  return result;
}

}  // namespace

RefreshResult compute_refresh(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                              const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                              Provenance meta, std::shared_ptr<ServerNames> names, rules::RulesSource* rules,
                              bool soft_handoff, bool grant, const catalogue::Settings& catalogue) {
  RulesStep step;
  if (rules != nullptr) step = [rules](const rules::Input& input) { return rules->evaluate(input); };
  return compute(base, std::move(servers), pending, appraiser, policy, std::move(meta), std::move(names), step,
                 soft_handoff, grant, catalogue, {});
}

RefreshResult compute_refresh_with(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                   const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                                   Provenance meta, std::shared_ptr<ServerNames> names, rules::RuleSet* rules,
                                   bool soft_handoff, bool grant) {
  RulesStep step;
  if (rules != nullptr)
    step = [rules](const rules::Input& input) {
      rules::SourceOutcome out;
      out.evaluation = rules->evaluate(input);
      out.rules = std::shared_ptr<const rules::RuleSet>(std::shared_ptr<const rules::RuleSet>{}, rules);
      return out;
    };
  return compute(base, std::move(servers), pending, appraiser, policy, std::move(meta), std::move(names), step,
                 soft_handoff, grant, catalogue::Settings{}, {});
}

RefreshResult compute_refresh_step(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                                   const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                                   Provenance meta, std::shared_ptr<ServerNames> names, const RulesStep& rules,
                                   bool soft_handoff, bool grant, const catalogue::Settings& catalogue,
                                   ownership::LapseClock lapse) {
  return compute(base, std::move(servers), pending, appraiser, policy, std::move(meta), std::move(names), rules,
                 soft_handoff, grant, catalogue, lapse);
}

}  // namespace berth
