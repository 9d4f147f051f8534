#include "snapshot/codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_set>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include "berth/snapshot.capnp.h"
#include "common/error.h"
#include "snapshot/catalogue_codec.h"
#include "snapshot/lapsing_check.h"
#include "common/hash.h"
#include "snapshot/operator_servers.h"
#include "snapshot/shared_rules_codec.h"
#include "snapshot/weighting_codec.h"

namespace berth {
namespace {

schema::Server::State to_schema(int32_t state) {
  switch (state) {
    case BERTH_SERVER_DRAINING: return schema::Server::State::DRAINING;
    case BERTH_SERVER_READ_ONLY: return schema::Server::State::READ_ONLY;
    default: return schema::Server::State::UP;
  }
}

int32_t from_schema(schema::Server::State state) {
  switch (state) {
    case schema::Server::State::UP: return BERTH_SERVER_UP;
    case schema::Server::State::DRAINING: return BERTH_SERVER_DRAINING;
    case schema::Server::State::READ_ONLY: return BERTH_SERVER_READ_ONLY;
  }
  throw Error(BERTH_E_CORRUPT, "snapshot names an unknown server state " + std::to_string(static_cast<int>(state)));
}

// Ids live back to back in an arena, not NUL-terminated, so they are copied into text capnp
// allocated (a Text::Reader over them would assert a terminator in debug builds).
void set_text(capnp::Text::Builder into, std::string_view text) { std::memcpy(into.begin(), text.data(), text.size()); }

// Not cStr(): hostile bytes need not NUL-terminate their text, and that is not ours to assert.
std::string_view text(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

template <typename Builder>
void set_labels(Builder srv, const Labels& labels) {
  if (labels.empty()) return;
  auto out = srv.initLabels(static_cast<unsigned>(labels.size()));
  for (unsigned k = 0; k < labels.size(); ++k) {
    set_text(out[k].initKey(static_cast<unsigned>(labels[k].first.size())), labels[k].first);
    set_text(out[k].initValue(static_cast<unsigned>(labels[k].second.size())), labels[k].second);
  }
}

// Read back through the same checks a host's join goes through, so a rule never sees a label a
// host could not have written.
template <typename Reader>
Labels get_labels(Reader srv, std::string_view server) {
  if (!srv.hasLabels()) return {};
  std::string joined;
  for (auto l : srv.getLabels()) {
    if (!joined.empty()) joined += ',';
    joined += text(l.getKey());
    if (l.getValue().size() > 0) joined.append("=").append(text(l.getValue()));
  }
  try {
    return parse_labels(joined);
  } catch (const Error& e) {
    throw Error(BERTH_E_CORRUPT, "server '" + std::string(server) + "': " + e.what());
  }
}

// What operators set on servers (snapshot/operator_servers.h); nothing when none is set.
void encode_operator_servers(schema::Snapshot::Builder root, const Snapshot& s) {
  if (!s.operator_servers || s.operator_servers->servers.empty()) return;
  const std::vector<OperatorServer>& in = s.operator_servers->servers;
  auto out = root.initOperatorServers(static_cast<unsigned>(in.size()));
  for (unsigned k = 0; k < in.size(); ++k) {
    const OperatorServer& o = in[k];
    set_text(out[k].initId(static_cast<unsigned>(o.id.size())), o.id);
    out[k].setRegistered(o.registered);
    out[k].setHasCapacity(o.capacity.has_value());
    if (o.capacity) out[k].setCapacity(*o.capacity);
    out[k].setHasState(o.state.has_value());
    if (o.state) out[k].setState(to_schema(*o.state));
    out[k].setHasLabels(o.labels.has_value());
    if (o.labels) set_labels(out[k], *o.labels);
    out[k].setMigrate(o.migrate);
  }
}

// Never trusts the bytes: ids sorted and unique, every part valid, no entry that sets nothing.
void decode_operator_servers(Snapshot& s, schema::Snapshot::Reader root) {
  if (!root.hasOperatorServers() || root.getOperatorServers().size() == 0) return;
  auto result = std::make_shared<OperatorServers>();
  for (auto in : root.getOperatorServers()) {
    OperatorServer o;
    o.id = std::string(text(in.getId()));
    const std::string where = "operator server #" + std::to_string(result->servers.size()) + " '" + o.id.substr(0, 64) + "'";
    if (!result->servers.empty() && !(result->servers.back().id < o.id))
      throw Error(BERTH_E_CORRUPT, where + ": operator servers are not sorted by unique id");
    o.registered = in.getRegistered();
    if (in.getHasCapacity()) o.capacity = in.getCapacity();
    if (in.getHasState()) {
      const auto state = in.getState();
      if (state != schema::Server::State::UP && state != schema::Server::State::DRAINING &&
          state != schema::Server::State::READ_ONLY)
        throw Error(BERTH_E_CORRUPT, where + ": unknown state " + std::to_string(static_cast<int>(state)));
      o.state = from_schema(state);
    }
    if (in.getHasLabels()) o.labels = get_labels(in, o.id);
    o.migrate = in.getMigrate();
    if (std::string problem = operator_server_problem(o); !problem.empty())
      throw Error(BERTH_E_CORRUPT, where + ": " + problem);
    if (o.empty()) throw Error(BERTH_E_CORRUPT, where + " sets nothing");
    result->servers.push_back(std::move(o));
  }
  s.operator_servers = std::move(result);
}

// Generous for real snapshots (packing rarely shrinks them 4x), tight enough that a hostile header
// claiming gigabytes is refused before anything is allocated.
capnp::ReaderOptions reader_options(size_t packed_bytes) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = std::max<uint64_t>(uint64_t{1} << 16, packed_bytes * 16);
  options.nestingLimit = 16;
  return options;
}

// How the owners go into the bytes.
enum class Owners { every, exceptions_if_smaller, none };

bool is_policy_of(const OwnerDefaults& defaults, const Provenance& meta) {
  return defaults.owners && defaults.policy == meta.policy && defaults.behaviour == meta.behaviour_version;
}

// The owner every stream has by default.
std::vector<uint32_t> default_owners(const OwnerDefaults& defaults, const ServerColumns& servers,
                                     const StreamColumns& streams) {
  std::vector<uint32_t> out(streams.size(), BERTH_NO_SERVER);
  if (!out.empty()) defaults.owners(servers.view(), out.size(), streams.hash.data(), out.data());
  return out;
}

// A reader rebuilding implicit owners does work per server listed (the hash ring holds ~160
// points a server), so bytes naming more servers than any real cluster has are refused before
// that work, and never written.
constexpr uint32_t kMaxImplicitServers = 1u << 16;

// Stored as exceptions, owners cost two lists of a few bytes per exception instead of one list
// of two or three bytes per stream (packed): worth it while at most a quarter are exceptions.
constexpr uint64_t kMaxExceptionShare = 4;

// Tokens are versions, shared by the streams one version granted: a table of them, most common
// first, with a 16-bit index per stream, packs to a fraction of a token per stream (to nothing
// when one version granted them all). Past this many distinct tokens the plain list is written.
constexpr size_t kMaxTokenTable = 1u << 16;

// The distinct tokens of `token`, most frequent first (ties: smaller first), and each stream's
// index into them; nullopt past kMaxTokenTable distinct tokens. A flat open-addressed map: this
// runs once per stream of every published snapshot.
struct TokenTable {
  std::vector<uint64_t> values;
  std::vector<uint16_t> index;
};
std::optional<TokenTable> token_table(const std::vector<uint64_t>& token) {
  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<uint64_t> values;
  std::vector<uint64_t> counts;
  std::vector<uint32_t> slots(1024, kEmpty);
  auto slot_of = [&](uint64_t t) {
    size_t mask = slots.size() - 1;
    size_t at = static_cast<size_t>((t * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (slots[at] != kEmpty && values[slots[at]] != t) at = (at + 1) & mask;
    return at;
  };
  std::vector<uint32_t> first(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    size_t at = slot_of(token[i]);
    if (slots[at] == kEmpty) {
      if (values.size() == kMaxTokenTable) return std::nullopt;
      slots[at] = static_cast<uint32_t>(values.size());
      values.push_back(token[i]);
      counts.push_back(0);
      if (values.size() * 2 > slots.size()) {  // grow: rehash every distinct token
        slots.assign(slots.size() * 2, kEmpty);
        for (uint32_t v = 0; v < values.size(); ++v) slots[slot_of(values[v])] = v;
      }
      at = slot_of(token[i]);
    }
    first[i] = slots[at];
    ++counts[slots[at]];
  }
  std::vector<uint32_t> order(values.size());
  for (uint32_t v = 0; v < order.size(); ++v) order[v] = v;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : values[a] < values[b];
  });
  std::vector<uint32_t> rank(values.size());
  TokenTable out;
  out.values.resize(values.size());
  for (uint32_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r;
    out.values[r] = values[order[r]];
  }
  out.index.resize(token.size());
  for (size_t i = 0; i < token.size(); ++i) out.index[i] = static_cast<uint16_t>(rank[first[i]]);
  return out;
}

// Who holds stream i unless listed as an exception: its owner, if a host serves the owner
// (ServerColumns::serving), else nobody (a server only routed to holds nothing).
uint32_t implicit_holder(const Snapshot& s, uint64_t i) {
  const uint32_t owner = s.owner[i];
  return owner < s.server_count() && s.servers->serving_of(owner) ? owner : BERTH_NO_SERVER;
}

// Holders and tokens, one per stream (the caller checked), into `columns`.
void encode_holders(schema::Streams::Builder columns, const Snapshot& s) {
  const uint64_t n = s.holder.size();
  std::vector<uint32_t> exceptions;
  bool as_owners = true;
  for (uint64_t i = 0; i < n && as_owners; ++i) {
    if (s.holder[i] == implicit_holder(s, i)) continue;
    exceptions.push_back(static_cast<uint32_t>(i));
    as_owners = exceptions.size() <= n / kMaxExceptionShare;
  }
  if (as_owners) {
    columns.setHoldersAreOwners(true);
    auto index = columns.initHolderExceptionIndex(static_cast<unsigned>(exceptions.size()));
    auto server = columns.initHolderExceptionServer(static_cast<unsigned>(exceptions.size()));
    for (unsigned k = 0; k < exceptions.size(); ++k) {
      index.set(k, exceptions[k]);
      server.set(k, s.holder[exceptions[k]]);
    }
  } else {
    auto holder = columns.initHolder(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) holder.set(i, s.holder[i]);
  }
  if (std::optional<TokenTable> table = token_table(s.token)) {
    auto values = columns.initTokenTable(static_cast<unsigned>(table->values.size()));
    for (unsigned v = 0; v < table->values.size(); ++v) values.set(v, table->values[v]);
    auto index = columns.initTokenIndex(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) index.set(i, table->index[i]);
  } else {
    auto token = columns.initToken(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) token.set(i, s.token[i]);
  }
}

std::string encode(const Snapshot& s, const OwnerDefaults* policy, Owners how, uint64_t* owners_stored = nullptr) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::Snapshot>();
  root.setVersion(s.meta.version);
  root.setEpoch(s.meta.epoch);
  root.setPolicy(s.meta.policy);
  root.setBehaviourVersion(s.meta.behaviour_version);
  root.setRulesHash(s.meta.rules_hash);
  root.setCreatedUnixMs(s.meta.created_unix_ms);
  root.setLeader(s.meta.leader);
  root.setSoftHandoff(s.meta.soft_handoff);
  encode_catalogue(root, s);
  encode_shared_rules(root, s);
  if (s.weighting) encode_weighting(root, *s.weighting);
  if (!s.removed_holds.empty()) {
    auto out = root.initRemovedHolds(static_cast<unsigned>(s.removed_holds.size()));
    for (unsigned k = 0; k < s.removed_holds.size(); ++k) {
      const RemovedHold& h = s.removed_holds[k];
      set_text(out[k].initStream(static_cast<unsigned>(h.stream.size())), h.stream);
      out[k].setHolder(h.holder);
      out[k].setToken(h.token);
    }
  }
  if (!s.lapsing_holds.empty()) {
    auto out = root.initLapsingHolds(static_cast<unsigned>(s.lapsing_holds.size()));
    for (unsigned k = 0; k < s.lapsing_holds.size(); ++k) {
      const LapsingHold& h = s.lapsing_holds[k];
      set_text(out[k].initStream(static_cast<unsigned>(h.stream.size())), h.stream);
      set_text(out[k].initServer(static_cast<unsigned>(h.server.size())), h.server);
      out[k].setIncarnation(h.incarnation);
      out[k].setToken(h.token);
      out[k].setEpoch(h.epoch);
      out[k].setUntilNs(h.until_ns);
    }
  }
  encode_operator_servers(root, s);
  if (s.tombstones && s.tombstones->size() > 0) {
    const std::vector<std::string>& dead = s.tombstones->ids();
    auto out = root.initTombstones(static_cast<unsigned>(dead.size()));
    for (unsigned k = 0; k < dead.size(); ++k) set_text(out.init(k, static_cast<unsigned>(dead[k].size())), dead[k]);
  }

  const ServerColumns& servers = *s.servers;
  auto out_servers = root.initServers(servers.size());
  for (uint32_t j = 0; j < servers.size(); ++j) {
    auto srv = out_servers[j];
    set_text(srv.initId(static_cast<unsigned>(servers.ids.at(j).size())), servers.ids.at(j));
    srv.setCapacity(servers.capacity[j]);
    srv.setState(to_schema(servers.state[j]));
    set_labels(srv, servers.labels_of(j));
    srv.setIncarnation(servers.incarnation_of(j));
    srv.setServing(servers.serving_of(j));
  }

  const StreamColumns& streams = *s.streams;
  auto tenants = root.initTenants(static_cast<unsigned>(streams.tenants.size()));
  for (uint64_t t = 0; t < streams.tenants.size(); ++t) {
    std::string_view name = streams.tenants.at(t);
    set_text(tenants.init(static_cast<unsigned>(t), static_cast<unsigned>(name.size())), name);
  }

  uint64_t n = streams.size();
  if (n > UINT32_MAX || streams.ids.arena.size() > UINT32_MAX)
    throw Error(BERTH_E_INVALID_ARGUMENT, "snapshot too large to encode (over 4G streams or id bytes)");
  auto columns = root.initStreams();
  columns.setIds(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(streams.ids.arena.data()),
                                     streams.ids.arena.size()));
  auto ends = columns.initIdEnds(static_cast<unsigned>(n));
  auto tenant = columns.initTenant(static_cast<unsigned>(n));
  auto load = columns.initLoad(static_cast<unsigned>(n));
  for (unsigned i = 0; i < n; ++i) {
    ends.set(i, static_cast<uint32_t>(streams.ids.offsets[i + 1]));
    tenant.set(i, streams.tenant[i]);
    load.set(i, s.load[i]);
  }

  std::vector<uint32_t> exceptions;
  bool implicit = false;
  if (how == Owners::exceptions_if_smaller && policy != nullptr && n > 0 && is_policy_of(*policy, s.meta) &&
      servers.size() <= kMaxImplicitServers) {
    std::vector<uint32_t> defaults;
    try {
      defaults = default_owners(*policy, servers, streams);
      implicit = true;
    } catch (const Error&) {
      // A policy that cannot give its defaults must not stop publication: every owner is written.
    }
    for (uint64_t i = 0; i < n && implicit; ++i) {
      if (s.owner[i] == defaults[i]) continue;
      exceptions.push_back(static_cast<uint32_t>(i));
      implicit = exceptions.size() <= n / kMaxExceptionShare;
    }
  }
  if (owners_stored != nullptr) *owners_stored = implicit ? exceptions.size() : how == Owners::none ? 0 : n;
  if (implicit) {
    columns.setOwnersImplicit(true);
    auto index = columns.initExceptionIndex(static_cast<unsigned>(exceptions.size()));
    auto owner = columns.initExceptionOwner(static_cast<unsigned>(exceptions.size()));
    for (unsigned k = 0; k < exceptions.size(); ++k) {
      index.set(k, exceptions[k]);
      owner.set(k, s.owner[exceptions[k]]);
    }
  } else if (how != Owners::none) {
    auto owner = columns.initOwner(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) owner.set(i, s.owner[i]);
  }
  if (!s.holder.empty() || !s.token.empty()) {
    if (s.holder.size() != n || s.token.size() != n || s.owner.size() != n)
      throw Error(BERTH_E_INVALID_ARGUMENT, "snapshot version " + std::to_string(s.meta.version) + " has " +
                                                std::to_string(s.holder.size()) + " holders and " +
                                                std::to_string(s.token.size()) + " tokens for " + std::to_string(n) +
                                                " streams");
    encode_holders(columns, s);
  }

  kj::VectorOutputStream out(streams.ids.arena.size() + n * 16 + 4096);
  capnp::writePackedMessage(out, message);
  auto bytes = out.getArray();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Owners of a snapshot stored as exceptions: every stream's default under the snapshot's policy,
// then the exceptions over them.
void rebuild_owners(Snapshot& s, schema::Streams::Reader columns, const PolicyFinder& find_policy) {
  const uint64_t n = s.streams->size();
  auto index = columns.getExceptionIndex();
  auto owner = columns.getExceptionOwner();
  if (columns.getOwner().size() != 0)
    throw Error(BERTH_E_CORRUPT, "snapshot has both an owner list and implicit owners");
  if (index.size() != owner.size())
    throw Error(BERTH_E_CORRUPT, "snapshot lists " + std::to_string(index.size()) + " exceptions but " +
                                     std::to_string(owner.size()) + " exception owners");
  for (unsigned k = 0; k < index.size(); ++k)
    if (index[k] >= n || (k > 0 && index[k] <= index[k - 1]))
      throw Error(BERTH_E_CORRUPT, "exception #" + std::to_string(k) + " names stream #" + std::to_string(index[k]) +
                                       " (of " + std::to_string(n) + "; the list must ascend)");

  const std::string who = "policy '" + s.meta.policy + "' (behaviour version " + std::to_string(s.meta.behaviour_version) + ")";
  if (s.servers->size() > kMaxImplicitServers)
    throw Error(BERTH_E_CORRUPT, "snapshot leaves the owners of " + std::to_string(s.servers->size()) +
                                     " servers implicit; at most " + std::to_string(kMaxImplicitServers) + " may be");
  std::optional<OwnerDefaults> policy;
  try {
    if (find_policy) policy = find_policy(s.meta.policy, s.meta.behaviour_version);
  } catch (const Error& e) {
    throw Error(BERTH_E_CORRUPT, "snapshot version " + std::to_string(s.meta.version) + " leaves its owners to " + who +
                                     ", which this reader cannot load: " + e.what());
  }
  if (!policy || !is_policy_of(*policy, s.meta))
    throw Error(BERTH_E_CORRUPT, "snapshot version " + std::to_string(s.meta.version) + " leaves its owners to " + who +
                                     ", which this reader cannot load");
  try {
    s.owner = default_owners(*policy, *s.servers, *s.streams);
  } catch (const Error& e) {
    throw Error(BERTH_E_CORRUPT, "snapshot version " + std::to_string(s.meta.version) + ": " + who +
                                     " cannot rebuild its owners: " + e.what());
  }
  for (unsigned k = 0; k < index.size(); ++k) s.owner[index[k]] = owner[k];  // range-checked by finish_snapshot
  for (uint64_t i = 0; i < n; ++i)
    if (s.owner[i] == BERTH_NO_SERVER)
      throw Error(BERTH_E_CORRUPT, "stream '" + std::string(s.streams->ids.at(i)) + "' has no owner: " + who +
                                       " gives it none and it is not listed as an exception");
}

// Streams whose holder vanished. The streams themselves may be anywhere (present, removed, or
// neither), so the list is bounded by the streams the vanished holders held, which a reader's
// traversal limit already bounds.
void decode_lapsing_holds(Snapshot& s, schema::Snapshot::Reader root) {
  if (!root.hasLapsingHolds()) return;
  auto in = root.getLapsingHolds();
  s.lapsing_holds.reserve(in.size());
  for (auto h : in)
    s.lapsing_holds.push_back(LapsingHold{std::string(text(h.getStream())), std::string(text(h.getServer())),
                                          h.getIncarnation(), h.getToken(), h.getEpoch(), h.getUntilNs()});
  check_lapsing_holds(s);
}

// Streams removed while held: each among the tombstones (so bounded by them), once, held by one
// of the servers under a token.
void decode_removed_holds(Snapshot& s, schema::Snapshot::Reader root) {
  if (!root.hasRemovedHolds()) return;
  auto in = root.getRemovedHolds();
  const size_t dead = s.tombstones ? s.tombstones->size() : 0;
  if (in.size() > dead)
    throw Error(BERTH_E_CORRUPT, "snapshot lists " + std::to_string(in.size()) + " removed streams still held but only " +
                                     std::to_string(dead) + " removed streams");
  std::unordered_set<std::string_view> seen;
  s.removed_holds.reserve(in.size());
  for (auto h : in) {
    const std::string where = "removed stream still held #" + std::to_string(s.removed_holds.size());
    std::string_view id = text(h.getStream());
    if (!s.tombstones->contains(id)) throw Error(BERTH_E_CORRUPT, where + " is not among the removed streams");
    if (h.getHolder() >= s.server_count())
      throw Error(BERTH_E_CORRUPT, where + " names server #" + std::to_string(h.getHolder()) + " of " +
                                       std::to_string(s.server_count()));
    if (h.getToken() == 0) throw Error(BERTH_E_CORRUPT, where + " has token 0");
    if (!seen.insert(id).second) throw Error(BERTH_E_CORRUPT, where + " names a stream listed before");
    s.removed_holds.push_back(RemovedHold{std::string(id), h.getHolder(), h.getToken()});
  }
}

// Holders and tokens as encode_holders writes them: their lists are checked here, their values
// (servers in range, tokens 0 exactly for nobody) by finish_snapshot.
void decode_holders(Snapshot& s, schema::Streams::Reader columns) {
  const uint64_t n = s.streams->size();
  auto holder = columns.getHolder();
  auto token = columns.getToken();
  auto exception_index = columns.getHolderExceptionIndex();
  auto exception_server = columns.getHolderExceptionServer();
  auto table = columns.getTokenTable();
  auto token_index = columns.getTokenIndex();
  const bool as_owners = columns.getHoldersAreOwners();
  const bool holders = as_owners || holder.size() > 0 || exception_index.size() > 0 || exception_server.size() > 0;
  const bool tokens = token.size() > 0 || table.size() > 0 || token_index.size() > 0;
  const std::string which = "snapshot version " + std::to_string(s.meta.version);
  if (!holders && !tokens) return;  // written before ownership: nobody holds anything
  if (holders != tokens && n > 0)
    throw Error(BERTH_E_CORRUPT, which + " has " + (holders ? "holders without tokens" : "tokens without holders"));
  if (as_owners && holder.size() > 0)
    throw Error(BERTH_E_CORRUPT, which + " has both a holder list and holders left to the owners");
  if (!as_owners && (exception_index.size() > 0 || exception_server.size() > 0))
    throw Error(BERTH_E_CORRUPT, which + " lists holder exceptions but does not leave holders to the owners");
  if (!as_owners && holder.size() != n)
    throw Error(BERTH_E_CORRUPT, which + " has " + std::to_string(holder.size()) + " holders for " + std::to_string(n) +
                                     " streams");
  if (exception_index.size() != exception_server.size())
    throw Error(BERTH_E_CORRUPT, which + " lists " + std::to_string(exception_index.size()) + " holder exceptions but " +
                                     std::to_string(exception_server.size()) + " exception holders");
  if (token.size() > 0 && (table.size() > 0 || token_index.size() > 0))
    throw Error(BERTH_E_CORRUPT, which + " has both a token list and a token table");
  if (token.size() > 0 ? token.size() != n : token_index.size() != n)
    throw Error(BERTH_E_CORRUPT, which + " has " + std::to_string(token.size() > 0 ? token.size() : token_index.size()) +
                                     " tokens for " + std::to_string(n) + " streams");
  if (n == 0) return;

  if (as_owners) {
    s.holder.resize(n);
    for (uint64_t i = 0; i < n; ++i) s.holder[i] = implicit_holder(s, i);
    for (unsigned k = 0; k < exception_index.size(); ++k) {
      if (exception_index[k] >= n || (k > 0 && exception_index[k] <= exception_index[k - 1]))
        throw Error(BERTH_E_CORRUPT, "holder exception #" + std::to_string(k) + " names stream #" +
                                         std::to_string(exception_index[k]) + " (of " + std::to_string(n) +
                                         "; the list must ascend)");
      s.holder[exception_index[k]] = exception_server[k];
    }
  } else {
    s.holder.resize(n);
    for (unsigned i = 0; i < n; ++i) s.holder[i] = holder[i];
  }
  s.token.resize(n);
  if (token.size() > 0) {
    for (unsigned i = 0; i < n; ++i) s.token[i] = token[i];
  } else {
    std::vector<uint64_t> values(table.size());
    for (unsigned v = 0; v < table.size(); ++v) values[v] = table[v];
    for (unsigned i = 0; i < n; ++i) {
      const uint16_t v = token_index[i];
      if (v >= values.size())
        throw Error(BERTH_E_CORRUPT, "stream '" + std::string(s.streams->ids.at(i)) + "' names token #" +
                                         std::to_string(v) + " of a table of " + std::to_string(values.size()));
      s.token[i] = values[v];
    }
  }
}

}  // namespace

std::string encode_snapshot(const Snapshot& s, const OwnerDefaults* policy, uint64_t* owners_stored) {
  return encode(s, policy, Owners::exceptions_if_smaller, owners_stored);
}

size_t assignment_bytes(const Snapshot& s, const OwnerDefaults* policy) {
  return encode(s, policy, Owners::exceptions_if_smaller).size() - encode(s, nullptr, Owners::none).size();
}

Snapshot decode_snapshot(std::string_view bytes, const PolicyFinder& find_policy) {
  if (bytes.empty()) throw Error(BERTH_E_CORRUPT, "snapshot bytes are empty");
  try {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    // On the heap, so it can be destroyed before `return s` (see there).
    auto message = kj::heap<capnp::PackedMessageReader>(input, reader_options(bytes.size()));
    auto root = message->getRoot<schema::Snapshot>();
    if (root.hasDelta())  // not a full snapshot: see delta_codec.h
      throw Error(BERTH_E_CORRUPT, "bytes of version " + std::to_string(root.getVersion()) + " are a delta against version " +
                                       std::to_string(root.getDelta().getBaseVersion()) + ", not a full snapshot");

    Snapshot s;
    s.meta.version = root.getVersion();
    s.meta.epoch = root.getEpoch();
    s.meta.policy = text(root.getPolicy());
    s.meta.behaviour_version = root.getBehaviourVersion();
    s.meta.rules_hash = root.getRulesHash();
    s.meta.created_unix_ms = root.getCreatedUnixMs();
    s.meta.leader = text(root.getLeader());
    s.meta.soft_handoff = root.getSoftHandoff();
    if (root.hasTombstones()) {
      auto in = root.getTombstones();
      if (in.size() > kMaxTombstones)
        throw Error(BERTH_E_CORRUPT, "snapshot lists " + std::to_string(in.size()) + " removed streams, more than the " +
                                         std::to_string(kMaxTombstones) + " a leader keeps");
      // Refused rather than trimmed past the bounds a leader keeps (tombstones.h): such bytes
      // were not written by a leader, and trimming them would read some other set of removals.
      std::vector<std::string> dead;
      dead.reserve(in.size());
      size_t dead_bytes = 0;
      for (auto id : in) {
        std::string_view one = text(id);
        if (one.size() > kMaxTombstoneIdBytes)
          throw Error(BERTH_E_CORRUPT, "removed stream #" + std::to_string(dead.size()) + " has an id of " +
                                           std::to_string(one.size()) + " bytes, more than the limit of " +
                                           std::to_string(kMaxTombstoneIdBytes));
        dead_bytes += one.size();
        if (dead_bytes > kMaxTombstoneBytes)
          throw Error(BERTH_E_CORRUPT, "snapshot lists removed streams of more than " + std::to_string(kMaxTombstoneBytes) +
                                           " bytes together, more than a leader keeps (at removed stream #" +
                                           std::to_string(dead.size()) + ")");
        dead.emplace_back(one);
      }
      s.tombstones = std::make_shared<const Tombstones>(std::move(dead));
    }

    auto servers = std::make_shared<ServerColumns>();
    auto in_servers = root.getServers();
    for (auto srv : in_servers) {
      std::string_view id = text(srv.getId());
      if (servers->ids.size() > 0 && !(servers->ids.at(servers->ids.size() - 1) < id))
        throw Error(BERTH_E_CORRUPT, "snapshot servers are not sorted by unique id (at '" + std::string(id) + "')");
      double capacity = srv.getCapacity();
      if (!std::isfinite(capacity) || capacity <= 0)
        throw Error(BERTH_E_CORRUPT, "server '" + std::string(id) + "' has capacity " + std::to_string(capacity));
      servers->ids.push_back(id);
      servers->capacity.push_back(capacity);
      servers->state.push_back(from_schema(srv.getState()));
      servers->labels.push_back(get_labels(srv, id));
      servers->incarnation.push_back(srv.getIncarnation());
      servers->serving.push_back(srv.getServing() ? 1 : 0);
    }

    auto streams = std::make_shared<StreamColumns>();
    for (auto t : root.getTenants()) streams->tenants.push_back(text(t));
    if (streams->tenants.size() == 0) streams->tenants.push_back("");

    auto columns = root.getStreams();
    auto ids = columns.getIds();
    auto ends = columns.getIdEnds();
    auto tenant = columns.getTenant();
    auto load = columns.getLoad();
    auto owner = columns.getOwner();
    const bool implicit = columns.getOwnersImplicit();
    uint64_t n = ends.size();
    if (tenant.size() != n || load.size() != n || (!implicit && owner.size() != n))
      throw Error(BERTH_E_CORRUPT, "stream columns have different lengths (ids " + std::to_string(n) + ", tenant " +
                                       std::to_string(tenant.size()) + ", load " + std::to_string(load.size()) +
                                       ", owner " + std::to_string(owner.size()) + ")");
    streams->ids.arena.assign(reinterpret_cast<const char*>(ids.begin()), ids.size());
    streams->ids.offsets.resize(n + 1);
    streams->hash.resize(n);
    streams->tenant.resize(n);
    s.load.resize(n);
    if (!implicit) s.owner.resize(n);
    uint64_t previous_end = 0;
    for (unsigned i = 0; i < n; ++i) {
      uint64_t end = ends[i];
      if (end < previous_end || end > ids.size())
        throw Error(BERTH_E_CORRUPT, "stream #" + std::to_string(i) + " has id bytes [" + std::to_string(previous_end) +
                                         ", " + std::to_string(end) + ") outside the " + std::to_string(ids.size()) + " id bytes");
      streams->ids.offsets[i + 1] = end;
      streams->hash[i] = stream_hash(std::string_view(streams->ids.arena.data() + previous_end, end - previous_end));
      previous_end = end;
      if (tenant[i] >= streams->tenants.size())
        throw Error(BERTH_E_CORRUPT, "stream #" + std::to_string(i) + " names tenant #" + std::to_string(tenant[i]) +
                                         " of " + std::to_string(streams->tenants.size()));
      streams->tenant[i] = tenant[i];
      float l = load[i];
      if (!std::isfinite(l) || l < 0) throw Error(BERTH_E_CORRUPT, "stream #" + std::to_string(i) + " has load " + std::to_string(l));
      s.load[i] = l;
      if (!implicit) s.owner[i] = owner[i];  // range-checked by finish_snapshot
    }
    if (previous_end != ids.size()) throw Error(BERTH_E_CORRUPT, "stream id bytes do not end where the last id ends");
    s.servers = std::move(servers);
    s.weighting = decode_weighting(root, *s.servers);
    s.streams = std::move(streams);
    if (s.tombstones)
      if (const std::string* both = first_present(*s.tombstones, *s.streams))
        throw Error(BERTH_E_CORRUPT, "snapshot version " + std::to_string(s.meta.version) + " lists stream '" +
                                         both->substr(0, 64) + "' both among its streams and as removed");
    if (implicit) rebuild_owners(s, columns, find_policy);
    decode_holders(s, columns);
    decode_removed_holds(s, root);
    decode_lapsing_holds(s, root);
    decode_operator_servers(s, root);
    decode_catalogue(root, s);
    decode_shared_rules(s, root);
    // The reader's destructor skips what is left of the input and throws when the bytes end
    // early. Thrown after `return s` had built the result, that result would leak (found by the
    // fuzzer, tests/fuzz): destroy the reader first, while `s` is a local that unwinding frees.
    message = nullptr;
    return s;
  } catch (const Error&) {
    throw;
  } catch (const kj::Exception& e) {
    throw Error(BERTH_E_CORRUPT, std::string("snapshot bytes do not decode: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    throw Error(BERTH_E_CORRUPT, std::string("snapshot bytes do not decode: ") + e.what());
  }
}

std::string encode_server_info(const ServerInfo& info) {
  capnp::MallocMessageBuilder message;
  auto srv = message.initRoot<schema::Server>();
  srv.setCapacity(info.capacity);
  srv.setState(to_schema(info.state));
  set_labels(srv, info.labels);
  srv.setIncarnation(info.incarnation);
  srv.setServing(info.serving);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

ServerInfo decode_server_info(std::string_view bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty())
    throw Error(BERTH_E_CORRUPT, "server info is " + std::to_string(bytes.size()) + " bytes, not a whole number of words");
  try {
    kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes.data(), bytes.size());
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1 << 16;
    capnp::FlatArrayMessageReader message(words, options);
    auto srv = message.getRoot<schema::Server>();
    ServerInfo info;
    info.capacity = srv.getCapacity();
    info.state = from_schema(srv.getState());
    info.labels = get_labels(srv, "");
    info.incarnation = srv.getIncarnation();  // 0 in info written before ownership
    info.serving = srv.getServing();
    if (!std::isfinite(info.capacity) || info.capacity <= 0)
      throw Error(BERTH_E_CORRUPT, "server info has capacity " + std::to_string(info.capacity));
    return info;
  } catch (const Error&) {
    throw;
  } catch (const kj::Exception& e) {
    throw Error(BERTH_E_CORRUPT, std::string("server info does not decode: ") + e.getDescription().cStr());
  }
}

}  // namespace berth
