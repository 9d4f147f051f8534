/* A C host built with `pkg-config --cflags --libs berth-metrics-http` and nothing else, run
   without any environment variable: two engines in one process (nodes "host-a" and "host-b" of
   one cluster on the memory backend) and the installed HTTP endpoint on a free loopback port.
   It prints `port=<N>` once serving, then serves until its standard input closes, so that the
   caller scrapes /metrics and /healthz of a process holding two engines. */
#include <stdio.h>

#include "berth/berth.h"
#include "berth/metrics_http.h"

static int fail(const char *what, berth_error *err) {
  fprintf(stderr, "metrics_host: %s: %s\n", what, err != NULL ? berth_error_message(err) : "failed");
  berth_error_free(err);
  return 1;
}

static int open_engine(const char *node, berth_engine **out) {
  berth_options *options = NULL;
  berth_error *err = NULL;
  int status = 0;
  if (berth_options_new(&options, &err) != BERTH_OK) return fail("options", err);
  if (berth_options_set(options, "backend.name", "memory", &err) != BERTH_OK ||
      berth_options_set(options, "backend.cluster", "metrics-host", &err) != BERTH_OK ||
      berth_options_set(options, "engine.node_id", node, &err) != BERTH_OK)
    status = fail("settings", err);
  else if (berth_engine_open(options, out, &err) != BERTH_OK)
    status = fail(node, err);
  berth_options_free(options);
  return status;
}

int main(void) {
  berth_engine *a = NULL;
  berth_engine *b = NULL;
  berth_metrics_server *server = NULL;
  berth_error *err = NULL;
  int status = 1;

  if (open_engine("host-a", &a) != 0 || open_engine("host-b", &b) != 0) goto done;
  if (berth_engine_join(a, "server-a", 1.0, &err) != BERTH_OK) {
    status = fail("join", err);
    goto done;
  }
  if (berth_metrics_server_start("127.0.0.1", 0, &server, &err) != BERTH_OK) {
    status = fail("endpoint", err);
    goto done;
  }
  printf("port=%u\n", (unsigned)berth_metrics_server_port(server));
  fflush(stdout);
  while (getchar() != EOF) {
  }
  status = 0;
done:
  berth_metrics_server_stop(server);
  berth_engine_close(b);
  berth_engine_close(a);
  return status;
}
