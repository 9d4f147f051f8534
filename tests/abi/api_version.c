/*
 * The host C API version libberth reports is the one its header declares, and it is numbered
 * apart from the plugin ABI: this is the check a host makes at start (same major, a minor at
 * least the one it was built against).
 */
#include <stdio.h>

#include "berth/berth.h"

int main(void) {
  uint32_t running = berth_api_version();
  uint32_t major = running >> 16, minor = running & 0xFFFFu;
  if (major != BERTH_API_VERSION_MAJOR || minor < BERTH_API_VERSION_MINOR) {
    fprintf(stderr, "FAIL libberth speaks host C API %u.%u, this test was built against %d.%d\n", (unsigned)major,
            (unsigned)minor, BERTH_API_VERSION_MAJOR, BERTH_API_VERSION_MINOR);
    return 1;
  }
  if (minor != BERTH_API_VERSION_MINOR) {
    fprintf(stderr, "FAIL libberth of this build reports minor %u, its header says %d\n", (unsigned)minor,
            BERTH_API_VERSION_MINOR);
    return 1;
  }
  printf("host C API %u.%u (plugin ABI %d.%d)\n", (unsigned)major, (unsigned)minor, BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
  return 0;
}
