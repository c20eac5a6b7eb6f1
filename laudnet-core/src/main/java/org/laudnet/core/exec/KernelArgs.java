package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Argument checks that every backend's {@link Kernels} applies alike, with messages that name the argument and the
 * value. Stateless and thread-safe.
 */
public final class KernelArgs {

    private KernelArgs() {}

    /**
     * Requires a non-null argument.
     *
     * @param name the argument's name
     * @param o the argument
     * @throws IllegalArgumentException if it is null
     */
    public static void notNull(String name, Object o) {
        if (o == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    /**
     * Requires spatial decisions that fit a tensor: the same batch, cells covering {@code H x W}, and (for per-channel
     * masking) mask groups that divide the channels.
     *
     * @param cells the decisions
     * @param shape the tensor's shape
     * @param groupsDivideChannels whether {@code gs} must divide {@code C}
     * @throws IllegalArgumentException naming the mismatch
     */
    public static void requireCells(SpatialCells cells, Nchw shape, boolean groupsDivideChannels) {
        notNull("cells", cells);
        if (cells.batch() != shape.batch()) {
            throw new IllegalArgumentException("cells.batch must equal the tensor's batch " + shape.batch() + ", got "
                    + cells.batch());
        }
        if ((long) cells.maskSize() * cells.cellSize() < Math.max(shape.height(), shape.width())) {
            throw new IllegalArgumentException("cells must cover H x W = " + shape.height() + " x " + shape.width()
                    + " (maskSize m times cellSize S >= max(H, W)), got m = " + cells.maskSize() + ", S = "
                    + cells.cellSize());
        }
        if (groupsDivideChannels && shape.channels() % cells.groups() != 0) {
            throw new IllegalArgumentException("cells.groups must divide the channels " + shape.channels() + ", got "
                    + cells.groups());
        }
    }

    /**
     * Requires a cell count per side that adaptive pooling of a tensor can produce: {@code 1 <= m <= min(H, W)}.
     *
     * @param shape the tensor's shape
     * @param m cells per side
     * @throws IllegalArgumentException naming {@code m} and the map
     */
    public static void requirePoolCells(Nchw shape, int m) {
        notNull("shape", shape);
        if (m < 1 || m > Math.min(shape.height(), shape.width())) {
            throw new IllegalArgumentException("m must be in [1, min(H, W)] for a " + shape.height() + " x "
                    + shape.width() + " map, got " + m);
        }
    }

    /**
     * Requires a non-empty list of distinct sample indices in {@code [0, batch)}.
     *
     * @param samples the list
     * @param batch the batch size
     * @throws IllegalArgumentException naming the offending entry
     */
    public static void requireSamples(int[] samples, int batch) {
        if (samples == null || samples.length == 0) {
            throw new IllegalArgumentException("samples must list at least one sample index, got "
                    + (samples == null ? "null" : "none"));
        }
        boolean[] seen = new boolean[batch];
        for (int i = 0; i < samples.length; i++) {
            int s = samples[i];
            if (s < 0 || s >= batch) {
                throw new IllegalArgumentException("samples entries must be in [0, " + batch + "), got " + s
                        + " at samples[" + i + "]");
            }
            if (seen[s]) {
                throw new IllegalArgumentException("samples entries must be distinct, got " + s + " twice (again at"
                        + " samples[" + i + "])");
            }
            seen[s] = true;
        }
    }

    /**
     * Returns an engine array's values after checking that it is a float32 array of an NCHW shape (for backends that
     * copy imported arrays).
     *
     * @param x the array
     * @param shape its expected shape
     * @return its values, row-major
     * @throws IllegalArgumentException if it is null, not float32, or of another shape
     */
    public static float[] hostValues(NDArray x, Nchw shape) {
        notNull("x", x);
        notNull("shape", shape);
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("x must be float32, got " + x.getDataType());
        }
        Shape expected = new Shape(shape.batch(), shape.channels(), shape.height(), shape.width());
        if (!x.getShape().equals(expected)) {
            throw new IllegalArgumentException("x must have shape " + expected + ", got " + x.getShape());
        }
        return x.toFloatArray();
    }
}
