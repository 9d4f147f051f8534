#include "tools/settings.h"

#include "common/error.h"

namespace berth::tools {

void apply_settings(Options& options, const std::vector<std::string>& settings) {
  for (const std::string& setting : settings) {
    const size_t eq = setting.find('=');
    if (eq == std::string::npos) throw Error(BERTH_E_CONFIG, "--set " + setting + ": expected section.key=value");
    options.set(setting.substr(0, eq), setting.substr(eq + 1), "--set " + setting);
  }
}

}  // namespace berth::tools
