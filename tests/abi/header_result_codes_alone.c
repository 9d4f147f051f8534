/* berth/result_codes.h compiles on its own as strict C99. */
#include "berth/result_codes.h"

int result_codes_h_is_self_contained(void) { return BERTH_E_INVALID_ARGUMENT; }
