#include "cli/show.h"

#include <iostream>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/labels.h"
#include "snapshot/catalogue_entries.h"
#include "snapshot/weighting.h"

namespace berth::cli {
namespace {

const char* state_name(int32_t state) {
  switch (state) {
    case BERTH_SERVER_DRAINING: return "draining";
    case BERTH_SERVER_READ_ONLY: return "read-only";
    default: return "up";
  }
}

// Streams deleted with purges outstanding.
size_t deleting(const CatalogueEntries& c) {
  std::set<std::string_view> streams;
  for (const StreamAt& p : c.purges) streams.insert(p.stream);
  return streams.size();
}

void print_json(const tools::Cluster& cluster) {
  const Snapshot& s = *cluster.snapshot;
  nlohmann::json servers = nlohmann::json::array();
  for (uint32_t j = 0; j < s.server_count(); ++j)
    servers.push_back({{"id", s.servers->ids.at(j)},
                       {"state", state_name(s.servers->state[j])},
                       {"capacity", s.servers->capacity[j]},
                       {"weight", weighed_server(s, j) ? nlohmann::json(weighed_server(s, j)->factor) : nlohmann::json()},
                       {"labels", format_labels(s.servers->labels_of(j))},
                       {"streams", s.server_streams[j]},
                       {"load", s.server_load[j]}});
  nlohmann::json j = {{"backend", cluster.description},
                      {"version", s.meta.version},
                      {"epoch", s.meta.epoch},
                      {"leader", s.meta.leader},
                      {"policy", s.meta.policy},
                      {"behaviour_version", s.meta.behaviour_version},
                      {"rules_hash", fmt::format("{:016x}", s.meta.rules_hash)},
                      {"created_unix_ms", s.meta.created_unix_ms},
                      {"streams", s.stream_count()},
                      {"total_load", s.balance.total_load},
                      {"max_over_lb", s.balance.max_over_lb},
                      {"oversized_streams", s.balance.oversized_streams},
                      {"catalogue", s.catalogue ? nlohmann::json{{"migrating", s.catalogue->migrations.size()},
                                                                 {"deleting", deleting(*s.catalogue)},
                                                                 {"queued", s.catalogue->queued.size()},
                                                                 {"purges", s.catalogue->purges.size()},
                                                                 {"sealed_reads", s.catalogue->sealed_reads.size()}}
                                                : nlohmann::json::object()},
                      {"servers", std::move(servers)}};
  std::cout << j.dump() << std::endl;
}

void print_table(const tools::Cluster& cluster) {
  const Snapshot& s = *cluster.snapshot;
  std::cout << fmt::format("{}\n", cluster.description)
            << fmt::format("version {} at epoch {} by {}, policy {} (behaviour {}), rules {:016x}\n", s.meta.version,
                           s.meta.epoch, s.meta.leader, s.meta.policy, s.meta.behaviour_version, s.meta.rules_hash)
            << fmt::format("{} streams on {} servers, total load {:.6g}, max/lower bound {:.5f}", s.stream_count(),
                           s.server_count(), s.balance.total_load, s.balance.max_over_lb);
  if (s.balance.oversized_streams > 0)
    std::cout << fmt::format(" ({} stream(s) larger than a fair share)", s.balance.oversized_streams);
  if (const CatalogueEntries* c = s.catalogue.get())
    std::cout << fmt::format("\ncatalogue: {} migrating, {} deleting, {} queued, {} purges outstanding", c->migrations.size(),
                             deleting(*c), c->queued.size(), c->purges.size());
  std::cout << "\n\n"
            << fmt::format("{:<24} {:<9} {:>8} {:>7} {:>10} {:>12} {:>9}  {}\n", "server", "state", "capacity", "weight",
                           "streams", "load", "vs fair", "labels");
  // "vs fair": the server's load per unit of capacity against the cluster's, 1.00 being its share.
  double capacity = 0;
  for (uint32_t j = 0; j < s.server_count(); ++j) capacity += s.servers->capacity[j];
  const double level = capacity > 0 ? s.balance.total_load / capacity : 0;
  for (uint32_t j = 0; j < s.server_count(); ++j) {
    const double relative = level > 0 ? s.server_load[j] / s.servers->capacity[j] / level : 0;
    // capacity is the effective one: the configured capacity times the weight (docs/catalogue.md).
    const WeighedServer* w = weighed_server(s, j);
    std::cout << fmt::format("{:<24} {:<9} {:>8.3g} {:>7} {:>10} {:>12.6g} {:>9.3f}  {}\n", s.servers->ids.at(j),
                             state_name(s.servers->state[j]), s.servers->capacity[j],
                             w ? fmt::format("{:.3g}", w->factor) : std::string("-"), s.server_streams[j],
                             s.server_load[j], relative, format_labels(s.servers->labels_of(j)));
  }
}

}  // namespace

int run_show(const ShowOptions& options) {
  tools::Cluster cluster = tools::read_backend(options.source);
  if (options.json)
    print_json(cluster);
  else
    print_table(cluster);
  return 0;
}

}  // namespace berth::cli
