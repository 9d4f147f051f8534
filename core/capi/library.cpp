// libberth.so is the core static library linked whole; this file only gives the target a source.
// Only functions marked BERTH_API (the host C API of berth/berth.h) are exported.
#include "capi/capi_support.h"
