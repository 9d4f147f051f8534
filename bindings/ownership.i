/* berth_ownership: a server's acquire / release / revoked feed, the release acknowledgement, the
   "do I hold it" check, the held set, and drain. The event struct and BERTH_OWNERSHIP_* come from
   berth.h (included by berth_core.i); the struct gets a constructor that fills in struct_size, and
   its stream (stream_len bytes, not NUL-terminated) is read as bytes through stream_bytes(). */
typedef struct berth_ownership berth_ownership;
typedef struct berth_held berth_held;

%{
/* A byte string the typemaps of each language copy out (bytes / byte[]). */
typedef struct berth_bytes {
  const char *data;
  size_t len;
} berth_bytes;

/* The token under which the server holds `stream`, or -1: one call, no out-parameter, for the
   idiomatic holds(). Tokens are snapshot versions, far below 2^63. */
static int64_t berth_ownership_token(const berth_ownership *feed, const char *stream, size_t stream_len) {
  uint64_t token = 0;
  return berth_ownership_holds(feed, stream, stream_len, &token) ? (int64_t)token : -1;
}
%}

%immutable berth_ownership_event::struct_size;
%ignore berth_ownership_event::stream;
%extend berth_ownership_event {
  berth_ownership_event() {
    berth_ownership_event *e = (berth_ownership_event *)calloc(1, sizeof *e);
    if (e) e->struct_size = (uint32_t)sizeof *e;
    return e;
  }
  ~berth_ownership_event() { free($self); }
  /* The stream of the last polled event, copied (valid until the next poll of its feed). */
  berth_bytes stream_bytes() {
    berth_bytes b;
    b.data = $self->stream;
    b.len = $self->stream ? $self->stream_len : 0;
    return b;
  }
}

berth_result berth_ownership_open(berth_engine *engine, const char *server_id, berth_ownership **out,
                                  berth_error **err);
void berth_ownership_close(berth_ownership *feed);
berth_result berth_ownership_poll(berth_ownership *feed, uint32_t timeout_ms, berth_ownership_event *out,
                                  berth_error **err);
berth_result berth_ownership_release_stream(berth_ownership *feed, const char *stream, size_t stream_len,
                                     uint64_t token, berth_error **err);
int32_t berth_ownership_holds(const berth_ownership *feed, const char *stream, size_t stream_len,
                              uint64_t *out_token);
int64_t berth_ownership_token(const berth_ownership *feed, const char *stream, size_t stream_len);

berth_result berth_held_new(berth_ownership *feed, berth_held **out, berth_error **err);
uint64_t berth_held_count(const berth_held *held);
berth_result berth_held_stream(const berth_held *held, uint64_t index, const char **out_id,
                               size_t *out_id_len, uint64_t *out_token, berth_error **err);
void berth_held_free(berth_held *held);

berth_result berth_engine_drain(berth_engine *engine, const char *server_id, int32_t draining,
                                berth_error **err);
