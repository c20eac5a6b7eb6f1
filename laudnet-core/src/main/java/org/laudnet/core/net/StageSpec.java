package org.laudnet.core.net;

import java.util.List;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.util.Checks;

/**
 * One stage of a latency-aware backbone: its blocks and how they are gated.
 *
 * @param blocks number of residual blocks
 * @param width inner width of each block
 * @param outChannels output channels of each block
 * @param stride stride of the stage's first block (1 or 2)
 * @param gate how every block of the stage is gated (mode, spatial granularity, channel groups, masker kind)
 */
public record StageSpec(int blocks, int width, int outChannels, int stride, GateSpec gate) {

    /** Validates every field. */
    public StageSpec {
        Checks.positive("blocks", blocks);
        Checks.positive("width", width);
        Checks.positive("outChannels", outChannels);
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        if (gate == null) {
            throw new IllegalArgumentException("gate must not be null");
        }
    }

    /**
     * Returns this stage with other gating.
     *
     * @param gate the gate spec
     * @return the new stage spec
     */
    public StageSpec withGate(GateSpec gate) {
        return new StageSpec(blocks, width, outChannels, stride, gate);
    }

    /**
     * Gates each stage of a stage table in place, one spec per stage, in order.
     *
     * @param stages the mutable stage table
     * @param gates the per-stage gate specs
     * @throws IllegalArgumentException if the counts differ
     */
    public static void applyGates(List<StageSpec> stages, GateSpec... gates) {
        if (gates.length != stages.size()) {
            throw new IllegalArgumentException(
                    "gates must have one entry per stage (" + stages.size() + "), got " + gates.length);
        }
        for (int i = 0; i < gates.length; i++) {
            stages.set(i, stages.get(i).withGate(gates[i]));
        }
    }
}
