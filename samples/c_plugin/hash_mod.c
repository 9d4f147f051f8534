/*
 * hash_mod: a placement policy written in plain C99 against Berth's public headers alone.
 *
 * Each stream goes to the UP server at position (stream hash mod number of UP servers), counting
 * UP servers in index order. Both rebalance() and place() use that rule, so a stream placed on
 * arrival stays where it is at the next rebalance while membership is unchanged. With
 * `sticky = "true"` a rebalance keeps every stream whose previous owner is still UP, so a joining
 * server only receives new streams.
 *
 * The plugin reaches the host only through the berth_host_api it is handed (it links against
 * nothing of Berth's), reports errors as a code plus host->status_set, and exports exactly one
 * symbol, berth_plugin_entry. See README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth/plugin.h"

/* Built with -fvisibility=hidden: only what is marked with this is exported. */
#define HASH_MOD_EXPORT __attribute__((visibility("default")))

/* Bump whenever the same input would produce a different assignment (snapshots record it). */
#define HASH_MOD_BEHAVIOUR_VERSION 1

typedef struct hash_mod_policy {
  const berth_host_api *host;
  int sticky;
} hash_mod_policy;

/* The UP servers of one snapshot, in index order. Read-only once built, so place() can run on
   many threads at once. */
typedef struct hash_mod_placer {
  const berth_host_api *host;
  uint32_t up_count;
  uint32_t up[]; /* up_count entries */
} hash_mod_placer;

static int32_t fail(const berth_host_api *host, berth_status *status, int32_t code, const char *message) {
  host->status_set(status, code, message, strlen(message));
  return code;
}

/* Writes the indices of UP servers into `up` (room for servers->count) and returns how many. */
static uint32_t collect_up(const berth_server_set *servers, uint32_t *up) {
  uint32_t i, n = 0;
  for (i = 0; i < servers->count; ++i)
    if (servers->state[i] == BERTH_SERVER_UP) up[n++] = i;
  return n;
}

static uint32_t pick(const uint32_t *up, uint32_t up_count, uint64_t stream_hash) {
  return up[stream_hash % up_count];
}

/* Reads the configuration; every key this plugin does not know is an error that names it. */
static int32_t read_config(hash_mod_policy *self, const berth_config *config, berth_status *status) {
  char message[256];
  size_t i;
  if (config == NULL) return BERTH_OK;
  for (i = 0; i < config->count; ++i) {
    const berth_kv *kv = &config->items[i];
    const char *where = kv->where != NULL ? kv->where : "configuration";
    if (strcmp(kv->key, "sticky") == 0 && strcmp(kv->value, "true") == 0) {
      self->sticky = 1;
    } else if (strcmp(kv->key, "sticky") == 0 && strcmp(kv->value, "false") == 0) {
      self->sticky = 0;
    } else if (strcmp(kv->key, "sticky") == 0) {
      snprintf(message, sizeof message, "%s: %s.sticky: '%s' is not true or false", where,
               config->section, kv->value);
      return fail(self->host, status, BERTH_E_CONFIG, message);
    } else {
      snprintf(message, sizeof message, "%s: %s.%s: unknown key (hash_mod knows: sticky)", where,
               config->section, kv->key);
      return fail(self->host, status, BERTH_E_CONFIG, message);
    }
  }
  return BERTH_OK;
}

static int32_t hash_mod_create(const berth_host_api *host, const berth_config *config, void **out_self,
                               berth_status *status) {
  hash_mod_policy *self = (hash_mod_policy *)malloc(sizeof *self);
  int32_t code;
  if (self == NULL) return fail(host, status, BERTH_E_INTERNAL, "out of memory");
  self->host = host;
  self->sticky = 0;
  code = read_config(self, config, status);
  if (code != BERTH_OK) {
    free(self);
    return code;
  }
  if (host->log != NULL) {
    const char *line = self->sticky ? "created (sticky)" : "created";
    host->log(host, BERTH_LOG_DEBUG, line, strlen(line));
  }
  *out_self = self;
  return BERTH_OK;
}

static void hash_mod_destroy(void *self) { free(self); }

static int32_t hash_mod_rebalance(void *self, const berth_rebalance_request *request, uint32_t *out_owner,
                                  berth_status *status) {
  const hash_mod_policy *policy = (const hash_mod_policy *)self;
  const berth_server_set *servers = request->servers;
  const berth_stream_set *streams = request->streams;
  uint32_t *up, up_count;
  uint64_t i;

  up = (uint32_t *)malloc((servers->count + 1) * sizeof *up);
  if (up == NULL) return fail(policy->host, status, BERTH_E_INTERNAL, "out of memory");
  up_count = collect_up(servers, up);
  if (up_count == 0 && streams->count > 0) {
    free(up);
    return fail(policy->host, status, BERTH_E_NO_SERVERS, "hash_mod: no server is up to own streams");
  }
  for (i = 0; i < streams->count; ++i) {
    uint32_t previous = request->previous_owner != NULL ? request->previous_owner[i] : BERTH_NO_SERVER;
    if (policy->sticky && previous < servers->count && servers->state[previous] == BERTH_SERVER_UP)
      out_owner[i] = previous;
    else
      out_owner[i] = pick(up, up_count, streams->hash[i]);
  }
  free(up);
  return BERTH_OK;
}

static int32_t hash_mod_placer_create(void *self, const berth_server_set *servers, const double *server_load,
                                      void **out_placer, berth_status *status) {
  const hash_mod_policy *policy = (const hash_mod_policy *)self;
  hash_mod_placer *placer;
  (void)server_load; /* hashing ignores load */
  placer = (hash_mod_placer *)malloc(sizeof *placer + servers->count * sizeof placer->up[0]);
  if (placer == NULL) return fail(policy->host, status, BERTH_E_INTERNAL, "out of memory");
  placer->host = policy->host;
  placer->up_count = collect_up(servers, placer->up);
  *out_placer = placer;
  return BERTH_OK;
}

static int32_t hash_mod_place(const void *placer, uint64_t stream_hash, double load, uint32_t *out_server,
                              berth_status *status) {
  const hash_mod_placer *p = (const hash_mod_placer *)placer;
  (void)load;
  if (p->up_count == 0)
    return fail(p->host, status, BERTH_E_NO_SERVERS, "hash_mod: no server is up to place a stream on");
  *out_server = pick(p->up, p->up_count, stream_hash);
  return BERTH_OK;
}

static void hash_mod_placer_destroy(void *placer) { free(placer); }

/* ABI 1.2: where each stream sits unless the assignment says otherwise. Without `sticky` that is
   every stream, so this policy's snapshots store no owners at all; with it, only the streams kept
   on a server their hash no longer picks. A pure function of the servers and the hashes (not of
   the configuration), and safe to call from many threads: it writes only its own arrays. */
static int32_t hash_mod_default_owners(const void *self, const berth_server_set *servers, uint64_t count,
                                       const uint64_t *stream_hash, uint32_t *out_owner, berth_status *status) {
  const hash_mod_policy *policy = (const hash_mod_policy *)self;
  uint32_t *up, up_count;
  uint64_t i;
  up = (uint32_t *)malloc((servers->count + 1) * sizeof *up);
  if (up == NULL) return fail(policy->host, status, BERTH_E_INTERNAL, "out of memory");
  up_count = collect_up(servers, up);
  for (i = 0; i < count; ++i) out_owner[i] = up_count == 0 ? BERTH_NO_SERVER : pick(up, up_count, stream_hash[i]);
  free(up);
  return BERTH_OK;
}

static const berth_policy_functions hash_mod_functions = {
    /* Sizes come from the header, never typed by hand: a table built against an older header
       declares a smaller size, and the host zero-fills what it does not have. */
    .struct_size = BERTH_SIZE_THROUGH(berth_policy_functions, default_owners),
    .behaviour_version = HASH_MOD_BEHAVIOUR_VERSION,
    .create = hash_mod_create,
    .destroy = hash_mod_destroy,
    .rebalance = hash_mod_rebalance,
    .placer_create = hash_mod_placer_create,
    .place = hash_mod_place,
    .placer_destroy = hash_mod_placer_destroy,
    .default_owners = hash_mod_default_owners};

HASH_MOD_EXPORT const berth_plugin_descriptor *berth_plugin_entry(void) {
  static const berth_plugin_descriptor descriptor = {
      .struct_size = BERTH_SIZE_THROUGH(berth_plugin_descriptor, functions),
      .abi_major = BERTH_ABI_MAJOR,
      .abi_minor = BERTH_ABI_MINOR,
      .kind = BERTH_PLUGIN_POLICY,
      .name = "hash_mod",
      .version = "1.1.0",
      .functions = &hash_mod_functions};
  return &descriptor;
}
