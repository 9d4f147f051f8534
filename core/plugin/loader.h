// Loads plugin shared objects, validates them against the ABI, and keeps each loaded while
// anything created from it is alive (every object holds a shared_ptr to its LoadedPlugin).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "berth/plugin.h"

namespace berth {

// A validated plugin. The function tables are the host's own zero-filled copies, so fields a
// plugin built against an older minor does not have read as NULL.
struct LoadedPlugin {
  boost::dll::shared_library library;  // first member: destroyed last, after everything else
  std::filesystem::path path;
  int32_t kind = 0;
  std::string name;
  std::string version;
  uint16_t abi_major = 0;
  uint16_t abi_minor = 0;
  berth_host_api host{};  // host_data points at `name`
  berth_appraiser_functions appraiser{};
  berth_policy_functions policy{};
  berth_backend_functions backend{};
  berth_weigher_functions weigher{};

  LoadedPlugin() = default;
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;
};

const char* kind_name(int32_t kind) noexcept;  // "appraiser", "policy", "backend", "weigher"

// Where the built-in plugins are: next to the image holding the core (lib/berth/plugins, or
// ../lib/berth/plugins from a bin/ directory). No environment variable needed.
std::filesystem::path builtin_plugin_dir();

// An explicit registry (no global state): the directories to search and the plugins loaded.
class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> search_dirs = {builtin_plugin_dir()});

  // `name_or_path` is a plugin name ("least_load", found as berth_<kind>_<name>.so in the search
  // directories) or a path to a .so (anything containing '/'). Throws Error(BERTH_E_PLUGIN or
  // BERTH_E_NOT_FOUND) with a message naming the file and the reason.
  std::shared_ptr<const LoadedPlugin> load(int32_t kind, std::string_view name_or_path);

  struct Available {
    int32_t kind;
    std::string name;
    std::filesystem::path path;
  };
  // The plugins in the search directories, by file name (not loaded).
  std::vector<Available> available() const;

  const std::vector<std::filesystem::path>& search_dirs() const { return dirs_; }

  // The file load() would open for `name_or_path`, without opening it; throws as load() does
  // when a name is found in no search directory.
  std::filesystem::path locate(int32_t kind, std::string_view name_or_path) const { return resolve(kind, name_or_path); }

 private:
  std::filesystem::path resolve(int32_t kind, std::string_view name_or_path) const;

  std::vector<std::filesystem::path> dirs_;
  std::mutex mutex_;
  std::map<std::filesystem::path, std::weak_ptr<const LoadedPlugin>> loaded_;
};

}  // namespace berth
