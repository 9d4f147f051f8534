#include "catalogue/operator_servers_step.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "berth/abi.h"
#include "common/error.h"

namespace berth {
namespace {

OperatorServer as_entry(const ServerChange& change) {
  OperatorServer o;
  o.id = change.id;
  o.registered = (change.fields & kServerSetRegister) != 0;
  if (change.fields & kServerSetCapacity) o.capacity = change.capacity;
  if (change.fields & kServerSetState) o.state = change.state;
  if (change.fields & kServerSetLabels) o.labels = change.labels;
  if (change.fields & kServerSetMigrate) o.migrate = change.migrate;
  return o;
}

void merge_into(OperatorServer& entry, const ServerChange& change) {
  if (change.fields & kServerSetRegister) entry.registered = true;
  if (change.fields & kServerSetCapacity) entry.capacity = change.capacity;
  if (change.fields & kServerSetState) entry.state = change.state;
  if (change.fields & kServerSetLabels) entry.labels = change.labels;
  if (change.fields & kServerSetMigrate) entry.migrate = change.migrate;
}

// A server marked for data migration takes no new stream: up becomes draining (read-only and
// draining stay as they are).
int32_t state_of(const OperatorServer& o, int32_t member_state) {
  const int32_t state = o.state.value_or(member_state);
  return o.migrate && state == BERTH_SERVER_UP ? BERTH_SERVER_DRAINING : state;
}

}  // namespace

std::string server_change_problem(const ServerChange& change) {
  if (change.fields == 0) return fmt::format("server '{}': the change sets nothing", change.id.substr(0, 64));
  constexpr uint8_t known = kServerSetAll | kServerSetMigrate;
  if (change.fields & ~known)
    return fmt::format("server '{}': unknown change fields 0x{:x}", change.id.substr(0, 64), change.fields & ~known);
  return operator_server_problem(as_entry(change));
}

std::string server_change_payload(const ServerChange& change) {
  std::string out;
  out.push_back(static_cast<char>(change.fields));
  out.push_back(static_cast<char>((change.fields & kServerSetState) ? change.state : 0));
  if (change.fields & kServerSetMigrate) out.push_back(change.migrate ? 1 : 0);
  if (change.fields & kServerSetLabels) out += format_labels(change.labels);
  return out;
}

ServerChange parse_server_change(std::string_view id, std::string_view payload, double capacity) {
  ServerChange c;
  c.id = std::string(id);
  auto bad = [&](const std::string& why) {
    return Error(BERTH_E_CORRUPT, fmt::format("server change for '{}': {}", id.substr(0, 64), why));
  };
  if (payload.size() < 2) throw bad(fmt::format("payload of {} bytes, at least 2 expected", payload.size()));
  c.fields = static_cast<uint8_t>(payload[0]);
  c.state = static_cast<uint8_t>(payload[1]);
  std::string_view labels = payload.substr(2);
  if (c.fields & kServerSetMigrate) {
    if (labels.empty()) throw bad("the migration mark is missing");
    if (labels[0] != 0 && labels[0] != 1) throw bad(fmt::format("migration mark {} is not 0 or 1", int(labels[0])));
    c.migrate = labels[0] == 1;
    labels.remove_prefix(1);
  }
  if (!(c.fields & kServerSetState) && c.state != 0) throw bad("a state without the state field");
  if (!(c.fields & kServerSetLabels) && !labels.empty()) throw bad("labels without the labels field");
  if (!(c.fields & kServerSetCapacity) && !std::isnan(capacity)) throw bad("a capacity without the capacity field");
  if (c.fields & kServerSetCapacity) c.capacity = capacity;
  if (c.fields & kServerSetLabels) {
    try {
      c.labels = parse_labels(labels);
    } catch (const Error& e) {
      throw bad(e.what());
    }
  }
  if (std::string problem = server_change_problem(c); !problem.empty()) throw Error(BERTH_E_CORRUPT, problem);
  return c;
}

ServerStepResult step_operator_servers(const std::shared_ptr<const OperatorServers>& base,
                                       const std::vector<ServerRecord>& records) {
  ServerStepResult result;
  result.next = base;
  if (records.empty()) return result;
  std::map<std::string, OperatorServer, std::less<>> entries;
  if (base)
    for (const OperatorServer& o : base->servers) entries.emplace(o.id, o);
  for (size_t k = 0; k < records.size(); ++k) {
    const ServerRecord& r = records[k];
    if (r.remove) {
      if (r.id.empty() || r.id.size() > kMaxOperatorServerIdBytes || !r.payload.empty()) {
        ++result.rejected;
        result.rejections.push_back(fmt::format("server remove record #{} ('{}'): {}", k, r.id.substr(0, 64),
                                                r.id.empty()                                ? "empty server id"
                                                : r.id.size() > kMaxOperatorServerIdBytes ? "server id too long"
                                                                                          : "a remove carries no payload"));
        continue;
      }
      if (entries.erase(r.id) == 0) {
        result.notes.push_back(fmt::format("server remove record #{}: no operator entry for server '{}': nothing to remove", k,
                                           r.id.substr(0, 64)));
        continue;
      }
      ++result.applied;
      continue;
    }
    ServerChange change;
    try {
      change = parse_server_change(r.id, r.payload, r.capacity);
    } catch (const Error& e) {
      ++result.rejected;
      result.rejections.push_back(fmt::format("server set record #{}: {}", k, e.what()));
      continue;
    }
    auto it = entries.find(change.id);
    if (it == entries.end())
      entries.emplace(change.id, as_entry(change));
    else
      merge_into(it->second, change);
    ++result.applied;
  }
  auto next = std::make_shared<OperatorServers>();
  for (auto& [id, entry] : entries)
    if (!entry.empty()) next->servers.push_back(std::move(entry));
  if (base && *base == *next) return result;
  result.next = next->servers.empty() ? nullptr : std::shared_ptr<const OperatorServers>(std::move(next));
  return result;
}

std::shared_ptr<const ServerColumns> merge_operator_servers(std::shared_ptr<const ServerColumns> members,
                                                            const OperatorServers* operators) {
  if (operators == nullptr || operators->servers.empty()) return members;
  const ServerColumns& m = *members;
  auto out = std::make_shared<ServerColumns>();
  auto push = [&](std::string_view id, double capacity, int32_t state, const Labels& labels, uint64_t incarnation,
                  bool serving) {
    out->ids.push_back(id);
    out->capacity.push_back(capacity);
    out->state.push_back(state);
    out->labels.push_back(labels);
    out->incarnation.push_back(incarnation);
    out->serving.push_back(serving ? 1 : 0);
  };
  const std::vector<OperatorServer>& ops = operators->servers;
  size_t k = 0;
  for (uint32_t i = 0; i < m.size(); ++i) {
    const std::string_view id = m.ids.at(i);
    for (; k < ops.size() && ops[k].id < id; ++k)
      if (ops[k].registered)
        push(ops[k].id, ops[k].capacity.value_or(1.0), state_of(ops[k], BERTH_SERVER_UP),
             ops[k].labels.value_or(Labels{}), 0, false);
    const OperatorServer* o = k < ops.size() && ops[k].id == id ? &ops[k] : nullptr;
    if (o != nullptr) ++k;
    push(id, o && o->capacity ? *o->capacity : m.capacity[i], o ? state_of(*o, m.state[i]) : m.state[i],
         o && o->labels ? *o->labels : m.labels_of(i), m.incarnation_of(i), m.serving_of(i));
  }
  for (; k < ops.size(); ++k)
    if (ops[k].registered)
      push(ops[k].id, ops[k].capacity.value_or(1.0), state_of(ops[k], BERTH_SERVER_UP),
           ops[k].labels.value_or(Labels{}), 0, false);
  return out;
}

bool server_change_stops_placement(const ServerChange& change) noexcept {
  return ((change.fields & kServerSetState) && change.state != BERTH_SERVER_UP) ||
         ((change.fields & kServerSetMigrate) && change.migrate);
}

}  // namespace berth
