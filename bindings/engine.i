/* berth_engine: the embedded engine (membership, election, lookups). */
typedef struct berth_engine berth_engine;

/* The status structs (declared in berth.h, included by berth_core.i) get a constructor that
   fills in struct_size, so hosts never see it. */
%immutable berth_engine_status::struct_size;
%immutable berth_metrics::struct_size;

%extend berth_engine_status {
  berth_engine_status() {
    berth_engine_status *s = (berth_engine_status *)calloc(1, sizeof *s);
    if (s) s->struct_size = (uint32_t)sizeof *s;
    return s;
  }
  ~berth_engine_status() { free($self); }
}
%extend berth_metrics {
  berth_metrics() {
    berth_metrics *m = (berth_metrics *)calloc(1, sizeof *m);
    if (m) m->struct_size = (uint32_t)sizeof *m;
    return m;
  }
  ~berth_metrics() { free($self); }
}

berth_result berth_engine_open(const berth_options *options, berth_engine **out, berth_error **err);
void berth_engine_close(berth_engine *engine);

berth_result berth_engine_lookup(berth_engine *engine, const char *stream, size_t stream_len,
                            const char **out_owner, berth_error **err);
berth_result berth_engine_lookup_batch(berth_engine *engine, const char *const *streams, const size_t *stream_lens,
                                  size_t count, const char **out_owners, berth_error **err);

berth_result berth_engine_join(berth_engine *engine, const char *server_id, double capacity,
                          berth_error **err);
berth_result berth_engine_join_labeled(berth_engine *engine, const char *server_id, double capacity,
                                       const char *labels, berth_error **err);
berth_result berth_engine_leave(berth_engine *engine, const char *server_id, berth_error **err);
berth_result berth_engine_add_stream(berth_engine *engine, const char *stream, size_t stream_len,
                                const char *tenant, double load, berth_error **err);
berth_result berth_engine_remove_stream(berth_engine *engine, const char *stream, size_t stream_len,
                                   berth_error **err);
berth_result berth_engine_report_load(berth_engine *engine, const char *stream, size_t stream_len,
                                 double load, berth_error **err);
berth_result berth_engine_flush(berth_engine *engine, berth_error **err);
berth_result berth_engine_refresh(berth_engine *engine, berth_error **err);
berth_result berth_engine_resign(berth_engine *engine, berth_error **err);
berth_result berth_engine_wait_version(berth_engine *engine, uint64_t version, uint32_t timeout_ms,
                                  berth_error **err);
berth_result berth_engine_status_get(berth_engine *engine, berth_engine_status *out, berth_error **err);
berth_result berth_engine_metrics_get(berth_engine *engine, berth_metrics *out, berth_error **err);
berth_result berth_engine_metrics_text(berth_engine *engine, char **out_text, berth_error **err);
