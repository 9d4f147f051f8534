// Refreshes of a small cluster through compute_refresh (so the migration step runs where the
// engine runs it), with the built-in plugins and records as the leader hears them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "catalogue/locate.h"
#include "engine/refresh.h"
#include "plugin/loader.h"
#include "snapshot/catalogue_entries.h"

namespace berth::testing {

inline constexpr double kNoLoad = std::numeric_limits<double>::quiet_NaN();

inline IntakeRecord record(IntakeOp op, std::string stream, std::string server = "", double load = kNoLoad) {
  return IntakeRecord{op, std::move(stream), std::move(server), load};
}

class CatalogueRefresher {
 public:
  explicit CatalogueRefresher(std::vector<std::string> servers, std::string policy = "sticky")
      : policy_(std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, policy), PluginConfig("policy", {}))) {
    std::sort(servers.begin(), servers.end());
    auto columns = std::make_shared<ServerColumns>();
    for (const std::string& id : servers) {
      columns->ids.push_back(id);
      columns->capacity.push_back(1.0);
      columns->state.push_back(BERTH_SERVER_UP);
    }
    servers_ = columns;
  }

  // The next version from `records` (applied in order), at the leader's clock `now_ms`.
  RefreshResult refresh(const std::vector<IntakeRecord>& records, int64_t now_ms = 0) {
    PendingChanges pending;
    for (const IntakeRecord& r : records) pending.apply(r);
    Provenance meta;
    meta.version = now_ ? now_->meta.version + 1 : 1;
    meta.created_unix_ms = now_ms != 0 ? now_ms : clock_ms_;
    RefreshResult r = compute_refresh(now_.get(), servers_, pending, appraiser_, *policy_, meta, names_, nullptr,
                                      false, true, settings_);
    now_ = r.snapshot;
    return r;
  }

  // Sets a server's state for the versions that follow (a copy of the columns, as membership does).
  void set_state(const std::string& server, int32_t state) {
    auto columns = std::make_shared<ServerColumns>(*servers_);
    for (uint32_t j = 0; j < columns->size(); ++j)
      if (columns->ids.at(j) == server) columns->state[j] = state;
    servers_ = columns;
  }
  void remove_server(const std::string& server) {
    auto columns = std::make_shared<ServerColumns>();
    for (uint32_t j = 0; j < servers_->size(); ++j) {
      if (servers_->ids.at(j) == server) continue;
      columns->ids.push_back(servers_->ids.at(j));
      columns->capacity.push_back(servers_->capacity[j]);
      columns->state.push_back(servers_->state[j]);
    }
    servers_ = columns;
  }

  const Snapshot& now() const { return *now_; }
  std::shared_ptr<const Snapshot> shared() const { return now_; }
  catalogue::StreamLocation locate(const std::string& stream) const { return catalogue::locate(*now_, stream); }
  std::string owner_of(const std::string& stream) const {
    catalogue::StreamLocation at = locate(stream);
    return at.owner != nullptr ? at.owner : "";
  }
  static std::vector<std::string> names(const std::vector<const char*>& servers) {
    std::vector<std::string> out(servers.begin(), servers.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> reads(const std::string& stream) const { return names(locate(stream).read_locations); }
  std::vector<std::string> purges(const std::string& stream) const {
    std::vector<std::string> out;
    if (now_->catalogue)
      for (std::string_view p : now_->catalogue->purges_of(stream)) out.emplace_back(p);
    std::sort(out.begin(), out.end());
    return out;
  }
  bool present(const std::string& stream) const { return locate(stream).known; }

  catalogue::Settings settings_;
  int64_t clock_ms_ = 1000000;

 private:
  PluginRegistry registry_;
  Appraiser appraiser_{registry_.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {})};
  std::shared_ptr<Policy> policy_;
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  std::shared_ptr<const ServerColumns> servers_;
  std::shared_ptr<Snapshot> now_;
};

}  // namespace berth::testing
