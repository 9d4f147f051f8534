#include "plugin/loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "plugin/host_api.h"

namespace berth {
namespace fs = std::filesystem;

const char* kind_name(int32_t kind) noexcept {
  switch (kind) {
    case BERTH_PLUGIN_APPRAISER: return "appraiser";
    case BERTH_PLUGIN_POLICY: return "policy";
    case BERTH_PLUGIN_BACKEND: return "backend";
    case BERTH_PLUGIN_WEIGHER: return "weigher";
    default: return "unknown-kind";
  }
}

fs::path builtin_plugin_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&builtin_plugin_dir), &info) == 0 || info.dli_fname == nullptr)
    return fs::path("lib/berth/plugins");
  std::error_code ec;
  fs::path image = fs::canonical(fs::path(info.dli_fname), ec);
  if (ec) image = fs::path(info.dli_fname);
  fs::path dir = image.parent_path();
  for (const fs::path& candidate : {dir / "berth/plugins", dir.parent_path() / "lib/berth/plugins",
                                    dir.parent_path() / BERTH_INSTALL_LIBDIR / "berth/plugins"}) {
    if (fs::is_directory(candidate, ec)) return candidate;
  }
  return dir / "berth/plugins";
}

namespace {

[[noreturn]] void reject(const fs::path& path, const std::string& reason) {
  throw Error(BERTH_E_PLUGIN, "plugin " + path.string() + ": " + reason);
}

// Copies a plugin's struct into the host's zeroed one, after checking the size it declares.
template <class T>
void copy_table(const fs::path& path, const char* what, const void* source, size_t required, T* into) {
  if (source == nullptr) reject(path, std::string(what) + " is NULL");
  uint32_t declared = 0;
  std::memcpy(&declared, source, sizeof declared);  // every table starts with struct_size
  if (declared < required)
    reject(path, std::string(what) + " is " + std::to_string(declared) + " bytes, at least " +
                     std::to_string(required) + " required");
  *into = T{};
  std::memcpy(static_cast<void*>(into), source, std::min<size_t>(declared, sizeof(T)));
}

// Why dlopen refused a file. Boost.DLL reports "... (dlerror system message: <why>): <errno text>",
// where the errno text is unrelated (e.g. "Bad file descriptor"): keep only dlerror's <why>.
std::string dlopen_failure(const std::exception& e) {
  const std::string what = e.what();
  const std::string marker = "dlerror system message: ";
  size_t begin = what.find(marker);
  size_t end = what.rfind("): ");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return what;
  begin += marker.size();
  return what.substr(begin, end - begin);
}

// The plugin must be of the kind asked for and, when asked for by name, call itself that name.
// Checked on every load, including one answered from the cache.
void check_identity(const fs::path& path, const LoadedPlugin& plugin, int32_t kind,
                    std::string_view name_or_path) {
  if (plugin.kind != kind)
    reject(path, std::string("its kind is ") + kind_name(plugin.kind) + ", not " + kind_name(kind));
  if (name_or_path.find('/') == std::string_view::npos && plugin.name != name_or_path)
    reject(path, "calls itself '" + plugin.name + "', not '" + std::string(name_or_path) + "'");
}

void require(const fs::path& path, const void* fn, const char* name) {
  if (fn == nullptr) reject(path, std::string("required function '") + name + "' is missing");
}

void validate_functions(LoadedPlugin& p, const void* functions) {
  switch (p.kind) {
    case BERTH_PLUGIN_APPRAISER:
      copy_table(p.path, "appraiser function table", functions,
                 BERTH_SIZE_THROUGH(berth_appraiser_functions, appraise), &p.appraiser);
      require(p.path, reinterpret_cast<const void*>(p.appraiser.create), "create");
      require(p.path, reinterpret_cast<const void*>(p.appraiser.destroy), "destroy");
      require(p.path, reinterpret_cast<const void*>(p.appraiser.appraise), "appraise");
      break;
    case BERTH_PLUGIN_POLICY:
      copy_table(p.path, "policy function table", functions,
                 BERTH_SIZE_THROUGH(berth_policy_functions, placer_destroy), &p.policy);
      require(p.path, reinterpret_cast<const void*>(p.policy.create), "create");
      require(p.path, reinterpret_cast<const void*>(p.policy.destroy), "destroy");
      require(p.path, reinterpret_cast<const void*>(p.policy.rebalance), "rebalance");
      require(p.path, reinterpret_cast<const void*>(p.policy.placer_create), "placer_create");
      require(p.path, reinterpret_cast<const void*>(p.policy.place), "place");
      require(p.path, reinterpret_cast<const void*>(p.policy.placer_destroy), "placer_destroy");
      break;
    case BERTH_PLUGIN_BACKEND: {
      copy_table(p.path, "backend function table", functions,
                 BERTH_SIZE_THROUGH(berth_backend_functions, drain), &p.backend);
      const auto& b = p.backend;
      const std::pair<const void*, const char*> fns[] = {
          {reinterpret_cast<const void*>(b.create), "create"},
          {reinterpret_cast<const void*>(b.destroy), "destroy"},
          {reinterpret_cast<const void*>(b.join), "join"},
          {reinterpret_cast<const void*>(b.leave), "leave"},
          {reinterpret_cast<const void*>(b.members), "members"},
          {reinterpret_cast<const void*>(b.campaign), "campaign"},
          {reinterpret_cast<const void*>(b.resign), "resign"},
          {reinterpret_cast<const void*>(b.leadership), "leadership"},
          {reinterpret_cast<const void*>(b.publish), "publish"},
          {reinterpret_cast<const void*>(b.fetch), "fetch"},
          {reinterpret_cast<const void*>(b.submit), "submit"},
          {reinterpret_cast<const void*>(b.drain), "drain"}};
      for (const auto& [fn, name] : fns) require(p.path, fn, name);
      break;
    }
    case BERTH_PLUGIN_WEIGHER:
      copy_table(p.path, "weigher function table", functions, BERTH_SIZE_THROUGH(berth_weigher_functions, weigh),
                 &p.weigher);
      require(p.path, reinterpret_cast<const void*>(p.weigher.create), "create");
      require(p.path, reinterpret_cast<const void*>(p.weigher.destroy), "destroy");
      require(p.path, reinterpret_cast<const void*>(p.weigher.weigh), "weigh");
      break;
    default:
      reject(p.path, "unknown plugin kind " + std::to_string(p.kind));
  }
}

}  // namespace

PluginRegistry::PluginRegistry(std::vector<fs::path> search_dirs) : dirs_(std::move(search_dirs)) {}

fs::path PluginRegistry::resolve(int32_t kind, std::string_view name_or_path) const {
  if (name_or_path.empty()) throw Error(BERTH_E_CONFIG, std::string(kind_name(kind)) + " plugin name is empty");
  if (name_or_path.find('/') != std::string_view::npos) return fs::path(name_or_path);
  std::string file = std::string("berth_") + kind_name(kind) + "_" + std::string(name_or_path) + ".so";
  std::string searched;
  for (const fs::path& dir : dirs_) {
    std::error_code ec;
    if (fs::exists(dir / file, ec)) return dir / file;
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  throw Error(BERTH_E_NOT_FOUND, std::string("no ") + kind_name(kind) + " plugin named '" +
                                     std::string(name_or_path) + "' (looked for " + file + " in " +
                                     (searched.empty() ? std::string("no directories") : searched) + ")");
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::load(int32_t kind, std::string_view name_or_path) {
  fs::path path = resolve(kind, name_or_path);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(BERTH_E_NOT_FOUND, "plugin " + path.string() + ": no such file");
  fs::path key = fs::weakly_canonical(path, ec);
  if (ec) key = path;

  std::lock_guard lock(mutex_);
  if (auto it = loaded_.find(key); it != loaded_.end()) {
    if (auto alive = it->second.lock()) {
      check_identity(path, *alive, kind, name_or_path);
      return alive;
    }
  }

  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->path = path;
  try {
    // RTLD_LOCAL: plugins never see each other's symbols; RTLD_NOW: unresolved symbols fail here.
    plugin->library.load(key, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& e) {
    reject(path, "not a loadable shared object: " + dlopen_failure(e));
  }
  if (!plugin->library.has(BERTH_PLUGIN_ENTRY_SYMBOL))
    reject(path, std::string("no entry symbol '") + BERTH_PLUGIN_ENTRY_SYMBOL + "'");
  auto entry = plugin->library.get<const berth_plugin_descriptor*()>(BERTH_PLUGIN_ENTRY_SYMBOL);

  const berth_plugin_descriptor* source = nullptr;
  try {
    source = entry();
  } catch (...) {
    reject(path, "entry symbol threw an exception across the C ABI");
  }
  berth_plugin_descriptor descriptor{};
  if (source == nullptr) reject(path, std::string(BERTH_PLUGIN_ENTRY_SYMBOL) + " returned NULL instead of a descriptor");
  copy_table(path, "descriptor", source, BERTH_SIZE_THROUGH(berth_plugin_descriptor, functions), &descriptor);
  // A plugin is held to the plugin ABI's version (berth/abi.h) and to nothing else: the host C
  // API's version (BERTH_API_VERSION_*, berth/berth.h) moves for hosts only, and a host-only
  // change must never make a host refuse a plugin it can run.
  if (descriptor.abi_major != BERTH_ABI_MAJOR)
    reject(path, "built for ABI major " + std::to_string(descriptor.abi_major) + ", this host speaks " +
                     std::to_string(BERTH_ABI_MAJOR));
  if (descriptor.abi_minor > BERTH_ABI_MINOR)
    reject(path, "built for ABI " + std::to_string(descriptor.abi_major) + "." +
                     std::to_string(descriptor.abi_minor) + ", newer than this host's " +
                     std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(BERTH_ABI_MINOR));
  if (descriptor.name == nullptr || descriptor.name[0] == '\0') reject(path, "descriptor has no name");
  plugin->kind = descriptor.kind;
  plugin->name = descriptor.name;
  plugin->version = descriptor.version != nullptr ? descriptor.version : "";
  plugin->abi_major = descriptor.abi_major;
  plugin->abi_minor = descriptor.abi_minor;
  check_identity(path, *plugin, kind, name_or_path);
  validate_functions(*plugin, descriptor.functions);
  plugin->host = make_host_api(&plugin->name);

  loaded_[key] = plugin;
  return plugin;
}

std::vector<PluginRegistry::Available> PluginRegistry::available() const {
  std::vector<Available> out;
  for (const fs::path& dir : dirs_) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file(ec)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // stable output, whatever the directory order
    for (const fs::path& path : files) {
      std::string file = path.filename().string();
      if (file.rfind("berth_", 0) != 0 || path.extension() != ".so") continue;
      std::string stem = path.stem().string().substr(6);
      for (int32_t kind : {BERTH_PLUGIN_APPRAISER, BERTH_PLUGIN_POLICY, BERTH_PLUGIN_BACKEND, BERTH_PLUGIN_WEIGHER}) {
        std::string prefix = std::string(kind_name(kind)) + "_";
        if (stem.rfind(prefix, 0) == 0) out.push_back({kind, stem.substr(prefix.size()), path});
      }
    }
  }
  return out;
}

}  // namespace berth
