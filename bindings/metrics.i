/* The metrics of every engine open in this process (C API 1.8): one Prometheus text, and the
   /healthz JSON with its status code (200, or 503 when an engine is degraded or none is open).
   The HTTP endpoint (berth/metrics_http.h) is not bound: it lives in libberth_metrics_http.so,
   which neither the wheel nor the jar carries (bindings/README.md). */
%apply int *OUTPUT { int32_t *out_status };
berth_result berth_metrics_text_all(char **out_text, berth_error **err);
berth_result berth_metrics_health_all(char **out_text, int32_t *out_status, berth_error **err);
