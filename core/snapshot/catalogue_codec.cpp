#include "snapshot/catalogue_codec.h"

#include <cstring>
#include <string>
#include <unordered_set>

#include <fmt/format.h>

#include "common/error.h"
#include "snapshot/catalogue_entries.h"

namespace berth {
namespace {

void put(capnp::Text::Builder into, std::string_view text) { std::memcpy(into.begin(), text.data(), text.size()); }

// An id from the bytes: non-empty and within the longest id a leader takes.
std::string id_of(capnp::Text::Reader t, const char* list, size_t k, const char* field) {
  std::string_view v(t.begin(), t.size());
  if (v.empty() || v.size() > kMaxTombstoneIdBytes)
    throw Error(BERTH_E_CORRUPT, fmt::format("catalogue {} #{}: {} is {} bytes long (1 to {} allowed)", list, k, field,
                                             v.size(), kMaxTombstoneIdBytes));
  return std::string(v);
}

template <class List>
void check_size(const List& in, const char* list) {
  if (in.size() > kMaxCatalogueEntries)
    throw Error(BERTH_E_CORRUPT, fmt::format("catalogue lists {} {}, more than the {} a leader keeps", in.size(), list,
                                             kMaxCatalogueEntries));
}

}  // namespace

void encode_catalogue(schema::Snapshot::Builder root, const Snapshot& s) {
  if (!s.catalogue || s.catalogue->empty()) return;
  const CatalogueEntries& c = *s.catalogue;
  auto out = root.initCatalogue();
  auto text = [](auto builder_init, std::string_view v) { put(builder_init(static_cast<unsigned>(v.size())), v); };
  auto migrations = out.initMigrations(static_cast<unsigned>(c.migrations.size()));
  for (unsigned k = 0; k < c.migrations.size(); ++k) {
    const Migration& m = c.migrations[k];
    auto b = migrations[k];
    text([&](unsigned n) { return b.initStream(n); }, m.stream);
    text([&](unsigned n) { return b.initSource(n); }, m.source);
    text([&](unsigned n) { return b.initDestination(n); }, m.destination);
    b.setSinceVersion(m.since_version);
    b.setFailures(m.failures);
  }
  auto queued = out.initQueued(static_cast<unsigned>(c.queued.size()));
  for (unsigned k = 0; k < c.queued.size(); ++k) {
    auto b = queued[k];
    text([&](unsigned n) { return b.initStream(n); }, c.queued[k].stream);
    text([&](unsigned n) { return b.initDestination(n); }, c.queued[k].destination);
  }
  auto at_list = [&](auto list, const std::vector<StreamAt>& from) {
    for (unsigned k = 0; k < from.size(); ++k) {
      auto b = list[k];
      text([&](unsigned n) { return b.initStream(n); }, from[k].stream);
      text([&](unsigned n) { return b.initServer(n); }, from[k].server);
    }
  };
  at_list(out.initSealedReads(static_cast<unsigned>(c.sealed_reads.size())), c.sealed_reads);
  at_list(out.initPurges(static_cast<unsigned>(c.purges.size())), c.purges);
  auto recent = out.initRecent(static_cast<unsigned>(c.recent.size()));
  for (unsigned k = 0; k < c.recent.size(); ++k) {
    auto b = recent[k];
    text([&](unsigned n) { return b.initStream(n); }, c.recent[k].stream);
    b.setDoneUnixMs(c.recent[k].done_unix_ms);
  }
}

void decode_catalogue(schema::Snapshot::Reader root, Snapshot& s) {
  s.catalogue = nullptr;
  if (!root.hasCatalogue()) return;
  auto in = root.getCatalogue();
  auto c = std::make_shared<CatalogueEntries>();
  std::unordered_set<std::string> moving;  // a stream migrates or waits once at most
  auto once = [&](const std::string& stream, const char* list, size_t k) {
    if (!moving.insert(stream).second)
      throw Error(BERTH_E_CORRUPT, fmt::format("catalogue {} #{}: stream '{}' migrates or waits twice", list, k,
                                               stream.substr(0, 64)));
  };
  auto migrations = in.getMigrations();
  check_size(migrations, "migrations");
  for (size_t k = 0; k < migrations.size(); ++k) {
    auto m = migrations[static_cast<unsigned>(k)];
    Migration out{id_of(m.getStream(), "migration", k, "stream"), id_of(m.getSource(), "migration", k, "source"),
                  id_of(m.getDestination(), "migration", k, "destination"), m.getSinceVersion(), m.getFailures()};
    if (out.source == out.destination)
      throw Error(BERTH_E_CORRUPT, fmt::format("catalogue migration #{}: stream '{}' migrates from '{}' to itself", k,
                                               out.stream.substr(0, 64), out.source.substr(0, 64)));
    once(out.stream, "migration", k);
    c->migrations.push_back(std::move(out));
  }
  auto queued = in.getQueued();
  check_size(queued, "queued migrations");
  for (size_t k = 0; k < queued.size(); ++k) {
    auto q = queued[static_cast<unsigned>(k)];
    QueuedMigration out{id_of(q.getStream(), "queued migration", k, "stream"), ""};
    auto d = q.getDestination();
    if (d.size() > 0) out.destination = id_of(d, "queued migration", k, "destination");
    once(out.stream, "queued migration", k);
    c->queued.push_back(std::move(out));
  }
  auto at_list = [&](auto list, const char* name, std::vector<StreamAt>& into) {
    check_size(list, name);
    for (size_t k = 0; k < list.size(); ++k) {
      auto a = list[static_cast<unsigned>(k)];
      into.push_back(StreamAt{id_of(a.getStream(), name, k, "stream"), id_of(a.getServer(), name, k, "server")});
    }
  };
  at_list(in.getSealedReads(), "sealed read", c->sealed_reads);
  at_list(in.getPurges(), "purge", c->purges);
  auto recent = in.getRecent();
  check_size(recent, "recent migrations");
  for (size_t k = 0; k < recent.size(); ++k) {
    auto r = recent[static_cast<unsigned>(k)];
    c->recent.push_back(RecentMigration{id_of(r.getStream(), "recent migration", k, "stream"), r.getDoneUnixMs()});
  }
  if (c->empty()) return;
  c->index();
  s.catalogue = std::move(c);
}

}  // namespace berth
