package org.laudnet.core.latency;

/**
 * Predicted latency of one residual block split into its kernels, in milliseconds.
 *
 * <p>{@code total = masker + gather + conv1 + conv2 + conv3 + scatter + downsample}. Parts a block does not have are
 * 0 (e.g. {@code conv3} of a basic block, {@code gather}/{@code scatter} of a static or channel-gated block). When a
 * spatial masker is fused into conv1 as extra output channels, conv1 includes it and {@code masker} holds only the
 * pooling of those extra channels. For layer skipping the three convolutions hold {@code rho} times their static
 * latency.
 *
 * @param maskerMs gates' maskers (pooling and their small convolutions / linear layers)
 * @param gatherMs gathering the active input patches into a compact buffer
 * @param conv1Ms first convolution
 * @param conv2Ms second convolution (the 3x3 of a bottleneck)
 * @param conv3Ms third convolution (0 for a basic block)
 * @param scatterMs fused scatter-add of the computed patches into the identity (with the final ReLU)
 * @param downsampleMs the {@code 1x1} stride-s convolution of the identity path (0 without one)
 * @param totalMs the sum of all parts
 */
public record LatencyBreakdown(
        double maskerMs,
        double gatherMs,
        double conv1Ms,
        double conv2Ms,
        double conv3Ms,
        double scatterMs,
        double downsampleMs,
        double totalMs) {

    /** Validates that every part is finite and non-negative and that the total is their sum. */
    public LatencyBreakdown {
        check("maskerMs", maskerMs);
        check("gatherMs", gatherMs);
        check("conv1Ms", conv1Ms);
        check("conv2Ms", conv2Ms);
        check("conv3Ms", conv3Ms);
        check("scatterMs", scatterMs);
        check("downsampleMs", downsampleMs);
        double sum = maskerMs + gatherMs + conv1Ms + conv2Ms + conv3Ms + scatterMs + downsampleMs;
        if (!(Math.abs(totalMs - sum) <= 1e-9 * Math.max(1.0, Math.abs(sum)))) {
            throw new IllegalArgumentException("totalMs must equal the sum of the parts " + sum + ", got " + totalMs);
        }
    }

    /**
     * Builds a breakdown whose total is the sum of the parts.
     *
     * @param maskerMs maskers
     * @param gatherMs gather
     * @param conv1Ms conv1
     * @param conv2Ms conv2
     * @param conv3Ms conv3
     * @param scatterMs scatter-add
     * @param downsampleMs downsample
     * @return the breakdown
     */
    public static LatencyBreakdown of(
            double maskerMs,
            double gatherMs,
            double conv1Ms,
            double conv2Ms,
            double conv3Ms,
            double scatterMs,
            double downsampleMs) {
        return new LatencyBreakdown(maskerMs, gatherMs, conv1Ms, conv2Ms, conv3Ms, scatterMs, downsampleMs,
                maskerMs + gatherMs + conv1Ms + conv2Ms + conv3Ms + scatterMs + downsampleMs);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and non-negative, got " + v);
        }
    }
}
