package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/**
 * Initialises the bias of a masker's last layer, whose {@code 2 * n} outputs are laid out as {@code n} keep logits
 * followed by {@code n} skip logits: the first half is set to {@code keepBias}, the second to {@code skipBias}.
 * With a large enough gap every gate starts open (spatial: +5 / 0; channel: +2 / -2).
 */
public final class KeepSkipBiasInitializer implements Initializer {

    private final float keepBias;
    private final float skipBias;

    /**
     * Creates the initializer.
     *
     * @param keepBias bias of the keep logits
     * @param skipBias bias of the skip logits
     */
    public KeepSkipBiasInitializer(float keepBias, float skipBias) {
        if (!Float.isFinite(keepBias) || !Float.isFinite(skipBias)) {
            throw new IllegalArgumentException(
                    "keepBias and skipBias must be finite, got " + keepBias + " and " + skipBias);
        }
        this.keepBias = keepBias;
        this.skipBias = skipBias;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        if (shape.dimension() != 1 || shape.get(0) % 2 != 0) {
            throw new IllegalArgumentException("keep/skip bias must have shape (2n), got " + shape);
        }
        int n = (int) shape.get(0) / 2;
        float[] values = new float[2 * n];
        for (int i = 0; i < n; i++) {
            values[i] = keepBias;
            values[n + i] = skipBias;
        }
        return manager.create(values).toType(dataType, false);
    }
}
