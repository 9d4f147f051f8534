// C++ handles on plugin-created objects. Each holds the LoadedPlugin it came from, so a shared
// object is never unloaded while something it created is alive, and turns every failed call into
// an Error naming the plugin.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/loader.h"

namespace berth {

// A plugin's configuration section as owned strings; `view()` is what crosses the ABI.
class PluginConfig {
 public:
  struct Entry {
    std::string key, value, where;
    int32_t kind = BERTH_VALUE_TEXT;  // the type it was written with (berth/abi.h)
  };
  PluginConfig(std::string section, std::vector<Entry> entries);
  PluginConfig() : PluginConfig("", {}) {}
  PluginConfig(const PluginConfig& other) : PluginConfig(other.section_, other.entries_) {}
  PluginConfig& operator=(const PluginConfig& other);

  const berth_config* view() const { return &view_; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  void rebuild();
  std::string section_;
  std::vector<Entry> entries_;
  std::vector<berth_kv> kvs_;
  std::vector<int32_t> kinds_;
  berth_config view_{};
};

class Appraiser {
 public:
  Appraiser(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config);
  ~Appraiser();
  Appraiser(const Appraiser&) = delete;
  Appraiser& operator=(const Appraiser&) = delete;

  void appraise(const berth_stream_set& streams, double* out_load);
  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;
  void* self_ = nullptr;
};

class Policy;

// Places streams that are not in a snapshot yet; built from one snapshot, shared by its readers.
class Placer {
 public:
  Placer(std::shared_ptr<const Policy> policy, void* placer) : policy_(std::move(policy)), placer_(placer) {}
  ~Placer();
  Placer(const Placer&) = delete;
  Placer& operator=(const Placer&) = delete;

  uint32_t place(uint64_t stream_hash, double load) const;  // throws Error

 private:
  std::shared_ptr<const Policy> policy_;
  void* placer_;
};

class Policy : public std::enable_shared_from_this<Policy> {
 public:
  Policy(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config);
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) const;
  std::shared_ptr<const Placer> make_placer(const berth_server_set& servers, const double* server_load) const;
  uint32_t behaviour_version() const { return plugin_->policy.behaviour_version; }
  // Whether the plugin computes default owners (ABI 1.2), so its snapshots can leave them out.
  bool has_default_owners() const { return plugin_->policy.default_owners != nullptr; }
  // out_owner[i] = where stream i sits unless told otherwise, or BERTH_NO_SERVER; checked to be
  // in range. Throws Error (BERTH_E_STATE when the plugin has no default owners).
  void default_owners(const berth_server_set& servers, uint64_t count, const uint64_t* stream_hash,
                      uint32_t* out_owner) const;
  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  friend class Placer;
  std::shared_ptr<const LoadedPlugin> plugin_;
  void* self_ = nullptr;
};

// A weigher (ABI 1.5): signals in, one target weight factor per server out.
class Weigher {
 public:
  Weigher(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config);
  ~Weigher();
  Weigher(const Weigher&) = delete;
  Weigher& operator=(const Weigher&) = delete;

  // out_factor[i] for each of servers.count servers. Throws Error(BERTH_E_PLUGIN) naming the
  // weigher when the call fails or a factor is not > 0 and finite; out_factor is then unchanged.
  void weigh(const berth_server_set& servers, const berth_signal_set& signals, double* out_factor) const;
  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;
  void* self_ = nullptr;
};

class Backend {
 public:
  // `watch` must stay valid until the Backend is destroyed.
  Backend(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config, const berth_backend_watch* watch);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  void join(std::string_view member, std::string_view info);
  void leave(std::string_view member);
  std::vector<std::pair<std::string, std::string>> members();
  void campaign();
  void resign();
  berth_leadership leadership();
  void publish(uint64_t epoch, uint64_t version, std::string_view bytes);
  // The newest version, and its bytes when newer than `known_version` (else empty).
  std::pair<uint64_t, std::string> fetch(uint64_t known_version);
  void submit(std::string_view records);
  std::vector<std::string> drain();

  // Snapshot deltas (ABI 1.1): whether the backend has publish_based, fetch_latest and
  // fetch_version. Without them it takes full snapshots only.
  bool supports_deltas() const;
  struct Latest {
    uint64_t version = 0;
    uint64_t base_version = 0;  // the version the bytes are based on; 0: self-contained
    std::string bytes;          // empty unless newer than the version asked about
  };
  // Publishes bytes based on `base_version` (0: self-contained). Requires supports_deltas() for
  // a non-zero base; a self-contained version goes through publish() on any backend.
  void publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes);
  // fetch() with the base of the newest version; on a backend without deltas the base is 0.
  Latest fetch_latest(uint64_t known_version);
  // The bytes of a version the backend keeps; Error(BERTH_E_NOT_FOUND) otherwise.
  std::string fetch_version(uint64_t version);

  // Keyed intake (ABI 1.3): whether the backend has peek_intake and settle_intake. Without them,
  // drain() is the only way to take submissions.
  bool supports_intake_keys() const;
  // Every pending submission as (key, record), oldest first; the records stay pending.
  std::vector<std::pair<std::string, std::string>> peek_intake();
  // Removes the records of `keys` that are still pending.
  void settle_intake(const std::vector<std::string>& keys);

  // The lease (ABI 1.4): whether the backend reports one. Without it (a plugin built against an
  // older minor) the host must derive one from leadership().connected.
  bool supports_lease() const;
  struct Lease {
    bool held = false;
    uint64_t valid_until_ns = 0;  // CLOCK_MONOTONIC; UINT64_MAX: ends only with this process
    uint64_t session = 0;         // changes whenever the backend replaces its session
    uint64_t vanish_wait_ns = 0;  // how long a member reported gone may still hold (ABI 1.6; 0 before)
  };
  // Unlike every other call here, safe to make concurrently with any of them on the same
  // Backend (the plugin promises it, and this wrapper reads only what never changes after
  // construction), so a thread polling the lease needs no lock shared with the callers of the
  // rest. Never blocks on the network. Error(BERTH_E_STATE) without supports_lease().
  Lease lease() const;

  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;
  void* self_ = nullptr;
};

}  // namespace berth
