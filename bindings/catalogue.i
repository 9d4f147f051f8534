/* The catalogue part of the C API (berth.h, API 1.6 blocks): servers an operator manages, the
   catalogue (locate, migrate, delete, the per-server feed), rules every node shares and dynamic
   weights. The structs come from berth.h (included by berth_core.i); each out-struct gets a
   constructor that fills in struct_size, and the members a typemap cannot carry (a string with a
   length, a string list, a malloc'ed string) are read through small accessors. */
typedef struct berth_catalogue_feed berth_catalogue_feed;

#if defined(SWIGJAVA)
BERTH_JAVA_HANDLE(berth_catalogue_feed)
%apply long long *OUTPUT { uint64_t *out_replaces_version, uint64_t *out_hash, uint64_t *out_version };
%apply double *OUTPUT { double *out_configured_capacity, double *out_factor, double *out_value };
%apply int *OUTPUT { uint32_t *out_signal_count };
#elif defined(SWIGPYTHON)
%apply unsigned long long *OUTPUT { uint64_t *out_replaces_version, uint64_t *out_hash, uint64_t *out_version };
%apply double *OUTPUT { double *out_configured_capacity, double *out_factor, double *out_value };
%apply unsigned int *OUTPUT { uint32_t *out_signal_count };
BERTH_PY_NOGIL(berth_catalogue_poll)
/* Compiles and checks the Lua script. The script's bytes are borrowed from the str/bytes argument,
   which the call's argument tuple keeps alive and which cannot change (both types are immutable),
   as for berth_ownership_release_stream. */
BERTH_PY_NOGIL(berth_engine_rules_push)
BERTH_PY_NOGIL(berth_engine_rules_wait)
BERTH_PY_NOGIL(berth_bind_server_set)
BERTH_PY_NOGIL(berth_engine_server_remove)
#endif

%{
/* berth_engine_server_set with the change's fields as arguments: no struct with borrowed strings
   crosses the binding. `fields` is the BERTH_SERVER_SET_* mask; the other arguments count only
   with their bit. */
static int32_t berth_bind_server_set(berth_engine *engine, const char *server_id, uint32_t fields, double capacity,
                                     int32_t state, const char *labels, berth_error **err) {
  berth_server_change change;
  memset(&change, 0, sizeof change);
  change.struct_size = (uint32_t)sizeof change;
  change.fields = fields;
  change.id = server_id;
  change.id_len = server_id ? strlen(server_id) : 0;
  change.capacity = capacity;
  change.state = state;
  change.labels = labels;
  return berth_engine_server_set(engine, &change, err);
}
%}

/* ---- servers an operator manages ---- */
/* The server states live in berth/abi.h, which the bindings do not include: their values come
   from the compiled header. */
%constant int32_t BERTH_SERVER_UP = BERTH_SERVER_UP;
%constant int32_t BERTH_SERVER_DRAINING = BERTH_SERVER_DRAINING;
%constant int32_t BERTH_SERVER_READ_ONLY = BERTH_SERVER_READ_ONLY;
%immutable berth_server_entry::struct_size;
%ignore berth_server_entry::labels;
%extend berth_server_entry {
  berth_server_entry() {
    berth_server_entry *e = (berth_server_entry *)calloc(1, sizeof *e);
    if (e) e->struct_size = (uint32_t)sizeof *e;
    return e;
  }
  ~berth_server_entry() {
    berth_string_free($self->labels);
    free($self);
  }
  /* The labels as set ("zone=a,ssd"); NULL for an entry that sets none. */
  const char *labels_text() { return $self->labels; }
}

berth_result berth_bind_server_set(berth_engine *engine, const char *server_id, uint32_t fields, double capacity,
                                   int32_t state, const char *labels, berth_error **err);
berth_result berth_engine_server_remove(berth_engine *engine, const char *server_id, berth_error **err);
uint32_t berth_snapshot_operator_server_count(const berth_snapshot *snapshot);
berth_result berth_snapshot_operator_server(const berth_snapshot *snapshot, uint32_t index, berth_server_entry *out,
                                            berth_error **err);
berth_result berth_snapshot_server_entry(const berth_snapshot *snapshot, uint32_t index, berth_server_entry *out,
                                         berth_error **err);

/* ---- the catalogue ---- */
%immutable berth_location::struct_size;
%ignore berth_location::read_locations;
%extend berth_location {
  berth_location() {
    berth_location *l = (berth_location *)calloc(1, sizeof *l);
    if (l) l->struct_size = (uint32_t)sizeof *l;
    return l;
  }
  ~berth_location() { free($self); }
  /* Read location i (< read_location_count); NULL past the end. Valid until the next locate on
     this thread, so the wrappers copy them at once. */
  const char *read_location(uint32_t i) {
    return i < $self->read_location_count ? $self->read_locations[i] : NULL;
  }
}

berth_result berth_locate(berth_engine *engine, const char *stream, size_t stream_len, berth_location *out,
                          berth_error **err);
berth_result berth_stream_migrate(berth_engine *engine, const char *stream, size_t stream_len,
                                  const char *destination, berth_error **err);
berth_result berth_migration_done(berth_engine *engine, const char *stream, size_t stream_len, const char *server,
                                  int32_t ok, berth_error **err);
berth_result berth_stream_delete(berth_engine *engine, const char *stream, size_t stream_len, berth_error **err);
berth_result berth_stream_purged(berth_engine *engine, const char *stream, size_t stream_len, const char *server,
                                 berth_error **err);

%immutable berth_catalogue_event::struct_size;
%ignore berth_catalogue_event::stream;
%extend berth_catalogue_event {
  berth_catalogue_event() {
    berth_catalogue_event *e = (berth_catalogue_event *)calloc(1, sizeof *e);
    if (e) e->struct_size = (uint32_t)sizeof *e;
    return e;
  }
  ~berth_catalogue_event() { free($self); }
  /* The stream of the last polled event, copied (valid until the next poll of its feed). */
  berth_bytes stream_bytes() {
    berth_bytes b;
    b.data = $self->stream;
    b.len = $self->stream ? $self->stream_len : 0;
    return b;
  }
}

berth_result berth_catalogue_open(berth_engine *engine, const char *server_id, berth_catalogue_feed **out,
                                  berth_error **err);
berth_result berth_catalogue_poll(berth_catalogue_feed *feed, uint32_t timeout_ms, berth_catalogue_event *out,
                                  berth_error **err);
void berth_catalogue_close(berth_catalogue_feed *feed);

/* ---- rules every node shares: the script crosses as a stream id does (str/bytes, String) ---- */
berth_result berth_engine_rules_push(berth_engine *engine, const char *stream, size_t stream_len,
                                     uint64_t *out_replaces_version, uint64_t *out_hash, berth_error **err);
berth_result berth_engine_rules_wait(berth_engine *engine, uint64_t hash, uint32_t timeout_ms, uint64_t *out_version,
                                     berth_error **err);
berth_result berth_snapshot_rules(const berth_snapshot *snapshot, uint64_t *out_version, uint64_t *out_hash,
                                  const char **out_id, size_t *out_id_len, berth_error **err);

/* ---- dynamic weights ---- */
berth_result berth_engine_report_signal(berth_engine *engine, const char *server_id, const char *name, double value,
                                        berth_error **err);
const char *berth_snapshot_weigher(const berth_snapshot *snapshot);
berth_result berth_snapshot_server_weight(const berth_snapshot *snapshot, uint32_t index,
                                          double *out_configured_capacity, double *out_factor,
                                          uint32_t *out_signal_count, berth_error **err);
berth_result berth_snapshot_server_signal(const berth_snapshot *snapshot, uint32_t index, uint32_t k,
                                          const char **out_id, double *out_value, berth_error **err);
