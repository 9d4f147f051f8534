package org.berth;

/**
 * The metrics of every engine open in this process, as Berth's HTTP endpoint serves them
 * (docs/metrics.md): {@link #text()} is what {@code GET /metrics} returns, {@link #health()} what
 * {@code GET /healthz} returns. Serve them with any HTTP server of the host's choosing (the JDK's
 * {@code com.sun.net.httpserver}, for one): the jar carries no HTTP library.
 */
public final class ProcessMetrics {
  private ProcessMetrics() {}

  /**
   * The answer of {@code /healthz}.
   *
   * @param statusCode 200 when every open engine reaches its backend; 503 when one is degraded
   *     or none is open
   * @param body the JSON {@code {"status": "ok"|"degraded"|"no engine", "engines": [{"node", "leader",
   *     "degraded", "version", "epoch"}]}}
   */
  public record Health(int statusCode, String body) {}

  /** One Prometheus text exposition of every open engine, each engine's samples labelled node. */
  public static String text() {
    String[] out = new String[1];
    berth_swigJNI.berth_metrics_text_all(out);
    return out[0];
  }

  /** The health of every open engine, as {@code /healthz} reports it. */
  public static Health health() {
    String[] out = new String[1];
    int[] status = new int[1];
    berth_swigJNI.berth_metrics_health_all(out, status);
    return new Health(status[0], out[0]);
  }
}
