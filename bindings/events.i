/* berth_events: change notifications as a queue the host polls, so no library thread ever calls
   into the JVM or the interpreter. The event struct gets a constructor that fills in struct_size. */
typedef struct berth_events berth_events;

%constant int BERTH_EVENT_NONE = 0;
%constant int BERTH_EVENT_VERSION = 1;
%constant int BERTH_EVENT_LEADERSHIP = 2;
%constant int BERTH_EVENT_DEGRADED = 3;

typedef struct berth_event {
  uint32_t struct_size;
  int32_t kind;
  uint64_t old_version;
  uint64_t version;
  uint64_t old_epoch;
  uint64_t epoch;
  int32_t is_leader;
  int32_t degraded;
} berth_event;

%immutable berth_event::struct_size;
%extend berth_event {
  berth_event() {
    berth_event *e = (berth_event *)calloc(1, sizeof *e);
    if (e) e->struct_size = (uint32_t)sizeof *e;
    return e;
  }
  ~berth_event() { free($self); }
}

berth_result berth_events_open(berth_engine *engine, berth_events **out, berth_error **err);
void berth_events_close(berth_events *events);
berth_result berth_events_poll(berth_events *events, uint32_t timeout_ms, berth_event *out, berth_error **err);
