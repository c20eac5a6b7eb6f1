package org.laudnet.models.train;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-parameter learning rates in two groups: {@code lr(param, n) = base(n) * gateMultiplier} for gate parameters
 * (whose name contains {@value #GATE_MARKER}) and {@code base(n) * backboneMultiplier} for every other parameter
 * (method section 3: backbone multiplier 1.0 for ResNet, 0.1 for RegNet; gates 1.0).
 *
 * <p>DJL optimizers identify parameters by {@link Parameter#getId()}; the tracker maps those ids to the parameter
 * paths of the block it was built for. An id it does not know is treated as a name itself.
 */
public final class GroupLearningRateTracker implements ParameterTracker {

    /** Substring of a parameter name that puts it in the gate group. */
    public static final String GATE_MARKER = "gate";

    private final Tracker base;
    private final float backboneMultiplier;
    private final float gateMultiplier;
    private final Map<String, String> names = new HashMap<>();

    /**
     * Creates the tracker.
     *
     * @param block the trained block (its parameters' ids are mapped to their names)
     * @param base the base schedule
     * @param backboneMultiplier multiplier of non-gate parameters, non-negative
     * @param gateMultiplier multiplier of gate parameters, non-negative
     */
    public GroupLearningRateTracker(Block block, Tracker base, float backboneMultiplier, float gateMultiplier) {
        if (block == null || base == null) {
            throw new IllegalArgumentException("block and base must not be null");
        }
        if (!(backboneMultiplier >= 0) || !Float.isFinite(backboneMultiplier)) {
            throw new IllegalArgumentException("backboneMultiplier must be non-negative, got " + backboneMultiplier);
        }
        if (!(gateMultiplier >= 0) || !Float.isFinite(gateMultiplier)) {
            throw new IllegalArgumentException("gateMultiplier must be non-negative, got " + gateMultiplier);
        }
        this.base = base;
        this.backboneMultiplier = backboneMultiplier;
        this.gateMultiplier = gateMultiplier;
        for (Pair<String, Parameter> p : block.getParameters()) {
            names.put(p.getValue().getId(), p.getKey());
        }
    }

    /**
     * Returns whether a parameter belongs to the gate group.
     *
     * @param parameterId a parameter id or name
     * @return true for gate parameters
     */
    public boolean isGateParameter(String parameterId) {
        return names.getOrDefault(parameterId, parameterId).contains(GATE_MARKER);
    }

    /** {@inheritDoc} */
    @Override
    public float getNewValue(String parameterId, int numUpdate) {
        float lr = base.getNewValue(numUpdate);
        return lr * (isGateParameter(parameterId) ? gateMultiplier : backboneMultiplier);
    }
}
