/* berth_log: the library's log lines as a queue the binding drains on a thread of its own (no
   library thread ever calls into the JVM or the interpreter), and the level filter. The record
   struct comes from berth.h (included by berth_core.i) and gets a constructor that fills in
   struct_size; a poll fills one record (max 1). */
typedef struct berth_log berth_log;

#if defined(SWIGJAVA)
BERTH_JAVA_HANDLE(berth_log)
%apply int *OUTPUT { uint32_t *out_count };
#elif defined(SWIGPYTHON)
%apply unsigned int *OUTPUT { uint32_t *out_count };
BERTH_PY_NOGIL(berth_log_poll)
#endif

%immutable berth_log_record::struct_size;
%extend berth_log_record {
  berth_log_record() {
    berth_log_record *r = (berth_log_record *)calloc(1, sizeof *r);
    if (r) r->struct_size = (uint32_t)sizeof *r;
    return r;
  }
  ~berth_log_record() { free($self); }
}

berth_result berth_log_set_level(int32_t level, berth_error **err);
int32_t berth_log_level(void);
berth_result berth_log_open(uint32_t capacity, berth_log **out, berth_error **err);
berth_result berth_log_poll(berth_log *queue, berth_log_record *records, uint32_t max, uint32_t timeout_ms,
                            uint32_t *out_count, berth_error **err);
uint64_t berth_log_dropped(const berth_log *queue);
void berth_log_close(berth_log *queue);

/* The levels live in berth/abi.h, which the bindings do not include: their values come from it. */
%constant int32_t BERTH_LOG_DEBUG = BERTH_LOG_DEBUG;
%constant int32_t BERTH_LOG_INFO = BERTH_LOG_INFO;
%constant int32_t BERTH_LOG_WARN = BERTH_LOG_WARN;
%constant int32_t BERTH_LOG_ERROR = BERTH_LOG_ERROR;
