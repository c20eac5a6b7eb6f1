package org.laudnet.serve;

import java.util.Map;
import org.laudnet.models.serving.ErrorKind;
import org.laudnet.models.serving.LatencyHistogram;
import org.laudnet.models.serving.ServiceMetrics;

/**
 * The Prometheus text exposition format (version 0.0.4) of a service's metrics and the server's response counts.
 * Stateless and thread-safe.
 */
final class PrometheusText {

    /** The content type of the format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Upper bounds of the exposed latency buckets, seconds. */
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private PrometheusText() {}

    static String format(ServiceMetrics metrics, Map<Integer, Long> responses, boolean ready) {
        ServiceMetrics.Snapshot s = metrics.snapshot();
        LatencyHistogram h = metrics.latency();
        StringBuilder b = new StringBuilder(4096);
        gauge(b, "laudnet_ready", "1 once the model is loaded and warmed up", ready ? 1 : 0);
        counter(b, "laudnet_requests_total", "prediction requests received by the service", s.requests());
        counter(b, "laudnet_predictions_total", "prediction requests answered", s.served());
        b.append("# HELP laudnet_errors_total failed prediction requests by kind\n");
        b.append("# TYPE laudnet_errors_total counter\n");
        for (ErrorKind k : ErrorKind.values()) {
            b.append("laudnet_errors_total{kind=\"").append(k.label()).append("\"} ")
                    .append(s.errors().getOrDefault(k, 0L)).append('\n');
        }
        b.append("# HELP laudnet_request_latency_seconds arrival to answer of answered requests\n");
        b.append("# TYPE laudnet_request_latency_seconds histogram\n");
        for (double le : LATENCY_BUCKETS) {
            b.append("laudnet_request_latency_seconds_bucket{le=\"").append(num(le)).append("\"} ")
                    .append(h.countAtMost(le * 1e9)).append('\n');
        }
        b.append("laudnet_request_latency_seconds_bucket{le=\"+Inf\"} ").append(h.count()).append('\n');
        b.append("laudnet_request_latency_seconds_sum ").append(num(h.sumNanos() / 1e9)).append('\n');
        b.append("laudnet_request_latency_seconds_count ").append(h.count()).append('\n');
        b.append("# HELP laudnet_request_latency_quantile_seconds latency quantiles (bucket upper edges, 9 %)\n");
        b.append("# TYPE laudnet_request_latency_quantile_seconds gauge\n");
        quantile(b, "0.5", s.p50Ms());
        quantile(b, "0.95", s.p95Ms());
        quantile(b, "0.99", s.p99Ms());
        b.append("# HELP laudnet_batch_size requests per batch run\n");
        b.append("# TYPE laudnet_batch_size histogram\n");
        long[] c = s.batchSizeCounts();
        long cumulative = 0;
        long sum = 0;
        for (int i = 1; i < c.length; i++) {
            cumulative += c[i];
            sum += i * c[i];
            b.append("laudnet_batch_size_bucket{le=\"").append(i).append("\"} ").append(cumulative).append('\n');
        }
        b.append("laudnet_batch_size_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        b.append("laudnet_batch_size_sum ").append(sum).append('\n');
        b.append("laudnet_batch_size_count ").append(cumulative).append('\n');
        gauge(b, "laudnet_queue_depth", "requests waiting now", s.queueDepth());
        gauge(b, "laudnet_gate_density_mean", "mean fraction of gate units open over answered requests",
                Double.isNaN(s.meanGateDensity()) ? 0 : s.meanGateDensity());
        gauge(b, "laudnet_macs_ratio_mean", "mean F_dyn / F_static over answered requests",
                Double.isNaN(s.meanMacsRatio()) ? 0 : s.meanMacsRatio());
        b.append("# HELP laudnet_http_responses_total HTTP responses by status\n");
        b.append("# TYPE laudnet_http_responses_total counter\n");
        responses.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> b
                .append("laudnet_http_responses_total{status=\"").append(e.getKey()).append("\"} ")
                .append(e.getValue()).append('\n'));
        return b.toString();
    }

    private static void quantile(StringBuilder b, String q, double ms) {
        b.append("laudnet_request_latency_quantile_seconds{quantile=\"").append(q).append("\"} ")
                .append(num(ms / 1e3)).append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        b.append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(num(v)).append('\n');
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
