package org.laudnet.core.exec.reference;

import static org.laudnet.core.exec.KernelArgs.notNull;
import static org.laudnet.core.exec.reference.ReferenceOps.describe;
import static org.laudnet.core.exec.reference.ReferenceOps.requireLength;
import static org.laudnet.core.exec.reference.ReferenceOps.requireTensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;

/**
 * The primitives of the {@link ReferenceBackend}: each one validates its arguments and runs the matching
 * {@link ReferenceOps} operation on {@code float[]} tensors.
 *
 * <p>Tensors: NCHW tensors are row-major arrays of exactly {@code B C H W} values; per-channel values
 * {@code (B, C, 1, 1)} hold {@code B C} values. The opaque intermediates are the windows {@code (P, C1, T, T)}, the
 * patch outputs {@code (P, C2, S, S)} and the spatial accumulator, a copy of the identity {@code (B, Cout, Hout, Wout)}.
 * Every primitive returns a new array (so no input is ever overwritten), except the documented in-place writes.
 *
 * <p>Lifetimes are the Java heap's: scopes only track that they are open, {@link #release} does nothing, and arrays
 * are collected when unreachable. Imported engine arrays are copied (their owner keeps and closes them).
 *
 * <p>Not thread-safe: one executor owns a kernels object.
 */
final class ReferenceKernels implements Kernels<float[]> {

    private boolean closed;

    ReferenceKernels() {}

    /** A scope that only checks it is open when a tensor is kept. */
    private final class ReferenceScope implements Scope<float[]> {

        private boolean open = true;

        @Override
        public float[] keep(float[] t) {
            if (!open) {
                throw new IllegalStateException("cannot keep a tensor in a closed scope");
            }
            notNull("t", t);
            return t;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    @Override
    public Scope<float[]> openScope() {
        ensureOpen();
        return new ReferenceScope();
    }

    @Override
    public void release(float[] t) {
        // Heap arrays are collected when unreachable.
    }

    // ------------------------------------------------------------------------------------------------ transfers

    @Override
    public float[] importArray(NDArray x, Nchw shape) {
        ensureOpen();
        return KernelArgs.hostValues(x, shape);
    }

    @Override
    public float[] importHost(float[] data, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        if (data == null || data.length < shape.size()) {
            throw new IllegalArgumentException("data must hold at least B*C*H*W = " + shape.size()
                    + " values for shape " + describe(shape) + ", got " + (data == null ? "null" : data.length));
        }
        return Arrays.copyOf(data, shape.size());
    }

    @Override
    public NDArray exportArray(float[] t, Nchw shape, NDManager target) {
        ensureOpen();
        notNull("shape", shape);
        notNull("target", target);
        requireTensor("t", t, shape);
        return target.create(t, new Shape(shape.batch(), shape.channels(), shape.height(), shape.width()));
    }

    @Override
    public float[] exportHost(float[] t, int count) {
        ensureOpen();
        notNull("t", t);
        if (count < 0 || count > t.length) {
            throw new IllegalArgumentException("count must be in [0, " + t.length + "] (the tensor's length), got "
                    + count);
        }
        return Arrays.copyOf(t, count);
    }

    @Override
    public ConvWeights temporary(FoldedConv conv) {
        ensureOpen();
        return new ReferenceWeights(conv);
    }

    // ------------------------------------------------------------------------------------------------ dense

    @Override
    public float[] conv(float[] x, Nchw xs, ConvWeights w, float[] residual, boolean relu) {
        ensureOpen();
        return ReferenceOps.conv2d(x, xs, spec("w", w), residual, relu);
    }

    @Override
    public float[] maxPool(float[] x, Nchw xs, int kernel, int stride, int padding) {
        ensureOpen();
        return ReferenceOps.maxPool2d(x, xs, kernel, stride, padding);
    }

    @Override
    public float[] avgPool(float[] x, Nchw xs, int kernel) {
        ensureOpen();
        return ReferenceOps.avgPool2d(x, xs, kernel);
    }

    @Override
    public float[] mean(float[] x, Nchw xs) {
        ensureOpen();
        return ReferenceOps.globalAvgPool(x, xs);
    }

    @Override
    public float[] relu(float[] x, Nchw xs) {
        ensureOpen();
        return ReferenceOps.relu(x, xs);
    }

    @Override
    public float[] scaleChannels(float[] h, Nchw hs, float[] scale, boolean sigmoid) {
        ensureOpen();
        return ReferenceOps.scaleChannels(h, hs, scale, sigmoid);
    }

    @Override
    public float[] maskedMean(float[] h, Nchw hs, SpatialCells cells) {
        ensureOpen();
        return ReferenceOps.maskedMean(h, hs, cells);
    }

    @Override
    public float[] gatherSamples(float[] x, Nchw xs, int[] samples) {
        ensureOpen();
        return ReferenceOps.gatherSamples(x, xs, samples);
    }

    @Override
    public void scatterSamplesResidualRelu(float[] branch, Nchw branchShape, int[] samples, float[] identity,
            float[] out) {
        ensureOpen();
        ReferenceOps.scatterSamplesResidualRelu(branch, branchShape, samples, identity, out);
    }

    @Override
    public void fillInactiveRelu(float[] identity, Nchw shape, SpatialCells cells, float[] out) {
        ensureOpen();
        ReferenceOps.fillInactiveRelu(identity, shape, cells, out);
    }

    // ------------------------------------------------------------------------------------------------ patches

    @Override
    public float[] windowsConv1(float[] x, Nchw xs, PatchPlan plan, ConvWeights c1, SpatialSchedule schedule) {
        ensureOpen();
        if (schedule != SpatialSchedule.HALO) {
            throw new IllegalArgumentException("schedule must be one of the java backend's spatial schedules "
                    + "[HALO], got " + schedule);
        }
        return ReferenceOps.gatherConv1x1Relu(x, xs, plan, spec("c1", c1));
    }

    @Override
    public float[] patchConv3x3Relu(float[] windows, PatchPlan plan, ConvWeights c2) {
        ensureOpen();
        return ReferenceOps.patchConv3x3Relu(windows, plan, spec("c2", c2));
    }

    @Override
    public float[] patchMeans(float[] patches, PatchPlan plan, int channels) {
        ensureOpen();
        return ReferenceOps.patchMeans(patches, plan, channels);
    }

    @Override
    public float[] scalePatchesSigmoid(float[] patches, PatchPlan plan, int channels, float[] scale) {
        ensureOpen();
        return ReferenceOps.scalePatchesSigmoid(patches, plan, channels, scale);
    }

    @Override
    public float[] spatialBegin(float[] identity, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        requireTensor("identity", identity, shape);
        return identity.clone();
    }

    @Override
    public void patchConv1x1Add(float[] patches, PatchPlan plan, ConvWeights c3, float[] accumulator) {
        ensureOpen();
        ReferenceOps.patchConv1x1Add(patches, plan, spec("c3", c3), accumulator);
    }

    @Override
    public float[] spatialEnd(float[] accumulator, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        requireLength("accumulator", accumulator, shape.size(), "B*C*H*W of " + describe(shape));
        return ReferenceOps.relu(accumulator, shape);
    }

    /** Marks the kernels closed; later calls are refused. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private static FoldedConv spec(String name, ConvWeights w) {
        if (w instanceof ReferenceWeights r) {
            return r.spec();
        }
        throw new IllegalArgumentException(name + " must be weights of the java reference backend (ReferenceWeights),"
                + " got " + (w == null ? "null" : w.getClass().getName()));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the java reference kernels are closed");
        }
    }
}
