#include "catalogue/placement_why.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "catalogue/locate.h"
#include "common/error.h"
#include "common/hash.h"
#include "snapshot/catalogue_entries.h"
#include "snapshot/operator_servers.h"
#include "snapshot/shared_rules.h"

namespace berth::catalogue {
namespace {

bool marked(const Snapshot& s, std::string_view server) {
  const OperatorServer* o = s.operator_servers ? s.operator_servers->find(server) : nullptr;
  return o != nullptr && o->migrate;
}

// The rules for stream `i` of `s` alone: its tenant, load and owner against every server.
void evaluate_rules(const Snapshot& s, uint64_t i, std::string_view stream, rules::RuleSet& rules, PlacementWhy& out) {
  const std::string tenant(s.streams->tenants.at(s.streams->tenant[i]));
  const uint64_t id_offsets[2] = {0, stream.size()};
  const uint64_t hash = stream_hash(stream);
  const uint32_t tenant_index = 0;
  const uint64_t tenant_offsets[2] = {0, tenant.size()};
  const double reported = std::numeric_limits<double>::quiet_NaN();
  const berth_stream_set one{BERTH_SIZE_THROUGH(berth_stream_set, reported_load), 1, stream.data(), id_offsets, &hash,
                             &tenant_index, 1, tenant.data(), tenant_offsets, &reported};
  const berth_server_set servers = s.servers->view();
  const double load = s.load[i];
  const uint32_t owner = s.owner[i];
  rules::Input input{&servers, &s.servers->labels, &one, &load, &owner, true};
  rules::Evaluation ev = rules.evaluate(input);
  out.rules_evaluated = true;
  if (!ev.decided_by.empty()) out.rule = ev.decided_by[0];
  if (!ev.problems.empty()) out.rules_note = ev.problems.front().message;
  const uint32_t cls = ev.constraints.stream_count() == 1 ? ev.constraints.class_of(0) : BERTH_NO_CLASS;
  if (cls == BERTH_NO_CLASS) return;
  for (uint32_t k : ev.constraints.allowed(cls)) out.allowed.emplace_back(s.servers->ids.at(k));
  for (uint32_t k : ev.constraints.preferred(cls)) out.preferred.emplace_back(s.servers->ids.at(k));
}

}  // namespace

const char* decision_name(Decision d) noexcept {
  switch (d) {
    case Decision::unknown: return "unknown";
    case Decision::deleted: return "deleted";
    case Decision::placed: return "placed";
    case Decision::kept: return "kept";
    case Decision::pinned: return "pinned";
    case Decision::migrating: return "migrating";
    case Decision::migrating_out: return "migrating-out";
    case Decision::queued: return "queued";
    case Decision::moved_off_sealed: return "moved-off-sealed";
    case Decision::handing_off: return "handing-off";
  }
  return "unknown";
}

std::shared_ptr<rules::RuleSet> rules_of(const Snapshot& s, std::shared_ptr<rules::RuleSet> file_rules, std::string& note,
                                         const rules::Limits& limits) {
  note.clear();
  if (s.meta.rules_hash == 0) {
    note = "no tenant rules placed this version";
    return nullptr;
  }
  if (s.shared_rules && !s.shared_rules->script.empty() && s.shared_rules->hash == s.meta.rules_hash) {
    try {
      return rules::RuleSet::compile(fmt::format("shared rules v{}", s.shared_rules->version), s.shared_rules->script,
                                     limits);
    } catch (const Error& e) {
      note = fmt::format("the version's shared rules do not compile here: {}", e.what());
      return nullptr;
    }
  }
  if (file_rules && file_rules->hash() == s.meta.rules_hash) return file_rules;
  note = fmt::format("the rules that placed this version (hash {:016x}) are a leader's [rules] file this node does not "
                     "have", s.meta.rules_hash);
  return nullptr;
}

PlacementWhy explain_placement(const Snapshot& s, std::string_view stream, rules::RuleSet* rules) {
  StreamLocation at = locate(s, stream);
  PlacementWhy out;
  const std::string owner = at.owner != nullptr ? at.owner : "";
  if (!at.known) {
    out.decision = at.status == CatalogueStatus::deleting ? Decision::deleted : Decision::unknown;
    out.detail = at.status == CatalogueStatus::deleting
                     ? "deleted: its locations are to purge"
                     : owner.empty() ? "not in the assignment, and no server can take it"
                                     : fmt::format("not in the assignment: a lookup places it at '{}'", owner);
    out.rules_note = "not evaluated: the stream is not in the assignment";
    return out;
  }
  const uint64_t i = [&] {
    const LookupTable::Slot* slot = s.table->find(stream_hash(stream), stream, s.streams->ids.arena.data());
    const auto& off = s.streams->ids.offsets;
    return static_cast<uint64_t>(std::upper_bound(off.begin(), off.end() - 1, uint64_t{slot->offset}) - off.begin()) - 1;
  }();
  if (rules != nullptr) evaluate_rules(s, i, stream, *rules, out);

  const CatalogueEntries* c = s.catalogue.get();
  const std::vector<std::string_view> sealed = c ? c->sealed_reads_of(stream) : std::vector<std::string_view>{};
  if (at.source != nullptr && marked(s, at.source)) {
    out.decision = Decision::migrating_out;
    out.detail = fmt::format("migrating out of '{}', which an operator marked for data migration, to '{}' (the policy's "
                             "choice)", at.source, owner);
  } else if (at.source != nullptr) {
    out.decision = Decision::migrating;
    out.detail = fmt::format("migrating from '{}' to '{}', as an operator asked", at.source, owner);
  } else if (at.queued) {
    out.decision = Decision::queued;
    out.detail = fmt::format("a migration to {} waits for a concurrency bound",
                             at.queued_destination.empty() ? "the policy's choice" : "'" + at.queued_destination + "'");
  } else if (marked(s, owner)) {
    out.decision = Decision::migrating_out;
    out.detail = fmt::format("waiting to migrate out of '{}', which an operator marked for data migration (the "
                             "catalogue's bounds leave no room yet)", owner);
  } else if (c != nullptr && c->migrated_at(stream) != INT64_MIN) {
    out.decision = Decision::migrating;
    out.detail = fmt::format("moved to '{}' by a migration that finished at {} (unix ms); kept there for "
                             "catalogue.migration_interval", owner, c->migrated_at(stream));
  } else if (!sealed.empty()) {
    out.decision = Decision::moved_off_sealed;
    out.detail = fmt::format("moved off '{}', set read-only, which it is still read from", sealed.front());
  } else if (at.holder != nullptr && owner != at.holder) {
    const uint32_t h = server_of(s, at.holder);
    const int32_t state = h != BERTH_NO_SERVER ? s.servers->state[h] : BERTH_SERVER_UP;
    out.decision = Decision::handing_off;
    out.detail = state == BERTH_SERVER_DRAINING
                     ? fmt::format("moved because '{}' is draining: it hands the stream off to '{}'", at.holder, owner)
                     : fmt::format("moved from '{}' by the policy: it hands the stream off to '{}'", at.holder, owner);
  } else if (out.allowed.size() == 1) {
    out.decision = Decision::pinned;
    out.detail = fmt::format("pinned to '{}' by {}", out.allowed.front(), out.rule.empty() ? "the rules" : out.rule);
  } else {
    uint32_t fresh = BERTH_NO_SERVER;
    if (s.placer) try {
        fresh = s.placer->place(s.streams->hash[i], std::numeric_limits<double>::quiet_NaN());
      } catch (const Error&) {
        // No fresh placement to compare with.
      }
    if (fresh == s.owner[i]) {
      out.decision = Decision::placed;
      out.detail = fmt::format("at '{}', where policy {} places a new stream of that id", owner, s.meta.policy);
    } else {
      out.decision = Decision::kept;
      out.detail = fmt::format("kept at '{}' (sticky, or balanced there) by policy {}; a new stream of that id would go to "
                               "'{}'", owner, s.meta.policy, fresh < s.server_count() ? s.server_name[fresh] : "-");
    }
  }
  return out;
}

}  // namespace berth::catalogue
