/* berth/plugin.h compiles on its own as strict C99. */
#include "berth/plugin.h"

int plugin_h_is_self_contained(void) { return BERTH_PLUGIN_POLICY; }
