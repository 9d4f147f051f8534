/*
 * Berth host C API: what a host (a C++ service, a JNI bridge, a Python module) calls to embed
 * the engine.
 *
 * Conventions, chosen so SWIG can wrap this file with a handful of typemaps and no glue:
 *   - every fallible call returns BERTH_OK or an error code (berth/result_codes.h) and, when
 *     `err` is not NULL, stores a berth_error the caller frees with berth_error_free;
 *   - strings go in as `const char *` (NUL-terminated) or `const char *` + length; strings coming
 *     out are either owned by the library with a lifetime stated on the function, or allocated
 *     for the caller and freed with berth_string_free;
 *   - every function may be called from any thread unless it says otherwise.
 *
 * Naming, for every function added from now on (shipped names stay as they are; the exceptions
 * are listed below):
 *   - berth_<object>_<verb>, where <object> is the handle the call creates, or else the handle
 *     type of its first argument;
 *   - a handle that runs something (threads, a connection, a registration) is made by
 *     berth_<object>_open and ended by berth_<object>_close: berth_engine_open / _close,
 *     berth_events_open / _close (opened from an engine, named after what it makes);
 *   - a plain value the caller owns is made by berth_<object>_new and ended by
 *     berth_<object>_free (berth_options_new / _free); _free also ends anything the library
 *     allocated and handed over (berth_error_free, berth_string_free);
 *   - a counted reference to something shared and immutable is taken by
 *     berth_<object>_acquire(<owner>, &out) and dropped by berth_<object>_release; the object
 *     lives on while anyone holds it;
 *   - a property that cannot fail is returned directly and named after itself:
 *     berth_snapshot_version; an item by index is berth_<object>_<item>(object, index, out...):
 *     berth_snapshot_server;
 *   - state copied into a caller's versioned struct (struct_size set by the caller) is
 *     berth_<object>_<what>_get: berth_engine_status_get, berth_engine_metrics_get;
 *   - text allocated for the caller is berth_<object>_<what>_text, freed with berth_string_free.
 * Exceptions, kept because they shipped: berth_engine_snapshot takes a snapshot reference (by the
 * rule, berth_snapshot_acquire), dropped with berth_snapshot_release; berth_version and
 * berth_api_version are library-wide and have no object.
 *
 * Versions: BERTH_API_VERSION_MAJOR / _MINOR number this file apart from the plugin ABI
 * (BERTH_ABI_MAJOR / _MINOR in berth/abi.h). Anything appended here (a function, a struct field,
 * a constant) bumps the minor; a host built against x.y runs with any libberth x.z, z >= y, and
 * can check with berth_api_version(). Removing or changing anything bumps the major. A change
 * here never moves the plugin ABI's numbers, so a host-only change never makes a host refuse a
 * plugin. Versions 1.0 to 1.3 of the two are the same releases, so "1.2" below reads the same
 * on either side.
 */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include "berth/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_API_VERSION_MAJOR 1
#define BERTH_API_VERSION_MINOR 9 /* 1.2: berth_metrics from snapshots_rejected on;
                                     1.4: berth_api_version;
                                     1.5: ownership (berth_ownership_*, berth_held_*,
                                          berth_engine_drain), berth_metrics from
                                          handoffs_started on;
                                     1.6: the catalogue (docs/catalogue.md): operator
                                          servers, locate, migrations and deletions,
                                          signals, shared rules;
                                     1.7: servers marked for data migration,
                                          berth_locate_why;
                                     1.8: metrics of every engine of the process
                                          (berth_metrics_text_all,
                                          berth_metrics_health_all);
                                     1.9: the host's log (berth_log_*) */

/* ------------------------------------------------------------------------------ errors ---- */

typedef struct berth_error berth_error;

int32_t berth_error_code(const berth_error *error);
/* Valid until berth_error_free. */
const char *berth_error_message(const berth_error *error);
void berth_error_free(berth_error *error);

/* Frees a string the library allocated for the caller. */
void berth_string_free(char *text);

/* The library's release, e.g. "0.1.0"; static storage. */
const char *berth_version(void);

/* The host C API version of the library running: major << 16 | minor. A host built against
   BERTH_API_VERSION_MAJOR.MINOR needs the same major and a minor at least its own. (API 1.4) */
uint32_t berth_api_version(void);

/* ----------------------------------------------------------------------------- options ---- */

/*
 * Engine configuration: TOML files or strings, then individual overrides. Keys are
 * "section.key", e.g. "engine.refresh_interval", "policy.name", "backend.cluster".
 * A bad key or value is reported with the key and where it came from (file and line).
 */
typedef struct berth_options berth_options;

int32_t berth_options_new(berth_options **out, berth_error **err);
void berth_options_free(berth_options *options);
int32_t berth_options_load_file(berth_options *options, const char *path, berth_error **err);
/* `origin` names the text in error messages (e.g. "inline"). */
int32_t berth_options_load_string(berth_options *options, const char *toml, const char *origin,
                                  berth_error **err);
int32_t berth_options_set(berth_options *options, const char *key, const char *value,
                          berth_error **err);

/* ------------------------------------------------------------------------------ engine ---- */

typedef struct berth_engine berth_engine;

/* Loads the plugins, connects the backend, joins the election (unless engine.campaign = false). NULL options: every default (the in-process memory backend, cluster "default"). */
int32_t berth_engine_open(const berth_options *options, berth_engine **out, berth_error **err);
/* Leaves membership and the election and frees everything. NULL is ignored. */
void berth_engine_close(berth_engine *engine);

/*
 * The server that owns `stream`. Known streams are answered from the current snapshot without a
 * lock or an allocation. An unknown stream is placed by the policy as a pure function of the
 * current snapshot and the stream id (every node gives the same answer until the next version)
 * and is recorded so the leader's next refresh includes it. stream_len is checked before a byte
 * is read: 0, or over 64 KiB, is BERTH_E_INVALID_ARGUMENT. *out_owner stays valid until close.
 */
int32_t berth_engine_lookup(berth_engine *engine, const char *stream, size_t stream_len,
                            const char **out_owner, berth_error **err);

/*
 * The owners of `count` streams at once, all answered from one snapshot. Faster per stream than
 * single calls on large clusters (the table probes of a batch overlap). On error, owners before
 * the failing stream are filled and the error names it (its index; lengths are checked as above).
 */
int32_t berth_engine_lookup_batch(berth_engine *engine, const char *const *streams, const size_t *stream_lens,
                                  size_t count, const char **out_owners, berth_error **err);

/* Register a server while this engine is open. Server ids (here and in every call) are 1 to 4096 bytes on every backend. */
int32_t berth_engine_join(berth_engine *engine, const char *server_id, double capacity,
                          berth_error **err);
/*
 * The same, with labels rules select servers by: "zone=a,rack=r1,ssd" (key=value pairs and bare
 * tags, comma-separated; keys are letters, digits, _ - . /). NULL or "" is no labels. A malformed
 * label is refused with BERTH_E_INVALID_ARGUMENT naming it. Joining again replaces the labels.
 */
int32_t berth_engine_join_labeled(berth_engine *engine, const char *server_id, double capacity,
                                  const char *labels, berth_error **err);
int32_t berth_engine_leave(berth_engine *engine, const char *server_id, berth_error **err);

/* Tell the leader about a stream, its tenant ("" for none) and a load (NaN when unknown).
   Records are batched; berth_engine_flush sends them now. Stream ids and tenants longer than
   64 KiB are refused with BERTH_E_INVALID_ARGUMENT (so is a lookup of such an unknown stream). */
int32_t berth_engine_add_stream(berth_engine *engine, const char *stream, size_t stream_len,
                                const char *tenant, double load, berth_error **err);
/* A removed stream stays out of every later snapshot until it is added again: lookups still
   answer it (routing) but no longer bring it back. The leader remembers the latest 65,536
   removals (at most 4 MiB of ids; removing a stream again counts as its latest removal); a
   stream removed before those is treated as unknown again. Removing a stream no snapshot held
   and no host mentioned is not remembered. A leader on a build before this one publishes
   without these removals and so forgets them (mind it during a rolling upgrade). */
int32_t berth_engine_remove_stream(berth_engine *engine, const char *stream, size_t stream_len,
                                   berth_error **err);
/* A measured load for a stream, for appraisers that use reported loads. */
int32_t berth_engine_report_load(berth_engine *engine, const char *stream, size_t stream_len,
                                 double load, berth_error **err);
int32_t berth_engine_flush(berth_engine *engine, berth_error **err);

/* Leader only: rebalance and publish now (BERTH_E_STATE on a follower). */
int32_t berth_engine_refresh(berth_engine *engine, berth_error **err);
/* Give up leadership and leave the election. */
int32_t berth_engine_resign(berth_engine *engine, berth_error **err);
/* Block until this engine serves a snapshot of at least `version` (BERTH_E_TIMEOUT otherwise). */
int32_t berth_engine_wait_version(berth_engine *engine, uint64_t version, uint32_t timeout_ms,
                                  berth_error **err);

typedef struct berth_engine_status {
  uint32_t struct_size;
  uint64_t version;       /* of the snapshot served; 0 before the first */
  uint64_t epoch;         /* leadership epoch as this engine last saw it */
  int32_t is_leader;
  int32_t degraded;       /* 1 while the backend is unreachable and the last snapshot is served */
  uint32_t server_count;  /* in the served snapshot */
  uint64_t stream_count;  /* in the served snapshot */
} berth_engine_status;

/* `out->struct_size` must be set by the caller; fields past it are not written. */
int32_t berth_engine_status_get(berth_engine *engine, berth_engine_status *out, berth_error **err);

typedef struct berth_metrics {
  uint32_t struct_size;
  uint64_t version;
  double max_load;             /* per unit of capacity */
  double min_load;             /* per unit of capacity */
  double max_over_lb;          /* max server load / lower bound; 1.0 is perfect */
  double refresh_ms;           /* duration of the last refresh on this node */
  uint64_t refresh_ok;
  uint64_t refresh_failed;
  uint64_t moved_streams;      /* by the last refresh */
  double moved_load_fraction;  /* by the last refresh, of the total load */
  uint64_t lookups_unknown;    /* lookups answered by placing a stream not in the snapshot */
  uint64_t oversized_streams;  /* streams whose load alone exceeds a fair share */
  /* API 1.2: written only when struct_size covers them. */
  uint64_t snapshots_rejected; /* published versions this node could not read (it kept serving) */
  uint64_t intake_rejected;    /* intake batches that failed to parse */
  uint64_t rules_hash;         /* of the tenant rules in force; 0: none */
  uint64_t rules_refused;      /* changed rule files refused (the old rules stayed) */
  uint64_t rules_problems;     /* problems in the last rules evaluation */
  uint64_t rules_kept_owner;   /* streams kept on their owner because a rule failed or allowed nothing */
  uint64_t rules_violations;   /* constrained streams the policy put outside their allowed servers */
  /* API 1.5: ownership (docs/ownership.md). Hand-offs are counted by the leader while it leads;
     other nodes report 0 for them. */
  uint64_t handoffs_started;   /* holders asked to release a stream */
  uint64_t handoffs_completed; /* ... whose stream was then granted to its new owner */
  uint64_t handoffs_stalled;   /* hand-offs waiting longer than ownership.stall_after, ever */
  uint64_t streams_releasing;  /* now: streams whose holder is asked to release them */
  uint64_t streams_unheld;     /* now: streams of served servers nobody holds (new, or their holder was lost) */
  double unheld_stream_seconds; /* the sum over time of streams_unheld */
  uint64_t leases_lost;        /* times this node's lease ended, and every claim of its servers */
  uint64_t streams_held;       /* now: streams held by the servers joined through this node */
} berth_metrics;

int32_t berth_engine_metrics_get(berth_engine *engine, berth_metrics *out, berth_error **err);
/* Prometheus text exposition of every metric; free with berth_string_free. */
int32_t berth_engine_metrics_text(berth_engine *engine, char **out_text, berth_error **err);

/*
 * Change notifications without callbacks: an event queue the host polls from a thread of its
 * own, so no library thread ever calls into a JVM or an interpreter.
 *
 * A queue compares what the engine serves now with what it last delivered, so it holds no
 * backlog: memory is constant however slowly it is polled (the overflow rule is "coalesce").
 * A slow consumer sees each kind of change once, with the newest state: versions 3 -> 7 in one
 * BERTH_EVENT_VERSION event, not four. When several kinds are pending, one poll returns one
 * event, in the order DEGRADED, LEADERSHIP, VERSION. The queue starts from the engine's state at
 * berth_events_open: open it first, then read berth_engine_status_get for the state to start from.
 */
typedef struct berth_events berth_events;

#define BERTH_EVENT_NONE 0       /* the timeout passed with nothing new */
#define BERTH_EVENT_VERSION 1    /* the served snapshot changed: old_version -> version */
#define BERTH_EVENT_LEADERSHIP 2 /* this node gained or lost leadership, or the epoch moved:
                                    is_leader, old_epoch -> epoch */
#define BERTH_EVENT_DEGRADED 3   /* degraded mode entered (degraded = 1) or left (degraded = 0) */

/* Every field but kind is the state as delivered so far, this event included: a change still
   pending (e.g. the leadership lost with the connection) comes as the next event. */
typedef struct berth_event {
  uint32_t struct_size;
  int32_t kind;          /* BERTH_EVENT_* */
  uint64_t old_version;  /* the served version before this event (== version unless VERSION) */
  uint64_t version;
  uint64_t old_epoch;    /* before this event (== epoch unless LEADERSHIP) */
  uint64_t epoch;
  int32_t is_leader;
  int32_t degraded;
} berth_event;

int32_t berth_events_open(berth_engine *engine, berth_events **out, berth_error **err);
/* May be called before or after berth_engine_close, but not while a poll of this queue runs.
   NULL is ignored. */
void berth_events_close(berth_events *events);
/*
 * Waits up to `timeout_ms` (0: does not wait) for a change and fills `out` with it, or with
 * kind BERTH_EVENT_NONE when the time ran out (still BERTH_OK). `out->struct_size` must be set
 * by the caller; fields past it are not written. Polls of one queue from several threads are
 * safe; each change goes to one of them. When the engine is closed, a waiting poll returns at
 * once, and every later one too, with BERTH_E_STATE.
 */
int32_t berth_events_poll(berth_events *events, uint32_t timeout_ms, berth_event *out, berth_error **err);

/* --------------------------------------------------------------------------- ownership ---- */

/*
 * Ownership (API 1.5; docs/ownership.md): when a server may serve a stream, with the promise that
 * no two servers hold one stream at once. Lookups route; ownership authorises.
 *
 * A host opens its server's feed after joining the server through the same engine, and polls it
 * from a thread of its own (no callbacks on library threads):
 *   - ACQUIRE: start serving `stream`; pass `token` to the storage it writes to (tokens strictly
 *     increase per stream across grants, so storage can refuse a stale holder's writes);
 *   - RELEASE: the leader moves `stream` elsewhere; finish what is in flight, stop, and
 *     acknowledge with berth_ownership_release_stream. The stream stays this server's until then
 *     (or until the lease ends);
 *   - REVOKED: the claim already ended at `ended_ns` (CLOCK_MONOTONIC): the node's lease ran out,
 *     the server left, the engine closed, or the leader gave the stream away after losing track
 *     of the server. Stop at once.
 * berth_ownership_holds answers "do I hold `stream` now, with which token" from the same state,
 * without a lock or an allocation: checking it before each write keeps a host inside its claim
 * even when its feed is polled late (a process stopped and resumed finds its claims lapsed).
 *
 * Stream ids cross as bytes + length, as in lookups. A NULL id with a nonzero length, an empty id
 * or one longer than 64 KiB (longer than any stream's) is refused with BERTH_E_INVALID_ARGUMENT
 * before its bytes are read; berth_ownership_holds, which cannot fail, answers 0 for them.
 */
typedef struct berth_ownership berth_ownership;

#define BERTH_OWNERSHIP_NONE 0     /* the timeout passed with nothing new */
#define BERTH_OWNERSHIP_ACQUIRE 1
#define BERTH_OWNERSHIP_RELEASE 2
#define BERTH_OWNERSHIP_REVOKED 3

typedef struct berth_ownership_event {
  uint32_t struct_size;
  int32_t kind;           /* BERTH_OWNERSHIP_* */
  const char *stream;     /* not NUL-terminated: stream_len bytes; valid until the next poll of
                             this feed or its close; NULL for BERTH_OWNERSHIP_NONE */
  size_t stream_len;
  uint64_t token;         /* the grant's fencing token */
  uint64_t version;       /* the snapshot version that granted it or asked for its release; 0 for a
                             revocation no version caused */
  uint64_t ended_ns;      /* REVOKED: CLOCK_MONOTONIC ns at which the claim ended; else 0 */
} berth_ownership_event;

/* The feed of a server joined through `engine`: BERTH_E_NOT_FOUND for a server not joined here,
   BERTH_E_STATE when the backend has no lease (ownership needs one). Several feeds of one server
   share its events: each event goes to one of them. A feed lasts as long as the server's
   registration here: once the server left (or the engine closed) it only delivers the last
   revocations; after joining again, open a new one. A lost lease does not end a feed (its claims
   are revoked, and the server is granted streams again once registered anew). */
int32_t berth_ownership_open(berth_engine *engine, const char *server_id, berth_ownership **out,
                             berth_error **err);
/* May be called before or after berth_engine_close, but not while a call on this feed runs. NULL
   is ignored. Closing a feed changes nothing the server holds. */
void berth_ownership_close(berth_ownership *feed);
/* Waits up to `timeout_ms` (0: does not wait) for an event; kind BERTH_OWNERSHIP_NONE when the
   time ran out (still BERTH_OK). `out->struct_size` must be set by the caller; fields past it are
   not written. One poll of a feed at a time (the event's stream lives in the feed until its next
   poll): a poll while another of the same feed runs fails with BERTH_E_STATE; a second polling
   thread opens a feed of its own. Once the engine is closed (or the server left), pending
   revocations are delivered, then BERTH_E_STATE. */
int32_t berth_ownership_poll(berth_ownership *feed, uint32_t timeout_ms, berth_ownership_event *out,
                             berth_error **err);
/* The host stopped serving `stream` (asked to or not): from the return on, holds() is false, and
   the leader hears of it (the acknowledgement a RELEASE waits for). BERTH_E_STATE when the server
   does not hold `stream` under `token` (e.g. it was revoked meanwhile) or the engine was closed. */
int32_t berth_ownership_release_stream(berth_ownership *feed, const char *stream, size_t stream_len,
                                       uint64_t token, berth_error **err);
/* 1 when the server holds `stream` now (its token written to *out_token unless NULL), else 0
   (also for a NULL feed or an id refused as above). Lock-free and allocation-free; safe on any
   thread, even after berth_engine_close (then 0). */
int32_t berth_ownership_holds(const berth_ownership *feed, const char *stream, size_t stream_len,
                              uint64_t *out_token);

/* What a server holds: a copy made by berth_held_new, sorted by stream id (bytewise), unchanged by
   later grants and releases; freed with berth_held_free. */
typedef struct berth_held berth_held;

int32_t berth_held_new(berth_ownership *feed, berth_held **out, berth_error **err);
/* 0 for NULL. */
uint64_t berth_held_count(const berth_held *held);
/* The stream at `index` (< berth_held_count, else BERTH_E_INVALID_ARGUMENT) and its token; any
   out pointer may be NULL. `*out_stream` (out_stream_len bytes, not NUL-terminated) stays valid
   until berth_held_free. */
int32_t berth_held_stream(const berth_held *held, uint64_t index, const char **out_stream,
                          size_t *out_stream_len, uint64_t *out_token, berth_error **err);
/* NULL is ignored. */
void berth_held_free(berth_held *held);

/* Marks a server joined through `engine` draining (1: its streams are handed off and it takes no
   new ones) or up again (0); any other value is BERTH_E_INVALID_ARGUMENT, a server not joined here
   BERTH_E_NOT_FOUND. A graceful shutdown: drain, wait until the feed holds nothing, leave. */
int32_t berth_engine_drain(berth_engine *engine, const char *server_id, int32_t draining, berth_error **err);

/* ---------------------------------------------------------------------------- snapshot ---- */

/* An immutable, versioned assignment. Holding one keeps it alive across later swaps. */
typedef struct berth_snapshot berth_snapshot;

/* The snapshot this engine serves now (BERTH_E_NOT_FOUND before the first). */
int32_t berth_engine_snapshot(berth_engine *engine, berth_snapshot **out, berth_error **err);
void berth_snapshot_release(berth_snapshot *snapshot);

uint64_t berth_snapshot_version(const berth_snapshot *snapshot);
uint64_t berth_snapshot_epoch(const berth_snapshot *snapshot);
/* Strings below stay valid while the snapshot is held. */
const char *berth_snapshot_policy(const berth_snapshot *snapshot);
const char *berth_snapshot_leader(const berth_snapshot *snapshot);
uint32_t berth_snapshot_server_count(const berth_snapshot *snapshot);
uint64_t berth_snapshot_stream_count(const berth_snapshot *snapshot);
/* Index-based accessors return BERTH_E_INVALID_ARGUMENT for an index out of range. */
int32_t berth_snapshot_server(const berth_snapshot *snapshot, uint32_t index, const char **out_id,
                              double *out_capacity, double *out_load, uint64_t *out_streams,
                              berth_error **err);
int32_t berth_snapshot_stream(const berth_snapshot *snapshot, uint64_t index, const char **out_id,
                              size_t *out_id_len, uint32_t *out_owner, double *out_load,
                              berth_error **err);

/* --- servers an operator manages (API 1.6) --- */
/* docs/catalogue.md, "Servers an operator manages": besides members (a host joins them), servers
   an operator registers (they persist without a member), weighs, labels, drains and seals, from
   any node. A change goes to the leader and takes effect at its next refresh (at once for a
   drain or a seal): wait for a version that shows it. */

/* The parts of a server a change sets (berth_server_change.fields), also the parts an operator
   entry sets (berth_server_entry.fields). */
#define BERTH_SERVER_SET_REGISTER 1u /* registered: it persists without a member */
#define BERTH_SERVER_SET_CAPACITY 2u
#define BERTH_SERVER_SET_STATE 4u
#define BERTH_SERVER_SET_LABELS 8u

typedef struct berth_server_change {
  uint32_t struct_size; /* BERTH_SIZE_THROUGH(berth_server_change, labels) */
  uint32_t fields;      /* BERTH_SERVER_SET_* bits, at least one */
  const char *id;       /* id_len bytes (1 to 4096), not NUL-terminated */
  size_t id_len;
  double capacity;      /* with BERTH_SERVER_SET_CAPACITY: finite, > 0 */
  int32_t state;        /* with BERTH_SERVER_SET_STATE: BERTH_SERVER_UP / _DRAINING / _READ_ONLY */
  const char *labels;   /* with BERTH_SERVER_SET_LABELS: "zone=a,ssd" (NULL or "": none) */
} berth_server_change;

/* Sends the change to the leader. A bad change (no field, an unknown bit, a bad value) is
   BERTH_E_INVALID_ARGUMENT naming what is wrong; nothing is sent. */
int32_t berth_engine_server_set(berth_engine *engine, const berth_server_change *change, berth_error **err);
/* Drops everything operators set on the server (a registered server without a member leaves
   the cluster; a member keeps what its host says). BERTH_E_NOT_FOUND when the snapshot this
   engine serves has no operator entry for it. */
int32_t berth_engine_server_remove(berth_engine *engine, const char *server_id, berth_error **err);

/* Where a server comes from (berth_server_entry.origin, bits). */
#define BERTH_SERVER_ORIGIN_MEMBER 1u     /* a host joined it */
#define BERTH_SERVER_ORIGIN_REGISTERED 2u /* an operator registered it */

typedef struct berth_server_entry {
  uint32_t struct_size; /* set by the caller; fields past it are not written */
  uint32_t fields;      /* the parts an operator set (BERTH_SERVER_SET_*); 0: none */
  const char *id;       /* NUL-terminated, valid while the snapshot is held */
  double capacity;      /* NaN for an operator entry that sets none */
  int32_t state;        /* -1 for an operator entry that sets none */
  uint32_t origin;      /* BERTH_SERVER_ORIGIN_* bits; 0: an entry for a server not in the version */
  char *labels;         /* malloc'ed, freed with berth_string_free; NULL for an entry that sets none */
  uint64_t streams;     /* streams the server owns in this version */
  double load;
} berth_server_entry;

/* What operators set, sorted by server id: count, then each entry (its capacity, state and labels
   as set; origin, streams and load from the version's server of the same id, if any). */
uint32_t berth_snapshot_operator_server_count(const berth_snapshot *snapshot);
int32_t berth_snapshot_operator_server(const berth_snapshot *snapshot, uint32_t index, berth_server_entry *out,
                                       berth_error **err);
/* The server at `index` (< berth_snapshot_server_count) as placement sees it: what its member
   says overridden by what operators set, and where it comes from. */
int32_t berth_snapshot_server_entry(const berth_snapshot *snapshot, uint32_t index, berth_server_entry *out,
                                    berth_error **err);

/* --- the catalogue: locations, migrations, deletions (API 1.6) --- */
/* docs/catalogue.md. Per stream: a write location (the owner), read locations and a status. */

#define BERTH_STREAM_ACTIVE 0
#define BERTH_STREAM_MIGRATING 1 /* written at the destination, read from both */
#define BERTH_STREAM_DELETING 2  /* deleted; read_locations are still to purge */

typedef struct berth_location {
  uint32_t struct_size;
  int32_t status;                /* BERTH_STREAM_* */
  uint64_t version;              /* of the snapshot that answered */
  const char *owner;             /* write location; NULL while deleting or when no server can
                                    take the stream */
  const char *holder;            /* who holds it now (docs/ownership.md); NULL: nobody */
  uint64_t token;                /* the holder's fencing token; 0 without a holder */
  const char *tenant;            /* "" for an unknown stream */
  double load;
  const char *const *read_locations; /* read_location_count server ids, the owner first */
  uint32_t read_location_count;
  int32_t known;                 /* 1: in the assignment; 0: unknown (owner: where a lookup places
                                    it) or deleting */
  const char *migration_source;  /* while migrating, else NULL */
  const char *migration_destination;
  int32_t migration_queued;      /* 1: a migration waits for a concurrency bound */
  const char *queued_destination; /* of the queued migration; "": the policy chooses */
} berth_location;

/* Everything the served snapshot says of `stream`. `out->struct_size` must be set; fields past it
   are not written. Server ids stay valid while the engine is open; tenant, read_locations and
   queued_destination until the next berth_locate on the same thread. BERTH_E_UNAVAILABLE before
   the first snapshot. */
int32_t berth_locate(berth_engine *engine, const char *stream, size_t stream_len, berth_location *out,
                     berth_error **err);
/* Asks the leader to migrate `stream` to `destination` (NULL or "": the policy chooses, as if the
   source were draining). Checked here against the served snapshot first: BERTH_E_NOT_FOUND for
   an unknown stream or destination, BERTH_E_STATE for a destination not up, a stream migrating
   or queued already, or migrated within catalogue.migration_interval (the message says how long
   is left). The leader checks again. */
int32_t berth_stream_migrate(berth_engine *engine, const char *stream, size_t stream_len,
                             const char *destination, berth_error **err);
/* The destination's host finished copying `stream` (ok 1: active there only) or failed to (ok 0:
   it stays migrating, read from both, and the copy is offered again). BERTH_E_STATE when no
   migration of the stream to `server` runs in the served snapshot. */
int32_t berth_migration_done(berth_engine *engine, const char *stream, size_t stream_len, const char *server,
                             int32_t ok, berth_error **err);
/* Deletes `stream`: cancels its migration, removes it (nothing but an add brings it back) and
   lists every location it had to purge. BERTH_E_NOT_FOUND for a stream not in the snapshot. */
int32_t berth_stream_delete(berth_engine *engine, const char *stream, size_t stream_len, berth_error **err);
/* `server`'s host purged `stream`. BERTH_E_STATE when no such purge is outstanding. */
int32_t berth_stream_purged(berth_engine *engine, const char *stream, size_t stream_len, const char *server,
                            berth_error **err);

/* The work a server's host must do, from each version the engine installs. */
typedef struct berth_catalogue_feed berth_catalogue_feed;

#define BERTH_CATALOGUE_NONE 0     /* the timeout passed with nothing new */
#define BERTH_CATALOGUE_COPY_IN 1  /* copy `stream` from `source`; then berth_migration_done */
#define BERTH_CATALOGUE_PURGE 2    /* delete the stream's data; then berth_stream_purged */

typedef struct berth_catalogue_event {
  uint32_t struct_size;
  int32_t kind;                  /* BERTH_CATALOGUE_* */
  const char *stream;            /* stream_len bytes, not NUL-terminated; valid until the next
                                    poll of this feed or its close */
  size_t stream_len;
  const char *source;            /* COPY_IN: the server to copy from; else NULL */
  uint64_t version;              /* the version that asked for it */
  uint32_t attempt;              /* COPY_IN: failed copies before this one */
} berth_catalogue_event;

/* The feed of server `server_id` (any server id: a storage node need not be joined here). */
int32_t berth_catalogue_open(berth_engine *engine, const char *server_id, berth_catalogue_feed **out,
                             berth_error **err);
/* Waits up to `timeout_ms` for work not delivered yet; each piece once (a failed copy again).
   One poll of a feed at a time; BERTH_E_STATE once the engine is closed. */
int32_t berth_catalogue_poll(berth_catalogue_feed *feed, uint32_t timeout_ms, berth_catalogue_event *out,
                             berth_error **err);
void berth_catalogue_close(berth_catalogue_feed *feed);
/* --- rules every node shares (API 1.6) --- */

/* Tenant rules stored in the backend (docs/catalogue.md, "Rules every node shares"): whichever node
 * leads applies the same rules. The longest script is 65,536 bytes (docs/limits.md). */

/* Compiles `script` and evaluates it against the snapshot this engine serves, then submits it to
 * the leader, which checks it again in its next refresh and, if it passes there too, publishes it
 * as the shared rules' next version. BERTH_E_INVALID_ARGUMENT: NULL, empty or too long;
 * BERTH_E_CONFIG: it does not compile or fails on this cluster (the message lists every problem);
 * BERTH_E_NOT_FOUND: no snapshot yet. `out_replaces_version` (may be NULL): the shared rules
 * version in force when pushed (0: none); `out_hash` (may be NULL): the script's hash, for
 * berth_engine_rules_wait. Pushing the script in force (in the snapshot this engine serves)
 * submits nothing: to put back the rules in force while another push is on its way, wait for
 * that push first (berth_engine_rules_wait), then push. */
int32_t berth_engine_rules_push(berth_engine *engine, const char *script, size_t script_len,
                                uint64_t *out_replaces_version, uint64_t *out_hash, berth_error **err);

/* Waits until this engine serves shared rules with `hash`; `out_version` (may be NULL): their
 * version. BERTH_E_TIMEOUT after `timeout_ms`: the leader refused them or has not refreshed. */
int32_t berth_engine_rules_wait(berth_engine *engine, uint64_t hash, uint32_t timeout_ms,
                                uint64_t *out_version, berth_error **err);

/* The shared rules a snapshot carries: version (0 and an empty script when none was pushed), hash
 * and script text (not NUL-terminated inside; valid while the snapshot is held). Any out pointer
 * may be NULL. */
int32_t berth_snapshot_rules(const berth_snapshot *snapshot, uint64_t *out_version, uint64_t *out_hash,
                             const char **out_script, size_t *out_script_len, berth_error **err);
/* --- dynamic weights (API 1.6) --- */

/* A signal of a server (a named number such as "cpu_load" or "free_capacity") for the leader's
   weigher (docs/catalogue.md, "Dynamic weights"); it counts from the leader's next refresh.
   server_id and name are NUL-terminated; name is 1 to 64 bytes without control characters;
   value is finite. Anything else is BERTH_E_INVALID_ARGUMENT naming what is wrong. */
int32_t berth_engine_report_signal(berth_engine *engine, const char *server_id, const char *name,
                                   double value, berth_error **err);
/* The weigher a snapshot's weights come from, or NULL when it has none (capacities as their
   servers say). Valid while the snapshot is held. */
const char *berth_snapshot_weigher(const berth_snapshot *snapshot);
/* Server `index`'s weight: its configured capacity, its effective factor (its capacity in
   berth_snapshot_server is their product) and how many signals it has. In a snapshot without a
   weigher: its capacity, factor 1, no signals. Any out pointer may be NULL. */
int32_t berth_snapshot_server_weight(const berth_snapshot *snapshot, uint32_t index,
                                     double *out_configured_capacity, double *out_factor,
                                     uint32_t *out_signal_count, berth_error **err);
/* Signal `k` of server `index` as the leader smoothed it (names ascending); the name is valid
   while the snapshot is held. */
int32_t berth_snapshot_server_signal(const berth_snapshot *snapshot, uint32_t index, uint32_t k,
                                     const char **out_name, double *out_value, berth_error **err);

/* --- the rest of the catalogue: servers migrated out, locate's why (API 1.7) --- */

/* berth_server_entry.fields: the server is marked for data migration. Set or cleared with
   berth_engine_server_migrate only; berth_engine_server_set refuses the bit. */
#define BERTH_SERVER_SET_MIGRATE 16u

/* What marking a server for data migration means against the snapshot an engine serves. */
typedef struct berth_server_migration {
  uint32_t struct_size;               /* set by the caller; fields past it are not written */
  int32_t marked;                     /* 1: the snapshot shows the server marked already */
  uint64_t streams;                   /* written there now, not migrating out yet */
  uint64_t migrating_out;             /* running migrations with the server as source */
  uint32_t max_migrations;            /* catalogue.max_migrations */
  uint32_t max_migrations_per_server; /* catalogue.max_migrations_per_server */
  uint32_t per_refresh;               /* the server's streams one refresh migrates out, at most */
  uint32_t reserved;
  uint64_t refreshes;                 /* leader refreshes that see every stream out, at least */
} berth_server_migration;

/* Marks `server_id` for data migration (mark 1) or clears the mark (mark 0), from any node: the
   leader migrates its streams out (COPY_IN on the destinations' catalogue feeds, each ended by
   berth_migration_done), letting the policy choose each destination, never past
   catalogue.max_migrations, max_migrations_per_server or migration_interval; meanwhile the server
   is draining (it takes no new stream), and once empty it stays, empty, until the mark is
   cleared. Checked first against the served snapshot: BERTH_E_NOT_FOUND for a server not in it,
   BERTH_E_STATE for a read-only server, one marked already, or a mark to clear that is not there.
   check_only 1: the checks only, nothing sent. `out` (may be NULL): the snapshot's figures. */
int32_t berth_engine_server_migrate(berth_engine *engine, const char *server_id, int32_t mark, int32_t check_only,
                                    berth_server_migration *out, berth_error **err);

/* Why a stream is where it is, as far as the served version tells it (docs/catalogue.md). */
#define BERTH_WHY_UNKNOWN 0          /* not in the assignment: where a lookup of it would go */
#define BERTH_WHY_DELETED 1          /* deleting: its locations are to purge */
#define BERTH_WHY_PLACED 2           /* where a new stream of that id is placed now */
#define BERTH_WHY_KEPT 3             /* elsewhere: kept where it was (sticky), or balanced there */
#define BERTH_WHY_PINNED 4           /* the rules allow one server only */
#define BERTH_WHY_MIGRATING 5        /* an operator's migration runs, or finished within the interval */
#define BERTH_WHY_MIGRATING_OUT 6    /* its server is marked for data migration */
#define BERTH_WHY_QUEUED 7           /* a migration waits for a concurrency bound */
#define BERTH_WHY_MOVED_OFF_SEALED 8 /* moved off a read-only server, still read there */
#define BERTH_WHY_HANDING_OFF 9      /* moved; its last holder hands it off */

typedef struct berth_placement_why {
  uint32_t struct_size;            /* set by the caller; fields past it are not written */
  int32_t decision;                /* BERTH_WHY_* */
  uint64_t version;                /* of the snapshot that answered */
  const char *detail;              /* one sentence naming the servers involved */
  int32_t rules_evaluated;         /* 1: the rules were evaluated for this stream alone */
  uint32_t allowed_count;          /* 0: the rules leave every server */
  const char *rule;                /* "script:line" of the rule that set its servers; "" none */
  const char *const *allowed;      /* allowed_count server ids */
  const char *const *preferred;    /* preferred_count server ids */
  uint32_t preferred_count;
  uint32_t reserved;
  const char *rules_note;          /* why the rules were not evaluated, or their first problem; "" */
} berth_placement_why;

/* Why `stream` is where the served snapshot puts it: the policy's decision as far as the version
   tells it, and the rule that set its servers (the version's shared rules, evaluated for this
   stream alone; a leader's [rules] file is not known here). Strings stay valid until the next
   berth_locate_why on the same thread. BERTH_E_UNAVAILABLE before the first snapshot. */
int32_t berth_locate_why(berth_engine *engine, const char *stream, size_t stream_len, berth_placement_why *out,
                         berth_error **err);

/* --- metrics of the process (API 1.8; the HTTP endpoint is berth/metrics_http.h) --- */

/* Every engine open in this process as one Prometheus text exposition (docs/metrics.md): each
   family's HELP and TYPE once, each engine's samples labelled node="<its node id>", and
   berth_build_info. Free with berth_string_free. */
int32_t berth_metrics_text_all(char **out_text, berth_error **err);

/* Every engine open in this process as /healthz reports it (berth/metrics_http.h): the JSON
   {"status": "ok"|"degraded"|"no engine", "engines": [{"node", "leader", "degraded", "version",
   "epoch"}]} in `out_json` (free with berth_string_free) and in `out_status` 200 when every open
   engine reaches its backend, 503 when one is degraded or none is open. */
int32_t berth_metrics_health_all(char **out_json, int32_t *out_status, berth_error **err);


/* ----------------------------------------------------------------------------- logging ---- */

/*
 * The library's log lines, for the host to route into its own logging (API 1.9; docs/logging.md).
 * Until a host opens the log queue, lines go to standard error. While it is open they go to the
 * queue only, and the host drains it with berth_log_poll from a thread of its own: no library
 * thread ever calls into the host, so a JVM or an interpreter needs no attaching (there is no
 * callback sink for that reason). The queue is bounded: when it is full a new line is dropped and
 * counted (berth_log_dropped), and the library never waits for the host.
 *
 * Levels are BERTH_LOG_DEBUG, _INFO, _WARN and _ERROR (berth/abi.h), plus BERTH_LOG_OFF for the
 * filter. The filter is process-wide and applies before the queue: a line below it costs almost
 * nothing and is never counted as dropped. It starts at BERTH_LOG_INFO (the berth CLI sets it
 * from --log-level).
 */
#define BERTH_LOG_OFF 4 /* berth_log_set_level: no line at all */

/* BERTH_E_INVALID_ARGUMENT for a level outside BERTH_LOG_DEBUG..BERTH_LOG_OFF. */
int32_t berth_log_set_level(int32_t level, berth_error **err);
/* The filter in force (BERTH_LOG_*). */
int32_t berth_log_level(void);

typedef struct berth_log berth_log;

typedef struct berth_log_record {
  uint32_t struct_size;  /* set by the caller; fields past it are not written */
  int32_t level;         /* BERTH_LOG_DEBUG .. BERTH_LOG_ERROR */
  int64_t time_ns;       /* when it was logged: system clock, nanoseconds since 1970 */
  const char *source;    /* "berth" for the engine; a plugin's name for its lines: "zookeeper"
                            for the ZooKeeper backend and the ZooKeeper client library */
  const char *node;      /* the node id of the engine whose thread logged; "" when unknown (a
                            plugin's own threads, the ZooKeeper client's threads) */
  const char *message;   /* UTF-8 as logged, at most 16 KiB (longer lines are cut) */
} berth_log_record;

/* Opens the process's log queue with room for `capacity` lines (1 to 1,048,576; else
   BERTH_E_INVALID_ARGUMENT): from now on lines go there instead of standard error.
   BERTH_E_STATE when a queue is open already (one per process). */
int32_t berth_log_open(uint32_t capacity, berth_log **out, berth_error **err);
/* Moves up to `max` lines, oldest first, into `records` (each with struct_size set), waiting up to
   `timeout_ms` for the first; `*out_count` says how many (0: the timeout passed). The strings stay
   valid until the next berth_log_poll on the same thread. Several threads may poll at once (each
   line goes to one of them). BERTH_E_STATE once the queue is closed, also for a poll waiting when
   berth_log_close runs on another thread. */
int32_t berth_log_poll(berth_log *queue, berth_log_record *records, uint32_t max, uint32_t timeout_ms,
                       uint32_t *out_count, berth_error **err);
/* Lines dropped because the queue was full, since it was opened. */
uint64_t berth_log_dropped(const berth_log *queue);
/* Closes the queue (lines not polled are lost): lines go to standard error again. The handle
   stays safe to pass: a later poll returns BERTH_E_STATE, berth_log_dropped 0, and a second
   close does nothing. NULL is ignored. */
void berth_log_close(berth_log *queue);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_BERTH_H */
