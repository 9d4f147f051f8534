/* berth_snapshot: an immutable, versioned assignment; strings read from it are copied. */
typedef struct berth_snapshot berth_snapshot;

berth_result berth_engine_snapshot(berth_engine *engine, berth_snapshot **out, berth_error **err);
void berth_snapshot_release(berth_snapshot *snapshot);

uint64_t berth_snapshot_version(const berth_snapshot *snapshot);
uint64_t berth_snapshot_epoch(const berth_snapshot *snapshot);
const char *berth_snapshot_policy(const berth_snapshot *snapshot);
const char *berth_snapshot_leader(const berth_snapshot *snapshot);
uint32_t berth_snapshot_server_count(const berth_snapshot *snapshot);
uint64_t berth_snapshot_stream_count(const berth_snapshot *snapshot);
berth_result berth_snapshot_server(const berth_snapshot *snapshot, uint32_t index, const char **out_id,
                              double *out_capacity, double *out_load, uint64_t *out_streams,
                              berth_error **err);
berth_result berth_snapshot_stream(const berth_snapshot *snapshot, uint64_t index, const char **out_id,
                              size_t *out_id_len, uint32_t *out_owner, double *out_load,
                              berth_error **err);
