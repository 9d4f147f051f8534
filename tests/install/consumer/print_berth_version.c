#define _POSIX_C_SOURCE 199309L /* nanosleep under strict C99 */
/* An outside program that knows Berth only through the installed package. It prints the version
   of the libberth it runs against (failing unless it is the version find_package(Berth) reported),
   then opens an engine with the built-in plugins, named only by name, publishes and looks a stream
   up: proof that the installed libberth finds its plugins by itself. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"

static int fail(const char *what, berth_error *err) {
  fprintf(stderr, "%s: %s\n", what, err != NULL ? berth_error_message(err) : "failed");
  berth_error_free(err);
  return 1;
}

int main(void) {
  const char *version = berth_version();
  berth_options *options = NULL;
  berth_engine *engine = NULL;
  berth_error *err = NULL;
  berth_engine_status status;
  const char *owner = NULL;
  int i;

  printf("berth %s\n", version);
  if (strcmp(version, BERTH_EXPECTED_VERSION) != 0) {
    fprintf(stderr, "libberth says %s, the CMake package says %s\n", version, BERTH_EXPECTED_VERSION);
    return 1;
  }
  if (berth_options_new(&options, &err) != BERTH_OK) return fail("options", err);
  if (berth_options_load_string(options,
                                "[policy]\nname = \"least_load\"\n[appraiser]\nname = \"equal\"\n"
                                "[backend]\nname = \"memory\"\n[engine]\nnode_id = \"consumer\"\n",
                                "consumer", &err) != BERTH_OK)
    return fail("configuration", err);
  if (berth_engine_open(options, &engine, &err) != BERTH_OK) return fail("open", err);
  if (berth_engine_join(engine, "server-a", 1.0, &err) != BERTH_OK) return fail("join", err);
  if (berth_engine_add_stream(engine, "stream-1", 8, "", 1.0, &err) != BERTH_OK) return fail("add", err);
  if (berth_engine_flush(engine, &err) != BERTH_OK) return fail("flush", err);
  status.struct_size = sizeof status;
  for (i = 0; i < 5000; ++i) { /* leadership is taken by the engine's own thread */
    struct timespec ms = {0, 1000000};
    if (berth_engine_status_get(engine, &status, &err) != BERTH_OK) return fail("status", err);
    if (status.is_leader) break;
    nanosleep(&ms, NULL);
  }
  if (berth_engine_refresh(engine, &err) != BERTH_OK) return fail("refresh", err);
  if (berth_engine_lookup(engine, "stream-1", 8, &owner, &err) != BERTH_OK) return fail("lookup", err);
  printf("stream-1 -> %s\n", owner);
  berth_engine_close(engine);
  berth_options_free(options);
  return strcmp(owner, "server-a") == 0 ? 0 : 1;
}
