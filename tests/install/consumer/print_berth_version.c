/* Prints the version of the libberth it runs against; fails unless it is the version CMake's
   find_package(Berth) reported, so the headers, the package and the library agree. */
#include <stdio.h>
#include <string.h>

#include "berth/berth.h"

int main(void) {
  const char *version = berth_version();
  printf("berth %s\n", version);
  if (strcmp(version, BERTH_EXPECTED_VERSION) != 0) {
    fprintf(stderr, "libberth says %s, the CMake package says %s\n", version, BERTH_EXPECTED_VERSION);
    return 1;
  }
  return 0;
}
