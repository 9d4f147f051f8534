/* berth_events: change notifications as a queue the host polls, so no library thread ever calls
   into the JVM or the interpreter. The event struct and BERTH_EVENT_* come from berth.h (included by
   berth_core.i); the struct gets a constructor that fills in struct_size. */
typedef struct berth_events berth_events;

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
