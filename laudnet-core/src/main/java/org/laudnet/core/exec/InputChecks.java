package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The checks of a network input at the executor's entry, made once per call and never per block: the batch is not
 * empty, the shape is the plan's {@code (B, C, S, S)}, and every value is finite. A non-finite value would otherwise
 * flow through every block (the sparse paths turn it into NaN logits without a word; gate decisions on NaN are
 * arbitrary), so it is refused before any work, naming the sample, the kind of value and its position.
 *
 * <p>The finiteness test is element-wise: on an {@link NDArray} it is the array's maximum and minimum (two read-only
 * reductions on the engine, no copy; both propagate NaN, {@code +Inf} shows in the maximum and {@code -Inf} in the
 * minimum), so large finite values such as {@code 3e38} pass, where a sum would overflow to infinity. Only a refused
 * input is copied to the host, to say where the offending value is. Stateless.
 */
final class InputChecks {

    private InputChecks() {}

    /**
     * Checks the shape of a batch of images.
     *
     * @param s the shape
     * @param one the plan's input shape for one image
     * @return the batch size
     * @throws IllegalArgumentException for an empty batch, a wrong rank, channel count or image size
     */
    static int batchOf(Shape s, Nchw one) {
        String want = "images must have shape (B, " + one.channels() + ", " + one.height() + ", " + one.width() + ")";
        if (s.dimension() != 4) {
            throw new IllegalArgumentException(want + ": got rank " + s.dimension() + " " + s + " instead of rank 4");
        }
        if (s.get(0) == 0) {
            throw new IllegalArgumentException("empty batch: batch size 0 in images of shape " + s);
        }
        if (s.get(0) < 0 || s.get(0) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(want + ": batch size " + s.get(0) + " is outside [1, 2^31 - 1]");
        }
        if (s.get(1) != one.channels()) {
            throw new IllegalArgumentException(want + ": got " + s.get(1) + " channels instead of " + one.channels()
                    + " in " + s);
        }
        if (s.get(2) != one.height() || s.get(3) != one.width()) {
            throw new IllegalArgumentException(want + ": got images of " + s.get(2) + " x " + s.get(3)
                    + " instead of the network's input size " + one.height() + " x " + one.width() + " in " + s);
        }
        return (int) s.get(0);
    }

    /**
     * Checks the batch size of images held on the host.
     *
     * @param batch the batch size
     * @throws IllegalArgumentException if it is not positive
     */
    static void batch(int batch) {
        if (batch == 0) {
            throw new IllegalArgumentException("empty batch: batch size 0");
        }
        if (batch < 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
    }

    /**
     * Requires every value of a batch to be finite.
     *
     * @param images the batch, of shape {@code shape}
     * @param shape its shape
     * @throws IllegalArgumentException naming the first sample that holds NaN or an infinity
     */
    static void requireFinite(NDArray images, Nchw shape) {
        float hi;
        float lo;
        try (NDArray max = images.max();
                NDArray min = images.min()) {
            hi = max.getFloat();
            lo = min.getFloat();
        }
        if (Float.isFinite(hi) && Float.isFinite(lo)) {
            return;
        }
        // refused: find the offending value on the host, for the message
        requireFinite(images.toFloatArray(), shape);
        throw new IllegalArgumentException("images contain a non-finite value (maximum " + hi + ", minimum " + lo
                + ")");
    }

    /**
     * Requires every value of a batch held on the host to be finite, in one pass.
     *
     * @param images the batch, row-major {@code shape}
     * @param shape its shape
     * @throws IllegalArgumentException naming the first sample that holds NaN or an infinity
     */
    static void requireFinite(float[] images, Nchw shape) {
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new IllegalArgumentException(nonFinite(images, shape, i));
            }
        }
    }

    /** Describes the non-finite value at {@code index}: its sample, kind, position, and how many samples have one. */
    private static String nonFinite(float[] images, Nchw shape, int index) {
        int per = shape.perSample();
        int sample = index / per;
        int within = index % per;
        int plane = shape.height() * shape.width();
        int others = 0;
        for (int b = sample + 1; b < shape.batch(); b++) {
            for (int i = b * per, end = i + per; i < end; i++) {
                if (!Float.isFinite(images[i])) {
                    others++;
                    break;
                }
            }
        }
        float v = images[index];
        String kind = Float.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
        return "images: sample " + sample + " of a batch of " + shape.batch() + " holds " + kind + " at (channel "
                + within / plane + ", row " + within % plane / shape.width() + ", column " + within % shape.width()
                + "), index " + index + (others == 0 ? "" : "; " + others + " later samples hold non-finite values too")
                + ": the network takes finite values only";
    }
}
