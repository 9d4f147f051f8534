// Engine configuration: TOML files and strings, then "section.key" overrides (command-line flags,
// the C API). Every value remembers where it came from, so a bad key or value is reported with
// its file and line.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/instances.h"
#include "scripting/sandbox.h"

namespace berth {

// Which plugin fills a role, and its configuration section.
struct PluginChoice {
  std::string name;  // a built-in name, or a path to a .so
  PluginConfig config;
};

// Tenant rules ([rules]): a Lua script the leader evaluates at every refresh (scripting/README.md).
struct RulesOptions {
  std::filesystem::path file;  // empty: no rules
  rules::Limits limits;        // instruction_limit (per rule call), memory_limit (bytes)
};

// Ownership ([ownership], docs/ownership.md).
struct OwnershipOptions {
  // Subtracted from every lease deadline the backend reports: a node stops holding this long
  // before its registration may be declared gone (clock-rate differences, the coarse clock).
  std::chrono::milliseconds lease_margin{500};
  // Grants a moved stream to its new owner at once, without waiting for the previous holder's
  // release: more available, but two servers may then hold a stream at once (breaks the
  // guarantee). Off by default.
  bool soft_handoff = false;
  // A hand-off whose release has not come this long after it started is reported stalled.
  std::chrono::milliseconds stall_after{30000};
  // How long the leader grants nobody the streams of a holder that vanished (docs/ownership.md,
  // "Lapsing holds"); unset: what the backend reports (its session timeout on zookeeper, 0 where
  // members cannot vanish from outside). 0 turns lapsing holds off.
  std::optional<std::chrono::milliseconds> vanish_wait;
};

// Migrations ([catalogue], docs/catalogue.md).
struct CatalogueOptions {
  uint32_t max_migrations = 1000;            // running at once, in total
  uint32_t max_migrations_per_server = 100;  // running at once with one server as source or destination
  std::chrono::milliseconds migration_interval{600000};  // no stream migrates again this soon
};

// Dynamic weights ([weigher], docs/catalogue.md "Dynamic weights"). Without a name nothing is
// weighed. The host's keys are below; every other key of the section is the weigher plugin's.
struct WeigherOptions {
  std::string name;  // a built-in name, or a path to a .so; empty: no weigher
  PluginConfig config{"weigher", {}};
  double smoothing = 0.1;    // in (0, 1]: the weight of a new report in a signal's EWMA
  double min_factor = 0.1;   // > 0: the effective factor's bounds
  double max_factor = 10;    // >= min_factor
  double hysteresis = 0.15;  // >= 0: how far (relative) the target must be before the factor moves
};

struct EngineOptions {
  std::string node_id;  // empty: "<host>-<pid>-<n>"
  bool campaign = true;
  std::chrono::milliseconds refresh_interval{120000};  // DL-157's 120 s
  bool refresh_on_change = true;                       // refresh when membership changes
  std::chrono::milliseconds intake_flush{20};          // batching of add/remove/report records
  // How soon after intake reaches the leader it refreshes (new streams granted, releases handed
  // on); 0: intake waits for the periodic refresh.
  std::chrono::milliseconds intake_refresh_delay{2};
  // Snapshot deltas (when the backend keeps base versions): a publication is a delta against the
  // last checkpoint unless it would exceed this share of the checkpoint's bytes (0: never deltas)
  // or the checkpoint is `checkpoint_every` versions old; then a new full checkpoint.
  double checkpoint_ratio = 0.1;
  uint64_t checkpoint_every = 64;
  // Full snapshots of a policy with default owners (hash) store only the streams off them. A
  // reader from before ABI 1.2, or one whose copy of the policy lacks default owners, refuses
  // such snapshots (and keeps serving what it has): false writes every owner, for a rolling
  // upgrade while such readers remain.
  bool implicit_owners = true;
  // After each version it builds or installs, the engine gives the heap that work freed back to
  // the system (common/heap_return.h): at 1M streams a leader holds ~175 MB instead of 285-300 MB,
  // and a full refresh takes 30-40 ms longer (the trim, then the next refresh faulting its pages
  // in again). It trims the whole process's heap, locking each malloc arena in turn: a host that
  // tunes glibc's malloc itself, or whose allocating threads cannot wait some milliseconds, sets
  // it to false (the memory then stays with the allocator for the next refresh).
  bool return_freed_memory = true;
  std::vector<std::filesystem::path> plugin_path;      // searched before the built-ins
  PluginChoice appraiser{"equal", PluginConfig("appraiser", {})};
  PluginChoice policy{"sticky", PluginConfig("policy", {})};  // calm under change: the default
  PluginChoice backend{"memory", PluginConfig("backend", {})};
  RulesOptions rules;
  OwnershipOptions ownership;
  CatalogueOptions catalogue;
  WeigherOptions weigher;
};

class Options {
 public:
  // What a value was written as: TOML files carry types, overrides (flags, berth_options_set)
  // are text parsed by the key's own rules.
  enum class Kind { text, string, integer, floating, boolean, array };
  struct Value {
    std::string text;
    std::string where;  // "berth.toml:12" or "override"
    Kind kind = Kind::text;
  };

  void load_file(const std::filesystem::path& path);
  void load_string(std::string_view toml, std::string_view origin);
  // key is "section.key"; `where` names the source for messages (e.g. "--policy").
  void set(std::string_view key, std::string_view value, std::string_view where = "override");

  // Validates everything and produces the engine's options. Throws Error(BERTH_E_CONFIG) naming
  // the key and where it came from.
  EngineOptions resolve() const;
  // resolve(), then each plugin named (not given by path) must be found in the search path
  // (engine.plugin_path, then the built-ins): Error(BERTH_E_NOT_FOUND) naming the key and where
  // it came from otherwise. Apart from resolve() because the search path may be set after a name.
  EngineOptions resolve_for_open() const;

  const std::map<std::string, Value>& values() const { return values_; }

 private:
  std::map<std::string, Value> values_;  // "section.key" -> value
};

// The longest value a key takes (more is refused, whatever the key), and the longest node_id.
inline constexpr size_t kMaxValueBytes = size_t{64} << 10;
inline constexpr size_t kMaxNodeIdBytes = 4096;

// "120s", "500ms", "2m", or a plain number of seconds.
std::chrono::milliseconds parse_duration(std::string_view text);

}  // namespace berth
