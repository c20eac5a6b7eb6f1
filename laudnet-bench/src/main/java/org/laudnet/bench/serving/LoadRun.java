package org.laudnet.bench.serving;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * One closed-loop run: {@code clients} callers each sending the next request as soon as the previous is answered, until
 * {@code requests} were sent or the time bound passed. Immutable.
 *
 * @param clients concurrent callers
 * @param sent requests sent
 * @param ok requests answered 200
 * @param statuses answers by HTTP status (0: no answer, an I/O error)
 * @param wallSeconds from the first request to the last answer
 * @param latenciesMs latencies of the 200 answers, sorted
 * @param batchSizes at index {@code b} the number of 200 answers served in a batch of {@code b}
 */
record LoadRun(int clients, int sent, int ok, Map<Integer, Integer> statuses, double wallSeconds,
        double[] latenciesMs, int[] batchSizes) {

    LoadRun {
        statuses = new TreeMap<>(statuses);
        latenciesMs = latenciesMs.clone();
        Arrays.sort(latenciesMs);
    }

    /** Answers per second (200s over the wall time). */
    double throughput() {
        return wallSeconds <= 0 ? 0 : ok / wallSeconds;
    }

    /** A latency quantile of the 200 answers, ms (nearest rank; NaN when none). */
    double quantileMs(double q) {
        if (latenciesMs.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * latenciesMs.length);
        return latenciesMs[Math.min(latenciesMs.length - 1, Math.max(0, rank - 1))];
    }

    /** Requests not answered 200. */
    int errors() {
        return sent - ok;
    }

    /** Mean batch size of the 200 answers (NaN when none). */
    double meanBatch() {
        long n = 0;
        long s = 0;
        for (int b = 0; b < batchSizes.length; b++) {
            n += batchSizes[b];
            s += (long) b * batchSizes[b];
        }
        return n == 0 ? Double.NaN : (double) s / n;
    }

    /** The batch-size distribution as {@code size:count} pairs. */
    String batchDistribution() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < batchSizes.length; i++) {
            if (batchSizes[i] > 0) {
                b.append(b.length() == 0 ? "" : " ").append(i).append(':').append(batchSizes[i]);
            }
        }
        return b.length() == 0 ? "-" : b.toString();
    }
}
