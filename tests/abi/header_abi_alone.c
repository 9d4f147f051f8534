/* berth/abi.h compiles on its own as strict C99. */
#include "berth/abi.h"

int abi_h_is_self_contained(void) { return BERTH_ABI_MAJOR; }
