/*
 * free_space: a weigher (ABI 1.5) written in plain C99 against Berth's public headers alone.
 *
 * A server's factor is `floor + free_capacity`, free_capacity (the share of its storage still
 * free) clamped to [0, 1]; a server that reported none, or a value that is not finite, counts as
 * half free. With floor > 0 every factor is > 0 and finite. Key: `floor` (default 0.25, a number
 * in [0.01, 10]). See README.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/plugin.h"

#define FREE_SPACE_EXPORT __attribute__((visibility("default")))

typedef struct free_space_weigher {
  const berth_host_api *host;
  double floor;
} free_space_weigher;

static int32_t fail(const berth_host_api *host, berth_status *status, int32_t code, const char *message) {
  host->status_set(status, code, message, strlen(message));
  return code;
}

static int32_t read_config(free_space_weigher *self, const berth_config *config, berth_status *status) {
  char message[256];
  size_t i;
  if (config == NULL) return BERTH_OK;
  for (i = 0; i < config->count; ++i) {
    const berth_kv *kv = &config->items[i];
    if (strcmp(kv->key, "floor") == 0) {
      char *end = NULL;
      double value = strtod(kv->value, &end);
      if (end == kv->value || *end != '\0' || !isfinite(value) || value < 0.01 || value > 10) {
        snprintf(message, sizeof message, "%s: weigher.floor: '%s' is not a number in [0.01, 10]",
                 kv->where != NULL ? kv->where : "?", kv->value);
        return fail(self->host, status, BERTH_E_CONFIG, message);
      }
      self->floor = value;
    } else {
      snprintf(message, sizeof message, "%s: weigher.%s: unknown key (free_space takes floor)",
               kv->where != NULL ? kv->where : "?", kv->key);
      return fail(self->host, status, BERTH_E_CONFIG, message);
    }
  }
  return BERTH_OK;
}

static int32_t create(const berth_host_api *host, const berth_config *config, void **out_self,
                      berth_status *status) {
  int32_t code;
  free_space_weigher *self = (free_space_weigher *)calloc(1, sizeof *self);
  if (self == NULL) return fail(host, status, BERTH_E_INTERNAL, "free_space: out of memory");
  self->host = host;
  self->floor = 0.25;
  code = read_config(self, config, status);
  if (code != BERTH_OK) {
    free(self);
    return code;
  }
  *out_self = self;
  return BERTH_OK;
}

static void destroy(void *self) { free(self); }

static int is_named(const berth_signal_set *signals, uint64_t k, const char *name) {
  size_t len = (size_t)(signals->name_offsets[k + 1] - signals->name_offsets[k]);
  return len == strlen(name) && memcmp(signals->name_arena + signals->name_offsets[k], name, len) == 0;
}

static int32_t weigh(void *self_, const berth_server_set *servers, const berth_signal_set *signals,
                     double *out_factor, berth_status *status) {
  const free_space_weigher *self = (const free_space_weigher *)self_;
  uint32_t i;
  uint64_t k;
  if (signals->server_count != servers->count)
    return fail(self->host, status, BERTH_E_INVALID_ARGUMENT, "free_space: signals and servers differ in count");
  for (i = 0; i < servers->count; ++i) {
    double free = 0.5;
    for (k = signals->signal_begin[i]; k < signals->signal_begin[i + 1]; ++k)
      if (is_named(signals, k, "free_capacity") && isfinite(signals->value[k])) free = signals->value[k];
    if (free < 0) free = 0;
    if (free > 1) free = 1;
    out_factor[i] = self->floor + free;
  }
  return BERTH_OK;
}

static const berth_weigher_functions functions = {
    BERTH_SIZE_THROUGH(berth_weigher_functions, weigh), create, destroy, weigh};

static const berth_plugin_descriptor descriptor = {
    BERTH_SIZE_THROUGH(berth_plugin_descriptor, functions),
    BERTH_ABI_MAJOR,
    5, /* the oldest minor with weighers */
    BERTH_PLUGIN_WEIGHER,
    "free_space",
    "1.0.0",
    &functions};

FREE_SPACE_EXPORT const berth_plugin_descriptor *berth_plugin_entry(void) { return &descriptor; }
