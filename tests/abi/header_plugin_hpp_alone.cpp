// berth/plugin.hpp compiles on its own as strict C++17 and still gives plugin authors
// berth::plugin::Error (now from berth/error.hpp, which it includes).
#include "berth/plugin.hpp"

int plugin_hpp_is_self_contained() { return berth::plugin::Error(BERTH_E_PLUGIN, "x").code(); }
