/* A C host built with `pkg-config --cflags --libs berth` and nothing else, run without any
   environment variable. It checks that the installed header, the library it runs against and the
   .pc file (BERTH_PC_VERSION, passed by the test from `pkg-config --modversion berth`) name one
   version, then places a stream with the built-in plugins the installed library finds itself. */
#define _POSIX_C_SOURCE 199309L /* nanosleep under strict C99 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "berth/berth.h"
#include "berth/version.h"

static int fail(const char *what, berth_error *err) {
  fprintf(stderr, "pkg_config_host: %s: %s\n", what, err != NULL ? berth_error_message(err) : "failed");
  berth_error_free(err);
  return 1;
}

int main(void) {
  berth_options *options = NULL;
  berth_engine *engine = NULL;
  berth_error *err = NULL;
  berth_engine_status status;
  const char *owner = NULL;
  int i;

  printf("berth %s\n", berth_version());
  if (strcmp(berth_version(), BERTH_VERSION_STRING) != 0 || strcmp(BERTH_VERSION_STRING, BERTH_PC_VERSION) != 0) {
    fprintf(stderr, "pkg_config_host: versions differ: library %s, berth/version.h %s, berth.pc %s\n", berth_version(),
            BERTH_VERSION_STRING, BERTH_PC_VERSION);
    return 1;
  }
  if (berth_options_new(&options, &err) != BERTH_OK) return fail("options", err);
  if (berth_options_load_string(options,
                                "[policy]\nname = \"least_load\"\n[appraiser]\nname = \"equal\"\n"
                                "[backend]\nname = \"memory\"\n[engine]\nnode_id = \"pkg-config-host\"\n",
                                "pkg-config-host", &err) != BERTH_OK)
    return fail("configuration", err);
  if (berth_engine_open(options, &engine, &err) != BERTH_OK) return fail("open", err);
  if (berth_engine_join(engine, "server-a", 1.0, &err) != BERTH_OK) return fail("join", err);
  if (berth_engine_add_stream(engine, "stream-1", 8, "", 1.0, &err) != BERTH_OK) return fail("add", err);
  if (berth_engine_flush(engine, &err) != BERTH_OK) return fail("flush", err);
  memset(&status, 0, sizeof status);
  status.struct_size = sizeof status;
  for (i = 0; i < 5000 && !status.is_leader; ++i) { /* the engine's own thread takes leadership */
    struct timespec ms = {0, 1000000};
    if (berth_engine_status_get(engine, &status, &err) != BERTH_OK) return fail("status", err);
    if (!status.is_leader) nanosleep(&ms, NULL);
  }
  if (berth_engine_refresh(engine, &err) != BERTH_OK) return fail("refresh", err);
  if (berth_engine_lookup(engine, "stream-1", 8, &owner, &err) != BERTH_OK) return fail("lookup", err);
  printf("stream-1 -> %s\n", owner);
  berth_engine_close(engine);
  berth_options_free(options);
  return 0;
}
