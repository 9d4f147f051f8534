// What the loader tests share: where the fixture plugins are, a private temporary directory,
// catching the error a load must fail with, and asking the dynamic linker whether a .so is mapped.
#pragma once

#include <dlfcn.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "plugin/loader.h"

namespace berth::test {

// <build>/tests/fixtures/plugins/<file>, made absolute and canonical (the loader's own key).
inline std::filesystem::path fixture_plugin(const std::string& file) {
  return std::filesystem::weakly_canonical(std::filesystem::path(BERTH_FIXTURE_PLUGIN_DIR) / file);
}

// The third-party sample policy written in C (samples/c_plugin).
inline std::filesystem::path sample_c_plugin() {
  return std::filesystem::weakly_canonical(std::filesystem::path(BERTH_SAMPLE_C_PLUGIN));
}

// For a registry that only loads by path.
inline std::vector<std::filesystem::path> no_search_dirs() { return {}; }

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "berth_loader_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Copies `from` into this directory as `name`; returns the new path.
  std::filesystem::path copy(const std::filesystem::path& from, const std::string& name) const {
    std::filesystem::copy_file(from, path_ / name);
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// The Error that loading `name_or_path` as `kind` fails with; a load that succeeds is a test failure.
inline Error load_error(PluginRegistry& registry, int32_t kind, const std::string& name_or_path) {
  try {
    registry.load(kind, name_or_path);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << name_or_path << " loaded as a " << kind_name(kind) << " but should have been rejected";
  return Error(BERTH_OK, "(loaded)");
}

// True when the dynamic linker has `so` mapped in this process. RTLD_NOLOAD never loads it; the
// reference it takes when the object is there is given back at once.
inline bool is_mapped(const std::filesystem::path& so) {
  void* handle = dlopen(so.c_str(), RTLD_NOLOAD | RTLD_NOW);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

}  // namespace berth::test
