#include "snapshot/delta_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include "berth/snapshot.capnp.h"
#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/lapsing_check.h"
#include "snapshot/shared_rules.h"
#include "snapshot/shared_rules_codec.h"

namespace berth {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

[[noreturn]] void corrupt(const std::string& why) { throw Error(BERTH_E_CORRUPT, "delta: " + why); }

// For each id of `from` (sorted), its index in `to` (sorted), or kNone.
std::vector<uint32_t> match_sorted(const StringColumn& from, const StringColumn& to) {
  std::vector<uint32_t> map(from.size(), kNone);
  for (uint64_t a = 0, b = 0; a < from.size(); ++a) {
    while (b < to.size() && to.at(b) < from.at(a)) ++b;
    if (b < to.size() && to.at(b) == from.at(a)) map[a] = static_cast<uint32_t>(b);
  }
  return map;
}

// For each tenant of `from`, the index of the same name in `to`, or kNone. Tables are small.
std::vector<uint32_t> match_names(const StringColumn& from, const StringColumn& to) {
  std::unordered_map<std::string_view, uint32_t> index;
  for (uint64_t t = 0; t < to.size(); ++t) index.emplace(to.at(t), static_cast<uint32_t>(t));
  std::vector<uint32_t> map(from.size(), kNone);
  for (uint64_t t = 0; t < from.size(); ++t)
    if (auto it = index.find(from.at(t)); it != index.end()) map[t] = it->second;
  return map;
}

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// Generous for real deltas, tight enough that a hostile header is refused before allocating.
capnp::ReaderOptions reader_options(size_t packed_bytes) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = std::max<uint64_t>(uint64_t{1} << 16, packed_bytes * 16);
  options.nestingLimit = 16;
  return options;
}

template <class List>
void check_ascending(const List& list, uint64_t limit, const char* what) {
  uint64_t previous = 0;
  for (unsigned k = 0; k < list.size(); ++k) {
    uint64_t index = list[k];
    if (index >= limit)
      corrupt(std::string(what) + " stream #" + std::to_string(index) + " is past the base's " + std::to_string(limit) +
              " streams");
    if (k > 0 && index <= previous) corrupt(std::string(what) + " stream indices are not strictly ascending");
    previous = index;
  }
}

}  // namespace

Snapshot bare_copy(const Snapshot& snapshot) {
  Snapshot out;
  out.meta = snapshot.meta;
  out.servers = snapshot.servers;
  out.streams = snapshot.streams;
  out.load = snapshot.load;
  out.owner = snapshot.owner;
  out.tombstones = snapshot.tombstones;
  out.holder = snapshot.holder;
  out.token = snapshot.token;
  out.removed_holds = snapshot.removed_holds;
  out.lapsing_holds = snapshot.lapsing_holds;
  carry_catalogue(out, snapshot);
  return out;
}

std::optional<std::string> encode_delta(const Snapshot& base, const Snapshot& next, size_t budget_bytes,
                                        DeltaCounts* counts) {
  const StreamColumns& bs = *base.streams;
  const StreamColumns& ns = *next.streams;
  const uint64_t nb = bs.size(), nn = ns.size();
  if (nb >= kNone) return std::nullopt;  // indices travel as UInt32
  const bool same_columns = base.streams == next.streams;

  const std::vector<uint32_t> server_map = match_sorted(base.servers->ids, next.servers->ids);
  const std::vector<uint32_t> tenant_map = match_names(bs.tenants, ns.tenants);
  // A base without holders (written before ownership) holds nothing: against it, every held
  // stream of next changed.
  const bool held = !next.holder.empty();
  if (held && (next.holder.size() != nn || next.token.size() != nn))
    throw Error(BERTH_E_INVALID_ARGUMENT, "encode_delta: the next snapshot's holders or tokens are not one per stream");
  const bool base_held = base.holder.size() == nb && base.token.size() == nb && nb > 0;
  auto held_was = [&](uint64_t j) {
    if (!base_held || base.holder[j] == BERTH_NO_SERVER) return std::pair<uint32_t, uint64_t>{BERTH_NO_SERVER, 0};
    return std::pair<uint32_t, uint64_t>{base.holder[j] < server_map.size() ? server_map[base.holder[j]] : kNone,
                                         base.token[j]};
  };
  // Raw sizes; packing rarely shrinks these lists much, so twice the budget is a safe early exit.
  const size_t give_up = budget_bytes * 2;
  const size_t per_changed = held ? 28 : 16;
  std::vector<uint32_t> removed, changed;
  std::vector<uint64_t> changed_at;  // per changed stream: its index in next
  auto over_budget = [&] { return changed.size() * per_changed + removed.size() * 4 > give_up; };

  // Walk both in order while next's streams are the base's (minus removals); from the first
  // stream out of that order on, next's streams are written whole.
  uint64_t i = 0, j = 0;
  while (i < nn && j < nb) {
    if (same_columns || (bs.hash[j] == ns.hash[i] && bs.ids.at(j) == ns.ids.at(i))) {
      uint32_t was = base.owner[j] < server_map.size() ? server_map[base.owner[j]] : kNone;
      if (was != next.owner[i] || !same_bits(base.load[j], next.load[i]) || tenant_map[bs.tenant[j]] != ns.tenant[i] ||
          (held && held_was(j) != std::pair<uint32_t, uint64_t>{next.holder[i], next.token[i]})) {
        changed.push_back(static_cast<uint32_t>(j));
        changed_at.push_back(i);
        if (over_budget()) return std::nullopt;
      }
      ++i, ++j;
      continue;
    }
    if (!next.table)
      throw Error(BERTH_E_INVALID_ARGUMENT, "encode_delta: the next snapshot is not finished (it has no lookup table to "
                                            "match its streams with the base's)");
    if (next.table->find(bs.hash[j], bs.ids.at(j), ns.ids.arena.data()) == nullptr) {
      removed.push_back(static_cast<uint32_t>(j++));
      if (over_budget()) return std::nullopt;
      continue;
    }
    break;  // base stream j comes later in next: everything from i on is written whole
  }
  for (; j < nb; ++j) removed.push_back(static_cast<uint32_t>(j));
  const uint64_t first_added = i;
  if (over_budget() || (ns.ids.offsets[nn] - ns.ids.offsets[first_added]) + (nn - first_added) * 12 > give_up)
    return std::nullopt;

  // The head: provenance, servers, tenants and tombstones of next, and the streams added after the base's.
  Snapshot head;
  head.meta = next.meta;
  head.servers = next.servers;
  head.tombstones = next.tombstones;
  head.removed_holds = next.removed_holds;
  head.lapsing_holds = next.lapsing_holds;
  carry_catalogue(head, next);
  head.shared_rules = shared_rules_for_head(base, next);  // the script only when it changed
  auto added = std::make_shared<StreamColumns>();
  added->tenants = ns.tenants;
  added->ids.reserve(nn - first_added, ns.ids.offsets[nn] - ns.ids.offsets[first_added]);
  for (uint64_t k = first_added; k < nn; ++k) {
    added->ids.push_back(ns.ids.at(k));
    added->hash.push_back(ns.hash[k]);
    added->tenant.push_back(ns.tenant[k]);
    head.load.push_back(next.load[k]);
    head.owner.push_back(next.owner[k]);
    if (held) {
      head.holder.push_back(next.holder[k]);
      head.token.push_back(next.token[k]);
    }
  }
  head.streams = std::move(added);
  std::string head_bytes = encode_snapshot(head);

  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::Snapshot>();
  root.setVersion(next.meta.version);
  root.setEpoch(next.meta.epoch);
  root.initStreams().initOwner(1).set(0, kNone);  // the guard against readers predating deltas
  auto d = root.initDelta();
  d.setBaseVersion(base.meta.version);
  d.setBaseEpoch(base.meta.epoch);
  d.setBaseStreams(nb);
  d.setHead(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(head_bytes.data()), head_bytes.size()));
  auto out_removed = d.initRemoved(static_cast<unsigned>(removed.size()));
  for (unsigned k = 0; k < removed.size(); ++k) out_removed.set(k, removed[k]);
  const auto nc = static_cast<unsigned>(changed.size());
  auto out_changed = d.initChanged(nc);
  auto out_owner = d.initChangedOwner(nc);
  auto out_load = d.initChangedLoad(nc);
  auto out_tenant = d.initChangedTenant(nc);
  for (unsigned k = 0; k < nc; ++k) {
    uint64_t at = changed_at[k];
    out_changed.set(k, changed[k]);
    out_owner.set(k, next.owner[at]);
    out_load.set(k, next.load[at]);
    out_tenant.set(k, ns.tenant[at]);
  }
  if (held) {
    d.setHeld(true);
    auto out_holder = d.initChangedHolder(nc);
    auto out_token = d.initChangedToken(nc);
    for (unsigned k = 0; k < nc; ++k) {
      out_holder.set(k, next.holder[changed_at[k]]);
      out_token.set(k, next.token[changed_at[k]]);
    }
  }

  kj::VectorOutputStream out(head_bytes.size() + removed.size() * 4 + changed.size() * per_changed + 1024);
  capnp::writePackedMessage(out, message);
  auto bytes = out.getArray();
  if (bytes.size() > budget_bytes) return std::nullopt;
  if (counts != nullptr) *counts = DeltaCounts{changed.size(), nn - first_added, removed.size()};
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Delta decode_delta(std::string_view bytes) {
  if (bytes.empty()) corrupt("the bytes are empty");
  try {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    // On the heap, destroyed before `return out`, as in decode_snapshot (codec.cpp says why).
    auto message = kj::heap<capnp::PackedMessageReader>(input, reader_options(bytes.size()));
    auto root = message->getRoot<schema::Snapshot>();
    if (!root.hasDelta()) corrupt("the bytes of version " + std::to_string(root.getVersion()) + " are a full snapshot");
    auto d = root.getDelta();
    Delta out;
    out.base_version = d.getBaseVersion();
    out.base_epoch = d.getBaseEpoch();
    out.base_streams = d.getBaseStreams();
    const uint64_t version = root.getVersion();
    if (out.base_version == 0 || out.base_version >= version)
      corrupt("version " + std::to_string(version) + " names base version " + std::to_string(out.base_version) +
              ", which is not an earlier version");
    auto head = d.getHead();
    try {
      out.head = decode_snapshot(std::string_view(reinterpret_cast<const char*>(head.begin()), head.size()));
    } catch (const Error& e) {
      corrupt(std::string("its head does not decode: ") + e.what());
    }
    if (out.head.meta.version != version || out.head.meta.epoch != root.getEpoch())
      corrupt("its head says version " + std::to_string(out.head.meta.version) + " at epoch " +
              std::to_string(out.head.meta.epoch) + ", the delta version " + std::to_string(version) + " at epoch " +
              std::to_string(root.getEpoch()));

    auto removed = d.getRemoved();
    auto changed = d.getChanged();
    auto owner = d.getChangedOwner();
    auto load = d.getChangedLoad();
    auto tenant = d.getChangedTenant();
    check_ascending(removed, out.base_streams, "removed");
    check_ascending(changed, out.base_streams, "changed");
    if (owner.size() != changed.size() || load.size() != changed.size() || tenant.size() != changed.size())
      corrupt("its changed columns have different lengths (" + std::to_string(changed.size()) + " streams, " +
              std::to_string(owner.size()) + " owners, " + std::to_string(load.size()) + " loads, " +
              std::to_string(tenant.size()) + " tenants)");
    out.held = d.getHeld();
    auto holder = d.getChangedHolder();
    auto token = d.getChangedToken();
    const size_t held_changed = out.held ? changed.size() : 0;
    if (holder.size() != held_changed || token.size() != held_changed)
      corrupt("it lists " + std::to_string(holder.size()) + " holders and " + std::to_string(token.size()) +
              " tokens for " + std::to_string(held_changed) + " changed streams" + (out.held ? "" : " without holders"));
    if (out.held != !out.head.holder.empty() && out.head.stream_count() > 0)
      corrupt(out.held ? "it has holders but its head's streams have none"
                       : "its head's streams have holders but it has none");
    const uint32_t servers = out.head.server_count();
    const uint64_t tenants = out.head.streams->tenants.size();
    out.removed.resize(removed.size());
    for (unsigned k = 0; k < removed.size(); ++k) out.removed[k] = removed[k];
    out.changed.resize(changed.size());
    out.changed_owner.resize(changed.size());
    out.changed_load.resize(changed.size());
    out.changed_tenant.resize(changed.size());
    out.changed_holder.resize(held_changed);
    out.changed_token.resize(held_changed);
    for (unsigned k = 0, r = 0; k < changed.size(); ++k) {
      uint32_t index = changed[k];
      while (r < out.removed.size() && out.removed[r] < index) ++r;
      if (r < out.removed.size() && out.removed[r] == index)
        corrupt("base stream #" + std::to_string(index) + " is both removed and changed");
      if (owner[k] >= servers)
        corrupt("base stream #" + std::to_string(index) + " moves to server #" + std::to_string(owner[k]) + " of " +
                std::to_string(servers));
      if (tenant[k] >= tenants)
        corrupt("base stream #" + std::to_string(index) + " names tenant #" + std::to_string(tenant[k]) + " of " +
                std::to_string(tenants));
      float l = load[k];
      if (!std::isfinite(l) || l < 0) corrupt("base stream #" + std::to_string(index) + " has load " + std::to_string(l));
      out.changed[k] = index;
      out.changed_owner[k] = owner[k];
      out.changed_load[k] = l;
      out.changed_tenant[k] = tenant[k];
      if (!out.held) continue;
      if (holder[k] >= servers && holder[k] != BERTH_NO_SERVER)
        corrupt("base stream #" + std::to_string(index) + " is held by server #" + std::to_string(holder[k]) + " of " +
                std::to_string(servers));
      out.changed_holder[k] = holder[k];  // its token is checked against it by finish_snapshot
      out.changed_token[k] = token[k];
    }
    message = nullptr;
    return out;
  } catch (const Error&) {
    throw;
  } catch (const kj::Exception& e) {
    corrupt(std::string("the bytes do not decode: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    corrupt(std::string("the bytes do not decode: ") + e.what());
  }
}

Snapshot apply_delta(const Snapshot& base, const Delta& d) {
  if (!base.servers || !base.streams) throw Error(BERTH_E_CORRUPT, "delta: the checkpoint has no columns");
  const StreamColumns& bs = *base.streams;
  const uint64_t nb = bs.size();
  if (base.meta.version != d.base_version || base.meta.epoch != d.base_epoch || nb != d.base_streams)
    corrupt("version " + std::to_string(d.head.meta.version) + " is against version " + std::to_string(d.base_version) +
            " (epoch " + std::to_string(d.base_epoch) + ", " + std::to_string(d.base_streams) +
            " streams); the checkpoint at hand is version " + std::to_string(base.meta.version) + " (epoch " +
            std::to_string(base.meta.epoch) + ", " + std::to_string(nb) + " streams)");
  if (base.owner.size() != nb || base.load.size() != nb) corrupt("the checkpoint's columns disagree on its streams");
  const StreamColumns& head = *d.head.streams;
  const uint32_t base_servers = base.servers->size();
  const std::vector<uint32_t> server_map = match_sorted(base.servers->ids, d.head.servers->ids);
  const std::vector<uint32_t> tenant_map = match_names(bs.tenants, head.tenants);

  // The base's stream columns serve unchanged when no stream came or went and every tenant index
  // still means the same.
  bool share = d.removed.empty() && head.size() == 0 && bs.tenants.arena == head.tenants.arena &&
               bs.tenants.offsets == head.tenants.offsets;
  for (size_t c = 0; share && c < d.changed.size(); ++c) share = d.changed_tenant[c] == bs.tenant[d.changed[c]];

  const uint64_t n = nb - d.removed.size() + head.size();
  Snapshot s;
  s.meta = d.head.meta;
  s.servers = d.head.servers;
  s.tombstones = d.head.tombstones;
  s.removed_holds = d.head.removed_holds;
  s.lapsing_holds = d.head.lapsing_holds;
  carry_catalogue(s, d.head);
  shared_rules_from_base(s, base);
  s.owner.resize(n);
  s.load.resize(n);
  const bool base_held = !base.holder.empty();
  if (base_held && (base.holder.size() != nb || base.token.size() != nb))
    corrupt("the checkpoint's holders and tokens disagree on its streams");
  if (d.held && (d.changed_holder.size() != d.changed.size() || d.changed_token.size() != d.changed.size() ||
                 d.head.holder.size() != head.size() || d.head.token.size() != head.size()))
    corrupt("its holders and tokens disagree with its changed and added streams");
  if (d.held) {
    s.holder.resize(n);
    s.token.resize(n);
  }
  std::shared_ptr<StreamColumns> columns;
  if (!share) {
    columns = std::make_shared<StreamColumns>();
    columns->tenants = head.tenants;
    columns->ids.reserve(n, bs.ids.arena.size() + head.ids.arena.size());
    columns->hash.reserve(n);
    columns->tenant.reserve(n);
  }
  uint64_t k = 0;
  for (uint64_t j = 0, r = 0, c = 0; j < nb; ++j) {
    if (r < d.removed.size() && d.removed[r] == j) {
      ++r;
      continue;
    }
    uint32_t owner, tenant;
    uint32_t holder = BERTH_NO_SERVER;
    uint64_t token = 0;
    float load;
    if (c < d.changed.size() && d.changed[c] == j) {
      owner = d.changed_owner[c];
      load = d.changed_load[c];
      tenant = d.changed_tenant[c];
      if (d.held) {
        holder = d.changed_holder[c];
        token = d.changed_token[c];
      }
      ++c;
    } else {
      uint32_t was = base.owner[j];
      if (was >= base_servers)
        corrupt("the checkpoint's stream #" + std::to_string(j) + " is owned by server #" + std::to_string(was) + " of " +
                std::to_string(base_servers));
      owner = server_map[was];
      if (owner == kNone)
        corrupt("stream '" + std::string(bs.ids.at(j)) + "' stays on server '" + std::string(base.servers->ids.at(was)) +
                "', which version " + std::to_string(d.head.meta.version) + " does not have");
      load = base.load[j];
      tenant = tenant_map[bs.tenant[j]];
      if (tenant == kNone && !share)
        corrupt("stream '" + std::string(bs.ids.at(j)) + "' keeps tenant '" + std::string(bs.tenants.at(bs.tenant[j])) +
                "', which version " + std::to_string(d.head.meta.version) + " does not list");
      if (d.held && base_held && base.holder[j] != BERTH_NO_SERVER) {
        const uint32_t was_holder = base.holder[j];
        if (was_holder >= base_servers)
          corrupt("the checkpoint's stream #" + std::to_string(j) + " is held by server #" + std::to_string(was_holder) +
                  " of " + std::to_string(base_servers));
        holder = server_map[was_holder];
        if (holder == kNone)
          corrupt("stream '" + std::string(bs.ids.at(j)) + "' stays held by server '" +
                  std::string(base.servers->ids.at(was_holder)) + "', which version " +
                  std::to_string(d.head.meta.version) + " does not have");
        token = base.token[j];
      }
    }
    s.owner[k] = owner;
    s.load[k] = load;
    if (d.held) {
      s.holder[k] = holder;
      s.token[k] = token;
    }
    if (!share) {
      columns->ids.push_back(bs.ids.at(j));
      columns->hash.push_back(bs.hash[j]);
      columns->tenant.push_back(tenant);
    }
    ++k;
  }
  for (uint64_t a = 0; a < head.size(); ++a, ++k) {
    s.owner[k] = d.head.owner[a];
    s.load[k] = d.head.load[a];
    if (d.held) {
      s.holder[k] = d.head.holder[a];
      s.token[k] = d.head.token[a];
    }
    columns->ids.push_back(head.ids.at(a));
    columns->hash.push_back(head.hash[a]);
    columns->tenant.push_back(head.tenant[a]);
  }
  if (share)
    s.streams = base.streams;
  else
    s.streams = std::move(columns);
  // The head's decode saw only the streams added in it.
  if (s.tombstones)
    if (const std::string* both = first_present(*s.tombstones, *s.streams))
      corrupt("version " + std::to_string(d.head.meta.version) + " lists stream '" + both->substr(0, 64) +
              "' both among its streams and as removed");
  // Its lapses against the whole version: the head's decode checked them against the added streams only.
  try {
    check_lapsing_holds(s);
  } catch (const Error& e) {
    corrupt("version " + std::to_string(d.head.meta.version) + ": " + e.what());
  }
  return s;
}

}  // namespace berth
