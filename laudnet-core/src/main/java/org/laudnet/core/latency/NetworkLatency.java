package org.laudnet.core.latency;

import java.util.List;
import org.laudnet.core.util.Checks;

/**
 * Predicted latency of a whole network for one batch, in milliseconds:
 * {@code total = stem + sum_b blocks[b].total + head}.
 *
 * @param batchSize {@code N}
 * @param stemMs stem convolution and pooling
 * @param blocks one breakdown per residual block, in order
 * @param headMs global pooling and classifier
 * @param totalMs the sum
 */
public record NetworkLatency(int batchSize, double stemMs, List<LatencyBreakdown> blocks, double headMs,
        double totalMs) {

    /** Validates the fields and that the total is the sum of the parts; copies the block list. */
    public NetworkLatency {
        Checks.positive("batchSize", batchSize);
        if (blocks == null) {
            throw new IllegalArgumentException("blocks must not be null");
        }
        blocks = List.copyOf(blocks);
        double sum = stemMs + headMs + blocks.stream().mapToDouble(LatencyBreakdown::totalMs).sum();
        if (!(Math.abs(sum - totalMs) <= 1e-9 * Math.max(1.0, Math.abs(sum)))) {
            throw new IllegalArgumentException("totalMs must equal the sum of the parts " + sum + ", got " + totalMs);
        }
    }

    /**
     * Builds the record with its total.
     *
     * @param batchSize {@code N}
     * @param stemMs stem
     * @param blocks block breakdowns
     * @param headMs head
     * @return the record
     */
    public static NetworkLatency of(int batchSize, double stemMs, List<LatencyBreakdown> blocks, double headMs) {
        double sum = stemMs + headMs + blocks.stream().mapToDouble(LatencyBreakdown::totalMs).sum();
        return new NetworkLatency(batchSize, stemMs, blocks, headMs, sum);
    }

    /** Returns the latency per image, {@code total / N}, in ms. */
    public double perImageMs() {
        return totalMs / batchSize;
    }

    /** Returns the summed latency of the residual blocks, in ms. */
    public double blocksMs() {
        return blocks.stream().mapToDouble(LatencyBreakdown::totalMs).sum();
    }
}
