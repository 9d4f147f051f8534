/*
 * Berth plugin ABI: appraisers, placement policies, state backends and weighers.
 *
 * A plugin is a shared object exporting exactly one symbol, BERTH_PLUGIN_ENTRY_SYMBOL, a function
 * returning a pointer to a static berth_plugin_descriptor. The host copies the descriptor and the
 * function table into zeroed structs of its own, using the sizes the plugin declares, and rejects
 * a wrong ABI major, a newer minor, a short struct or a missing required function.
 *
 * Conventions for every function below:
 *   - a fallible call returns BERTH_OK or an error code, and on error fills `status` through
 *     host->status_set; nothing may unwind out of a plugin (catch everything in C++ plugins);
 *   - arrays are owned by the caller and valid only during the call;
 *   - `self` is what create() returned; the host serialises calls on one `self` unless a function
 *     says it may be called concurrently.
 */
#ifndef BERTH_PLUGIN_H
#define BERTH_PLUGIN_H

#include "berth/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_PLUGIN_APPRAISER 1
#define BERTH_PLUGIN_POLICY 2
#define BERTH_PLUGIN_BACKEND 3
#define BERTH_PLUGIN_WEIGHER 4 /* ABI 1.5 */

/* The one symbol a plugin exports. */
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin_entry"

typedef struct berth_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major;     /* must equal the host's BERTH_ABI_MAJOR */
  uint16_t abi_minor;     /* must be <= the host's BERTH_ABI_MINOR */
  int32_t kind;           /* BERTH_PLUGIN_APPRAISER / _POLICY / _BACKEND / _WEIGHER */
  const char *name;       /* e.g. "least_load"; what configurations name */
  const char *version;    /* the plugin's own release, e.g. "1.0.0" */
  const void *functions;  /* berth_appraiser_functions, berth_policy_functions,
                             berth_backend_functions or berth_weigher_functions, according
                             to `kind` */
} berth_plugin_descriptor;

typedef const berth_plugin_descriptor *(*berth_plugin_entry_fn)(void);

/* ---------------------------------------------------------------- the data plugins see ---- */

/*
 * The servers of one refresh, sorted by id (so index order is name order, and ties broken by
 * index are broken by name). Server i's id is id_arena[id_offsets[i] .. id_offsets[i + 1]).
 */
typedef struct berth_server_set {
  uint32_t struct_size;
  uint32_t count;
  const char *id_arena;
  const uint64_t *id_offsets; /* count + 1 entries */
  const double *capacity;     /* > 0; balance is judged per unit of capacity */
  const int32_t *state;       /* BERTH_SERVER_UP / _DRAINING / _READ_ONLY */
} berth_server_set;

/*
 * The streams of one refresh. Stream i's id is id_arena[id_offsets[i] .. id_offsets[i + 1]);
 * its tenant is tenant_arena[tenant_offsets[tenant[i]] .. tenant_offsets[tenant[i] + 1]).
 * `hash` is XXH3-64 of the id, computed once by the host so every plugin and node agree.
 */
typedef struct berth_stream_set {
  uint32_t struct_size;
  uint64_t count;
  const char *id_arena;
  const uint64_t *id_offsets; /* count + 1 entries */
  const uint64_t *hash;
  const uint32_t *tenant;     /* index into the tenant table */
  uint32_t tenant_count;
  const char *tenant_arena;
  const uint64_t *tenant_offsets; /* tenant_count + 1 entries */
  const double *reported_load;    /* load a host reported for the stream; NaN where none */
} berth_stream_set;

/* ----------------------------------------------------------------------- appraisers ---- */

typedef struct berth_appraiser_functions {
  uint32_t struct_size;
  int32_t (*create)(const berth_host_api *host, const berth_config *config, void **out_self,
                    berth_status *status);
  void (*destroy)(void *self);
  /* Fill out_load[i] (>= 0, finite) for every stream. */
  int32_t (*appraise)(void *self, const berth_stream_set *streams, double *out_load,
                      berth_status *status);
} berth_appraiser_functions;

/* ------------------------------------------------------------------ placement policies ---- */

#define BERTH_NO_CLASS UINT32_MAX /* a stream without constraints: any up server may own it */

/*
 * Where streams may go (ABI 1.1), from the operators' rules. Streams share constraint classes
 * (typically one per tenant, or per tenant and zone); class c allows the servers
 * allowed[allowed_begin[c] .. allowed_begin[c + 1]) and prefers
 * preferred[preferred_begin[c] .. preferred_begin[c + 1]), server indices ascending, every
 * preferred server also allowed.
 *   - allowed is hard: a policy never gives a constrained stream a server outside its class.
 *     A stream none of whose allowed servers can take it keeps its previous owner; if it has
 *     none, it is placed as if unconstrained. The host checks the result and reports both cases.
 *   - preferred is soft: among the allowed servers, a preferred one is taken when it has room
 *     by the policy's own measure of balance.
 * The host guarantees every class allows at least one server of the request.
 */
typedef struct berth_placement_constraints {
  uint32_t struct_size;
  uint32_t class_count;
  const uint32_t *class_of;        /* per stream: a class index, or BERTH_NO_CLASS */
  const uint64_t *allowed_begin;   /* class_count + 1 offsets into allowed */
  const uint32_t *allowed;
  const uint64_t *preferred_begin; /* class_count + 1 offsets into preferred */
  const uint32_t *preferred;
} berth_placement_constraints;

/* Everything a policy needs to compute a whole assignment. */
typedef struct berth_rebalance_request {
  uint32_t struct_size;
  const berth_server_set *servers;
  const berth_stream_set *streams;
  const double *load;             /* per stream, from the appraiser */
  const uint32_t *previous_owner; /* per stream: server index, or BERTH_NO_SERVER */
  /* ABI 1.1; read only when struct_size covers it. NULL: no constraints. */
  const berth_placement_constraints *constraints;
} berth_rebalance_request;

typedef struct berth_policy_functions {
  uint32_t struct_size;
  /* Bumped whenever the same input would produce a different assignment; snapshots record it. */
  uint32_t behaviour_version;
  int32_t (*create)(const berth_host_api *host, const berth_config *config, void **out_self,
                    berth_status *status);
  void (*destroy)(void *self);
  /* Assign every stream: out_owner[i] = a server index. BERTH_E_NO_SERVERS when none can take it. */
  int32_t (*rebalance)(void *self, const berth_rebalance_request *request, uint32_t *out_owner,
                       berth_status *status);
  /*
   * Prepare to place streams that are not in a snapshot yet. The placer must be a pure function
   * of (servers, server_load): every node builds it from the same snapshot and must give the same
   * answers. Destroyed with placer_destroy before `self` is destroyed.
   */
  int32_t (*placer_create)(void *self, const berth_server_set *servers, const double *server_load,
                           void **out_placer, berth_status *status);
  /*
   * Place one new stream. May be called concurrently from many threads on one placer.
   * BERTH_E_NO_SERVERS says the placer can place no stream at all: the host may stop asking it.
   */
  int32_t (*place)(const void *placer, uint64_t stream_hash, double load, uint32_t *out_server,
                   berth_status *status);
  void (*placer_destroy)(void *placer);
  /*
   * ABI 1.2, optional (NULL, or a table that ends before it: snapshots store every owner).
   * Where each stream sits unless the assignment says otherwise, e.g. its first hash choice:
   * out_owner[i] = a server index, or BERTH_NO_SERVER when it has none. Must be a pure function
   * of (servers, stream_hash[i]) and the behaviour version, not of the configuration or any
   * load: a snapshot of this policy then stores only the streams whose owner differs, and any
   * node with the same policy and behaviour version rebuilds the rest. May be called
   * concurrently on one `self`, with itself and with rebalance and placer_create (a node decodes
   * what others published while it refreshes), so it must not touch mutable state of `self`.
   */
  int32_t (*default_owners)(const void *self, const berth_server_set *servers, uint64_t count,
                            const uint64_t *stream_hash, uint32_t *out_owner, berth_status *status);
} berth_policy_functions;

/* -------------------------------------------------------------------- state backends ---- */

#define BERTH_CHANGED_MEMBERS 1u    /* the member list changed */
#define BERTH_CHANGED_LEADER 2u     /* leadership (or its epoch) changed */
#define BERTH_CHANGED_SNAPSHOT 4u   /* a newer snapshot version was published */
#define BERTH_CHANGED_INTAKE 8u     /* records were submitted for the leader */
#define BERTH_CHANGED_CONNECTION 16u /* connectivity to the backend changed */

/*
 * How a backend tells the host something changed. `changed` may run on any thread, including
 * inside a call the host made; it must only record the bits and wake the host, never call back
 * into the backend.
 */
typedef struct berth_backend_watch {
  uint32_t struct_size;
  void *context;
  void (*changed)(void *context, uint32_t what);
} berth_backend_watch;

typedef struct berth_leadership {
  uint32_t struct_size;
  uint64_t epoch;     /* grows with every new leader; 0 while there is none */
  int32_t is_leader;  /* 1 when this backend instance holds leadership at `epoch` */
  int32_t connected;  /* 0 while the backend cannot be reached (degraded mode) */
} berth_leadership;

/*
 * A backend instance's lease (ABI 1.4): how long what its session registered (members,
 * candidacy) surely stays registered. Ownership (docs/ownership.md) rests on it: a node stops
 * serving its streams by `valid_until_ns`, and the leader gives a server's streams to another
 * only once the server's member is gone, which the backend guarantees does not happen before.
 */
typedef struct berth_lease {
  uint32_t struct_size;
  int32_t held;            /* 1 while the session lives as far as this instance knows; 0 once it
                              is lost (expired, closed, its lock taken away) */
  uint64_t valid_until_ns; /* CLOCK_MONOTONIC nanoseconds (system-wide, comparable across
                              processes of one machine) before which no member this session
                              registered can be declared gone by anyone; UINT64_MAX when the
                              session cannot end while this process lives (only its death or
                              this instance's own calls end it) */
  uint64_t session;        /* names the session; changes whenever the instance replaces it (what
                              the old one registered may already be gone). Never 0 while held. */
  /* ABI 1.6 (read only when struct_size covers it; older plugins count as 0): how long a member
     this backend reports gone may still believe it holds what it was granted, because it can
     vanish otherwise than by its session ending after its lease (deleted or its session closed by
     someone else). The leader grants a vanished member's streams to nobody for that long. 0 where
     members cannot vanish from outside (the session's end is the only way). */
  uint64_t vanish_wait_ns;
} berth_lease;

typedef struct berth_backend_functions {
  uint32_t struct_size;
  int32_t (*create)(const berth_host_api *host, const berth_config *config,
                    const berth_backend_watch *watch, void **out_self, berth_status *status);
  void (*destroy)(void *self);
  /* Register a member (a server) for as long as this instance lives. `info` is opaque to the
     backend. Joining an id that is already registered by this instance replaces its info. */
  int32_t (*join)(void *self, const char *member_id, size_t id_len, const void *info,
                  size_t info_len, berth_status *status);
  int32_t (*leave)(void *self, const char *member_id, size_t id_len, berth_status *status);
  /* One sink_item(id, info) per live member, in any order. */
  int32_t (*members)(void *self, berth_sink *out, berth_status *status);
  /* Enter the election; leadership is reported through watch + leadership(). */
  int32_t (*campaign)(void *self, berth_status *status);
  /* Leave the election (and give up leadership if held). */
  int32_t (*resign)(void *self, berth_status *status);
  int32_t (*leadership)(void *self, berth_leadership *out, berth_status *status);
  /* Publish a snapshot as `version`. Fenced: fails with BERTH_E_FENCED unless this instance
     still leads at `epoch`; fails with BERTH_E_STATE unless version is newer than the latest. */
  int32_t (*publish)(void *self, uint64_t epoch, uint64_t version, const void *bytes, size_t len,
                     berth_status *status);
  /* The newest published version (0 if none). When it is newer than `known_version`, its bytes
     are written to `out`; otherwise nothing is written. */
  int32_t (*fetch)(void *self, uint64_t known_version, uint64_t *out_version, berth_sink *out,
                   berth_status *status);
  /* Hand records (opaque bytes) to whoever leads now or next. */
  int32_t (*submit)(void *self, const void *bytes, size_t len, berth_status *status);
  /* Leader only: take every pending submission, one sink_item("", bytes) each, oldest first. */
  int32_t (*drain)(void *self, berth_sink *out, berth_status *status);

  /*
   * ABI 1.1, optional: snapshot deltas. A version may be published as bytes that are read on top
   * of an earlier, self-contained version, its base (a checkpoint). A backend provides all three
   * functions below or none; the host treats a backend without all three (or built against ABI
   * 1.0) as "full snapshots only" and then publishes only self-contained versions. Publishing
   * through publish() is publish_based() with base_version 0.
   */
  /* Publish `version` like publish(), recording that its bytes need version `base_version`'s
     (0: self-contained). A non-zero base must be a self-contained version the backend keeps now:
     the latest version, if self-contained, or the latest version's own base; otherwise it fails
     with BERTH_E_NOT_FOUND and publishes nothing. From then on the backend keeps base_version
     fetchable (fetch_version) for as long as the latest version is based on it; versions nothing
     is based on are garbage-collected as before. */
  int32_t (*publish_based)(void *self, uint64_t epoch, uint64_t version, uint64_t base_version,
                           const void *bytes, size_t len, berth_status *status);
  /* fetch(), also telling which version the newest one is based on (0: self-contained). The base
     is reported even when no bytes are written. */
  int32_t (*fetch_latest)(void *self, uint64_t known_version, uint64_t *out_version,
                          uint64_t *out_base_version, berth_sink *out, berth_status *status);
  /* The bytes of `version` when the backend still keeps it, written to `out`; BERTH_E_NOT_FOUND
     when it does not. The latest version and the latest version's base are always kept. */
  int32_t (*fetch_version)(void *self, uint64_t version, berth_sink *out, berth_status *status);

  /*
   * ABI 1.3, optional: intake taken at least once. A backend provides both functions below or
   * neither. Without them the host takes submissions with drain(), which removes them as it hands
   * them over, so a leader that dies between drain() and its next publication loses them. With
   * them, records stay pending until the leader has published a version that includes them.
   */
  /* Leader only (else BERTH_E_STATE): every pending submission, oldest first, one
     sink_item(key, bytes) each; `key` names the record for settle_intake(): not empty, and never
     given to another record for as long as the backend's state lives (the host remembers keys
     across calls). Nothing is removed: a record read and not settled is read again, by this
     instance or by whoever leads next. */
  int32_t (*peek_intake)(void *self, berth_sink *out, berth_status *status);
  /* Removes the `count` records whose keys are key_arena[key_offsets[i] .. key_offsets[i + 1])
     (key_offsets has count + 1 entries, from 0 up to the arena's length), once a published
     version includes them. Keys that are no longer pending are ignored, so settling twice is
     harmless; a string that cannot be one of this backend's keys is BERTH_E_INVALID_ARGUMENT,
     and then nothing is removed. Any instance may settle: a leader deposed right after
     publishing still settles what it published. */
  int32_t (*settle_intake)(void *self, const char *key_arena, const uint64_t *key_offsets, size_t count,
                           berth_status *status);

  /*
   * ABI 1.4, optional: the lease (berth_lease). Unlike every other function, it may be called
   * concurrently with any function on the same `self` (the host polls it from a thread of its
   * own, every few tens of milliseconds, so it must not block on the network: answer from what
   * the instance last learnt). `out->struct_size` is set by the host; fields past it are not
   * written. Without it, the host treats the lease as held, without end, while leadership()
   * reports `connected`, which is only as safe as the backend's connection state is prompt.
   */
  int32_t (*lease)(void *self, berth_lease *out, berth_status *status);
} berth_backend_functions;

/* ------------------------------------------------------------------------- weighers ---- */

/*
 * ABI 1.5. What hosts reported about each server of a berth_server_set, as named numbers
 * ("cpu_load", "free_capacity", or any name a host chooses), smoothed by the host. Server i's
 * signals are entries k in signal_begin[i] .. signal_begin[i + 1]: name
 * name_arena[name_offsets[k] .. name_offsets[k + 1]) and value[k], finite, names ascending and
 * distinct within a server. A server nobody reported on has no entries.
 */
typedef struct berth_signal_set {
  uint32_t struct_size;
  uint32_t server_count;          /* the server set's count */
  const uint64_t *signal_begin;   /* server_count + 1 offsets into the entries */
  const char *name_arena;
  const uint64_t *name_offsets;   /* (number of entries) + 1 offsets into name_arena */
  const double *value;            /* per entry */
} berth_signal_set;

/*
 * A weigher turns signals into a target weight factor per server: the host multiplies each
 * server's configured capacity by its effective factor, which follows the target only within
 * the operator's bounds and past a hysteresis threshold (docs/catalogue.md, "Dynamic weights").
 */
typedef struct berth_weigher_functions {
  uint32_t struct_size;
  int32_t (*create)(const berth_host_api *host, const berth_config *config, void **out_self,
                    berth_status *status);
  void (*destroy)(void *self);
  /* Fill out_factor[i] (> 0, finite) for every server, from its signals; a missing signal must
     be handled (a neutral value), not an error. Deterministic: the same input gives the same
     factors on every node. */
  int32_t (*weigh)(void *self, const berth_server_set *servers, const berth_signal_set *signals,
                   double *out_factor, berth_status *status);
} berth_weigher_functions;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_PLUGIN_H */
