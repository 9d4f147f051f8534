/* The optional HTTP endpoint for the process's metrics: libberth_metrics_http.so, linked on top
   of libberth.so so that libberth itself needs no HTTP library (cpp-httplib brings OpenSSL, zlib
   and brotli). Off unless a host or `berth serve-metrics` starts it (docs/metrics.md). */
#ifndef BERTH_METRICS_HTTP_H
#define BERTH_METRICS_HTTP_H

#include "berth/berth.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_metrics_server berth_metrics_server;

/* Starts an HTTP endpoint on `bind_address` (an IP address; NULL or "" is 127.0.0.1) and `port`
   (0: a free one, see berth_metrics_server_port), served from a thread of its own pool (two
   threads); it never calls into the host:
     GET /metrics  what berth_metrics_text_all returns, at the time of the request;
     GET /healthz  what berth_metrics_health_all returns, with its status code (200 or 503).
   Engines opened or closed later are served as they come and go. BERTH_E_UNAVAILABLE when
   another process holds the port, BERTH_E_INVALID_ARGUMENT when the address cannot be bound
   otherwise (the message names it). */
int32_t berth_metrics_server_start(const char *bind_address, uint16_t port, berth_metrics_server **out,
                                   berth_error **err);
/* The port the endpoint listens on; 0 for NULL. */
uint16_t berth_metrics_server_port(const berth_metrics_server *server);
/* Stops listening and returns once the requests in progress are answered; a client holding a
   keep-alive connection open can make this wait up to httplib's keep-alive timeout (5 s).
   NULL is ignored. */
void berth_metrics_server_stop(berth_metrics_server *server);

/* Where an endpoint takes its texts from: a program that links the engine statically (as the
   `berth` tool does) passes its own copies of the two functions, so the endpoint serves that
   program's engines rather than those of a libberth.so it does not use. */
typedef struct berth_metrics_sources {
  int32_t (*text_all)(char **out_text, berth_error **err);
  int32_t (*health_all)(char **out_json, int32_t *out_status, berth_error **err);
  void (*string_free)(char *text);
} berth_metrics_sources;

/* berth_metrics_server_start with the texts taken from `sources` (copied; not NULL). */
int32_t berth_metrics_server_start_from(const char *bind_address, uint16_t port, const berth_metrics_sources *sources,
                                        berth_metrics_server **out, berth_error **err);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_METRICS_HTTP_H */
