#include "catalogue/locate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/hash.h"

namespace berth::catalogue {

uint32_t server_of(const Snapshot& s, std::string_view id) {
  uint32_t lo = 0, hi = s.server_count();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s.servers->ids.at(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < s.server_count() && s.servers->ids.at(lo) == id ? lo : BERTH_NO_SERVER;
}

StreamLocation locate(const Snapshot& s, std::string_view stream) {
  if (stream.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "stream id is empty");
  StreamLocation out;
  out.version = s.meta.version;
  const CatalogueEntries* c = s.catalogue.get();
  auto name = [&](std::string_view id) -> const char* {
    uint32_t k = server_of(s, id);
    return k == BERTH_NO_SERVER ? nullptr : s.server_name[k];
  };
  auto add_read = [&](const char* server) {
    if (server != nullptr && std::find(out.read_locations.begin(), out.read_locations.end(), server) == out.read_locations.end())
      out.read_locations.push_back(server);
  };
  const uint64_t h = stream_hash(stream);
  const LookupTable::Slot* slot = s.table ? s.table->find(h, stream, s.streams->ids.arena.data()) : nullptr;
  if (slot == nullptr) {
    if (c != nullptr) {
      std::vector<std::string_view> purges = c->purges_of(stream);
      if (!purges.empty()) {
        out.status = CatalogueStatus::deleting;
        for (std::string_view p : purges) add_read(name(p));
        return out;
      }
    }
    if (s.placer) try {
        uint32_t placed = s.placer->place(h, std::numeric_limits<double>::quiet_NaN());
        if (placed < s.server_count()) out.owner = s.server_name[placed];
      } catch (const Error&) {
        // No server can take it: no owner to tell.
      }
    add_read(out.owner);
    return out;
  }
  const auto& off = s.streams->ids.offsets;
  const uint64_t i = static_cast<uint64_t>(std::upper_bound(off.begin(), off.end() - 1, uint64_t{slot->offset}) - off.begin()) - 1;
  out.known = true;
  out.owner = s.server_name[s.owner[i]];
  if (!s.holder.empty() && s.holder[i] != BERTH_NO_SERVER) {
    out.holder = s.server_name[s.holder[i]];
    out.token = s.token[i];
  }
  out.tenant = std::string(s.streams->tenants.at(s.streams->tenant[i]));
  out.load = s.load[i];
  add_read(out.owner);
  if (c != nullptr) {
    if (const Migration* m = c->migration_of(stream)) {
      out.status = CatalogueStatus::migrating;
      out.source = name(m->source);
      out.destination = name(m->destination);
      add_read(out.source);
    }
    for (std::string_view r : c->sealed_reads_of(stream)) add_read(name(r));
    if (const QueuedMigration* q = c->queued_of(stream)) {
      out.queued = true;
      out.queued_destination = q->destination;
    }
  }
  return out;
}

}  // namespace berth::catalogue
