/* berth/berth.h (the host C API) compiles on its own as strict C99. */
#include "berth/berth.h"

int berth_h_is_self_contained(void) { return BERTH_OK; }
