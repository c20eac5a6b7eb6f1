package org.laudnet.core.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Writes values into an existing array (a parameter being imported or copied) as an ordinary in-place copy.
 *
 * <p>DJL's {@code NDArray.set(float[])}, {@code set(Buffer)} and {@code copyTo(NDArray)} swap the array's storage for
 * a Java direct buffer; on PyTorch that native call runs under the deprecated {@code AutoNonVariableTypeMode}, which
 * makes PyTorch print a {@code LegacyTypeDispatch} deprecation warning to the process's standard error, and the
 * array's memory then lives in the Java buffer. These methods build the values as a temporary array and copy them into
 * the target's own storage with an indexed full-slice assignment instead: same values, no warning, no borrowed memory.
 * A target that requires a gradient (a parameter) keeps that flag; the copy itself is not recorded by autograd.
 *
 * <p>Stateless and thread-safe; concurrent writes to the same target are the caller's to avoid.
 */
public final class ArrayWrites {

    private static final NDIndex ALL = new NDIndex("...");

    private ArrayWrites() {}

    /**
     * Copies {@code values} (row-major, the target's element order) into {@code target}.
     *
     * @param target the array written, float32
     * @param values exactly {@code target.size()} values
     * @throws IllegalArgumentException if an argument is null or the number of values differs from the target's size
     */
    public static void write(NDArray target, float[] values) {
        if (target == null || values == null) {
            throw new IllegalArgumentException("target and values must not be null");
        }
        if (values.length != target.size()) {
            throw new IllegalArgumentException("values has " + values.length + " elements, the target "
                    + target.getShape() + " has " + target.size());
        }
        try (NDManager scope = target.getManager().newSubManager()) {
            assign(target, scope.create(values, target.getShape()).toType(target.getDataType(), false));
        }
    }

    /**
     * Copies {@code source} into {@code target}; the source is unchanged.
     *
     * @param source the values
     * @param target the array written, of the source's shape
     * @throws IllegalArgumentException if an argument is null or the shapes differ
     */
    public static void copy(NDArray source, NDArray target) {
        if (source == null || target == null) {
            throw new IllegalArgumentException("source and target must not be null");
        }
        if (!source.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException("source has shape " + source.getShape() + ", target "
                    + target.getShape());
        }
        try (NDManager scope = target.getManager().newSubManager()) {
            NDArray values = source;
            if (!values.getDevice().equals(target.getDevice())) {
                values = values.toDevice(target.getDevice(), true);
                values.attach(scope);
            }
            if (values.getDataType() != target.getDataType()) {
                values = values.toType(target.getDataType(), true);
                values.attach(scope);
            }
            assign(target, values);
        }
    }

    /** The in-place copy; a leaf that requires a gradient is released for the write and flagged again after it. */
    private static void assign(NDArray target, NDArray values) {
        boolean gradient = target.hasGradient();
        if (gradient) {
            target.setRequiresGradient(false);
        }
        try {
            target.set(ALL, values);
        } finally {
            if (gradient) {
                target.setRequiresGradient(true);
            }
        }
    }
}
