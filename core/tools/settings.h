// The command line's `--set section.key=value` overrides, applied to options in the order given,
// each one named in errors by the flag that set it.
#pragma once

#include <string>
#include <vector>

#include "config/options.h"

namespace berth::tools {

// Sets each "section.key=value" on `options`, the origin "--set <setting>". Throws
// Error(BERTH_E_CONFIG) for a setting without '=' and whatever Options::set throws for a bad key
// or value.
void apply_settings(Options& options, const std::vector<std::string>& settings);

}  // namespace berth::tools
