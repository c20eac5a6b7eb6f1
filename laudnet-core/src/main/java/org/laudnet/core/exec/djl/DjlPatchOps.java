package org.laudnet.core.exec.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.HashMap;
import java.util.Map;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.util.Checks;

/**
 * The spatial patch primitives of {@link DjlKernels} (method section 4). Every gather and scatter is a row operation
 * on a contiguous channels-last tensor ({@code get}/{@code set} with one int64 index array), the fast pattern of DJL
 * on the CPU; the opaque tensors are:
 *
 * <ul>
 *   <li>windows: rows {@code (P T T, C1)}, contiguous; row {@code (p T + ty) T + tx} is the conv1 output at window
 *       pixel {@code (ty, tx)} of patch {@code p} (zero outside the image);
 *   <li>patch outputs: {@code (P, C2, S, S)} as returned by {@code Conv2d.conv2d} on the windows viewed as
 *       {@code (P, C1, T, T)} with channels-last strides; PyTorch's CPU convolution keeps that memory format, so the
 *       rows {@code (P S S, C2)} conv3 reads are normally a view (a copy otherwise, never a different result);
 *   <li>accumulator: rows {@code (B Hout Wout, Cout)}, contiguous; row {@code (b Hout + y) Wout + x};
 *   <li>ROWS schedule: the "windows" are the conv1 rows of the dilated mask's pixels plus a zero row,
 *       {@code (1, K + 1, C1)} (three dimensions mark the layout); conv2 gathers the im2col of the active output
 *       positions from them ({@link PatchIndex#im2col}) and runs one matrix product, its output rows
 *       {@code (P S S, C2)} viewed as the patch outputs {@code (P, C2, S, S)}; when conv1's input is the identity of
 *       the open accumulator and nothing has been added to it yet, conv1 gathers its rows from the accumulator
 *       (the identity's channels-last copy) instead of copying the input again.
 * </ul>
 *
 * <p>Index arrays depend on the plan only and are cached per plan content ({@link org.laudnet.core.exec.PlanIndexCache}); the zero rows
 * appended to conv1's output are cached per channel count. Not thread-safe (one per kernels object).
 */
final class DjlPatchOps {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape NO_PADDING = new Shape(0, 0);
    /** Channel counts whose zero row is kept; the map is cleared when it would grow beyond. */
    private static final int MAX_ZERO_ROWS = 32;

    private final DjlKernels k;
    private final Map<Integer, NDArray> zeroRows = new HashMap<>();
    /** The identity of the latest accumulator, the accumulator, and whether no conv3 has been added to it yet. */
    private NDArray accIdentity;
    private NDArray acc;
    private boolean accPristine;

    DjlPatchOps(DjlKernels kernels) {
        this.k = kernels;
    }

    /**
     * conv1 of the windows. WINDOWS: {@code Linear.linear} over every pixel of {@code x} read as channels-last rows
     * (a transposed view {@code (B, H W, Cin)}, no copy), giving {@code (B H W, C1)}. M1: the rows of the pixels the
     * windows touch are gathered from that view with two index arrays (sample, pixel) and multiplied alone. Then a
     * zero row is appended (when a window leaves the image), the ReLU applied, and the window rows gathered.
     *
     * @return the windows {@code (P T T, C1)}
     */
    NDArray windowsConv1(NDArray x, Nchw xs, PatchPlan plan, ConvWeights c1, SpatialSchedule schedule) {
        DjlKernels.requireTensor("x", x, xs);
        SpatialGeometry g = geometry(plan);
        if (xs.batch() != plan.batch() || xs.height() != g.inHeight() || xs.width() != g.inWidth()) {
            throw new IllegalArgumentException("x shape " + xs + " must be (" + plan.batch() + ", C, "
                    + g.inHeight() + ", " + g.inWidth() + ") for the plan");
        }
        DjlConvWeights d = k.weights("c1", c1);
        FoldedConv c = d.spec();
        if (c.kernel() != 1 || c.stride() != 1 || c.groups() != 1 || c.padding() != 0) {
            throw new IllegalArgumentException("c1 must be an ungrouped 1x1 convolution without stride, got " + c);
        }
        if (c.inChannels() != xs.channels()) {
            throw new IllegalArgumentException("x has " + xs.channels() + " channels but c1 expects "
                    + c.inChannels());
        }
        if (schedule != SpatialSchedule.WINDOWS && schedule != SpatialSchedule.M1
                && schedule != SpatialSchedule.ROWS) {
            throw new IllegalArgumentException("schedule must be WINDOWS, M1 or ROWS on the DJL backend, got "
                    + schedule);
        }
        int c1Channels = c.outChannels();
        NDManager m = k.current();
        if (schedule == SpatialSchedule.ROWS) {
            return rowsConv1(x, xs, plan, d);
        }
        if (plan.patchCount() == 0) {
            return m.zeros(new Shape(0, c1Channels));
        }
        PatchIndex idx = k.plans().of(plan);
        int hw = xs.height() * xs.width();
        NDArray planes = k.local(x.reshape(xs.batch(), xs.channels(), hw));
        NDArray pixels = planes.transpose(0, 2, 1);
        NDArray pre;
        NDArray windowIndex;
        if (schedule == SpatialSchedule.WINDOWS) {
            NDArray dense = Linear.linear(pixels, d.matrix(), d.bias()).head();
            pre = dense.reshape((long) xs.batch() * hw, c1Channels);
            dense.close();
            windowIndex = idx.windows();
        } else {
            NDArray selected = pixels.get(new NDIndex("{}, {}", idx.m1Samples(), idx.m1Pixels()));
            pre = Linear.linear(selected, d.matrix(), d.bias()).head();
            selected.close();
            windowIndex = idx.m1Windows();
        }
        DjlKernels.close(pixels, planes);
        if (idx.needsZeroRow()) {
            NDArray padded = NDArrays.concat(new NDList(pre, zeroRow(c1Channels)), 0);
            pre.close();
            pre = padded;
        }
        NDArray act = Activation.relu(pre);
        NDArray windows = act.get(new NDIndex("{}", windowIndex));
        DjlKernels.close(pre, act);
        return windows;
    }

    /**
     * conv1 of the ROWS schedule: the input as contiguous channels-last rows {@code (B H W, Cin)} (the pristine
     * accumulator of the block when {@code x} is its identity, otherwise one transposing copy), the M1 rows gathered
     * with one index, one {@code Linear.linear}, a zero row appended, the ReLU.
     *
     * @return {@code (1, K + 1, C1)}: the three dimensions tell {@link #patchConv3x3Relu} the layout
     */
    private NDArray rowsConv1(NDArray x, Nchw xs, PatchPlan plan, DjlConvWeights d) {
        int c1Channels = d.spec().outChannels();
        PatchIndex idx = k.plans().of(plan);
        int kk = idx.m1Count();
        NDArray source;
        NDArray copy = null;
        if (x == accIdentity && acc != null && !acc.isReleased() && accPristine) {
            source = acc;
        } else {
            copy = channelsLastRows(x, xs);
            source = copy;
        }
        NDArray selected = source.get(new NDIndex("{}", idx.m1Rows()));
        NDArray pre = Linear.linear(selected, d.matrix(), d.bias()).head();
        NDArray padded = NDArrays.concat(new NDList(pre, zeroRow(c1Channels)), 0);
        NDArray act = Activation.relu(padded);
        NDArray rows = k.local(act.reshape(1, kk + 1L, c1Channels));
        DjlKernels.close(copy, selected, pre, padded, act);
        return rows;
    }

    /** {@code x} as contiguous rows {@code (B H W, C)}, a copy in the current scope. */
    private NDArray channelsLastRows(NDArray x, Nchw xs) {
        NDArray view = k.local(x.transpose(0, 2, 3, 1));
        NDArray flat = view.reshape(-1);
        if (xs.height() * xs.width() == 1 || xs.channels() == 1) {
            NDArray dup = flat.duplicate();
            flat.close();
            flat = dup;
        }
        NDArray rows = flat.reshape((long) xs.batch() * xs.height() * xs.width(), xs.channels());
        DjlKernels.close(view, flat);
        return rows;
    }

    /**
     * conv2 of the ROWS schedule on M1 rows {@code (1, K + 1, C1)}: ungrouped, one row gather of the im2col of the
     * active output positions {@code (P S S, 9 C1)} and one {@code Linear.linear} with the im2col weight matrix;
     * grouped, the windows gathered from the M1 rows and {@code Conv2d.conv2d} as for the other schedules.
     */
    private NDArray rowsConv3x3Relu(NDArray m1, PatchPlan plan, DjlConvWeights d) {
        FoldedConv c = d.spec();
        SpatialGeometry g = plan.geometry();
        PatchIndex idx = k.plans().of(plan);
        int p = plan.patchCount();
        int s = g.cellSize();
        DjlKernels.requireShape("windows", m1, new Shape(1, idx.m1Count() + 1L, c.inChannels()));
        NDArray rows = k.local(m1.reshape(idx.m1Count() + 1L, c.inChannels()));
        if (c.groups() != 1) {
            NDArray win = rows.get(new NDIndex("{}", idx.m1Windows()));
            rows.close();
            NDArray r = patchConv3x3Relu(k.local(win), plan, d);
            win.close();
            return r;
        }
        NDArray cols = rows.get(new NDIndex("{}", idx.im2col()));
        NDArray mat = cols.reshape((long) p * s * s, 9L * c.inChannels());
        NDArray z = Linear.linear(mat, d.rowMatrix(), d.bias()).head();
        NDArray act = Activation.relu(z);
        NDArray cube = act.reshape(p, s, s, c.outChannels());
        NDArray out = k.local(cube.transpose(0, 3, 1, 2));
        DjlKernels.close(rows, cols, mat, z, act, cube);
        return out;
    }

    /**
     * conv2 on the windows: the rows viewed as {@code (P, T, T, C1)}, transposed to {@code (P, C1, T, T)} (a
     * channels-last view), {@code Conv2d.conv2d} without padding, then the ReLU.
     *
     * @return the patch outputs {@code (P, C2, S, S)}
     */
    NDArray patchConv3x3Relu(NDArray windows, PatchPlan plan, ConvWeights c2) {
        SpatialGeometry g = geometry(plan);
        DjlConvWeights d = k.weights("c2", c2);
        FoldedConv c = d.spec();
        if (c.kernel() != 3 || c.stride() != g.stride()) {
            throw new IllegalArgumentException("c2 must be a 3x3 convolution with the plan's stride " + g.stride()
                    + ", got " + c);
        }
        if (windows != null && !windows.isReleased() && windows.getShape().dimension() == 3) {
            return rowsConv3x3Relu(windows, plan, d);
        }
        int p = plan.patchCount();
        int t = g.windowSize();
        int s = g.cellSize();
        DjlKernels.requireShape("windows", windows, new Shape((long) p * t * t, c.inChannels()));
        if (p == 0) {
            return k.current().zeros(new Shape(0, c.outChannels(), s, s));
        }
        NDArray cube = k.local(windows.reshape(p, t, t, c.inChannels()));
        NDArray in = cube.transpose(0, 3, 1, 2);
        NDArray y = Conv2d.conv2d(in, d.weight(), d.bias(), new Shape(c.stride(), c.stride()), NO_PADDING, ONE,
                c.groups()).head();
        NDArray r = Activation.relu(y);
        DjlKernels.close(cube, in, y);
        return r;
    }

    /**
     * Per-sample means of the patch outputs: per-patch sums over the {@code S x S} positions (only those inside the
     * image for cut border patches), then the host-built {@code (B, P)} matrix of {@code 1 / max(n_b, 1)} times the
     * {@code (P, C2)} sums.
     *
     * @return {@code (B, C2, 1, 1)}
     */
    NDArray patchMeans(NDArray patches, PatchPlan plan, int channels) {
        geometry(plan);
        Checks.positive("channels", channels);
        requirePatches(patches, plan, channels);
        if (plan.patchCount() == 0) {
            return k.current().zeros(new Shape(plan.batch(), channels, 1, 1));
        }
        PatchIndex idx = k.plans().of(plan);
        NDArray valid = idx.validity();
        NDArray masked = valid == null ? null : k.local(patches.mul(valid));
        NDArray sums = k.local((masked == null ? patches : masked).sum(new int[] {2, 3}));
        NDArray means = k.local(idx.meanMatrix().matMul(sums));
        NDArray y = means.reshape(plan.batch(), channels, 1, 1);
        DjlKernels.close(masked, sums, means);
        return y;
    }

    /**
     * {@code patches *= sigmoid(scale)[b_p]}: the sigmoid of the {@code (B, C2, 1, 1)} logits, its rows gathered per
     * patch sample, multiplied in place.
     *
     * @return {@code patches}
     */
    NDArray scalePatchesSigmoid(NDArray patches, PatchPlan plan, int channels, NDArray scale) {
        geometry(plan);
        Checks.positive("channels", channels);
        requirePatches(patches, plan, channels);
        DjlKernels.requireShape("scale", scale, new Shape(plan.batch(), channels, 1, 1));
        if (plan.patchCount() == 0) {
            return patches;
        }
        PatchIndex idx = k.plans().of(plan);
        NDArray sig = k.local(Activation.sigmoid(scale));
        NDArray factors = sig.get(new NDIndex("{}", idx.samples()));
        NDArray y = k.isImported(patches) ? k.local(patches.mul(factors)) : patches.muli(factors);
        DjlKernels.close(sig, factors);
        return y;
    }

    /**
     * The accumulator: {@code identity} as contiguous channels-last rows {@code (B Hout Wout, Cout)} (a copy).
     *
     * @return the accumulator
     */
    NDArray spatialBegin(NDArray identity, Nchw shape) {
        DjlKernels.requireTensor("identity", identity, shape);
        int hw = shape.height() * shape.width();
        NDArray view = k.local(identity.transpose(0, 2, 3, 1));
        NDArray flat = view.reshape(-1);
        if (hw == 1 || shape.channels() == 1) {
            // the transposed view is already contiguous: reshape returned a view of identity, which must stay intact
            NDArray copy = flat.duplicate();
            flat.close();
            flat = copy;
        }
        NDArray rows = flat.reshape((long) shape.batch() * hw, shape.channels());
        DjlKernels.close(view, flat);
        accIdentity = identity;
        acc = rows;
        accPristine = true;
        return rows;
    }

    /**
     * conv3 on the patch rows {@code (P S S, C2)} with {@code Linear.linear}, added to the accumulator rows at the
     * patches' output positions: one gather, an in-place add and one {@code set} with the same index array (rows of
     * cut border patches outside the image are dropped first).
     */
    void patchConv1x1Add(NDArray patches, PatchPlan plan, ConvWeights c3, NDArray accumulator) {
        SpatialGeometry g = geometry(plan);
        DjlConvWeights d = k.weights("c3", c3);
        FoldedConv c = d.spec();
        if (c.kernel() != 1 || c.groups() != 1) {
            throw new IllegalArgumentException("c3 must be an ungrouped 1x1 convolution, got " + c);
        }
        requirePatches(patches, plan, c.inChannels());
        DjlKernels.requireShape("accumulator", accumulator,
                new Shape((long) plan.batch() * g.outHeight() * g.outWidth(), c.outChannels()));
        k.requireWritable("accumulator", accumulator);
        int p = plan.patchCount();
        if (p == 0) {
            return;
        }
        if (accumulator == acc) {
            accPristine = false;
        }
        PatchIndex idx = k.plans().of(plan);
        int s = g.cellSize();
        NDArray cl = k.local(patches.transpose(0, 2, 3, 1));
        NDArray rows = cl.reshape((long) p * s * s, c.inChannels());
        NDArray z = Linear.linear(rows, d.matrix(), d.bias()).head();
        NDArray valid = idx.validRows();
        if (valid != null) {
            NDArray kept = z.get(new NDIndex("{}", valid));
            z.close();
            z = kept;
        }
        NDIndex at = new NDIndex("{}", idx.outRows());
        NDArray sum = k.local(accumulator.get(at)).addi(z);
        accumulator.set(at, sum);
        DjlKernels.close(cl, rows, z, sum);
    }

    /**
     * The block output: {@code ReLU} of the accumulator rows, viewed {@code (B, Hout, Wout, Cout)}, transposed and
     * copied to a contiguous NCHW tensor.
     *
     * @return {@code (B, Cout, Hout, Wout)}
     */
    NDArray spatialEnd(NDArray accumulator, Nchw shape) {
        KernelArgs.notNull("shape", shape);
        DjlKernels.requireShape("accumulator", accumulator,
                new Shape((long) shape.batch() * shape.height() * shape.width(), shape.channels()));
        if (accumulator == acc) {
            acc = null;
            accIdentity = null;
        }
        NDArray r = k.local(Activation.relu(accumulator));
        NDArray nhwc = r.reshape(shape.batch(), shape.height(), shape.width(), shape.channels());
        NDArray nchw = nhwc.transpose(0, 3, 1, 2);
        NDArray flat = nchw.reshape(-1);
        NDArray y = flat.reshape(DjlKernels.shape(shape));
        DjlKernels.close(r, nhwc, nchw, flat);
        return y;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static SpatialGeometry geometry(PatchPlan plan) {
        if (plan == null) {
            throw new IllegalArgumentException("plan must not be null");
        }
        return plan.geometry();
    }

    private static void requirePatches(NDArray patches, PatchPlan plan, int channels) {
        int s = plan.geometry().cellSize();
        DjlKernels.requireShape("patches", patches, new Shape(plan.patchCount(), channels, s, s));
    }

    /** A cached {@code (1, C)} zero row in the kernels' root manager. */
    private NDArray zeroRow(int channels) {
        NDArray z = zeroRows.get(channels);
        if (z == null || z.isReleased()) {
            if (zeroRows.size() >= MAX_ZERO_ROWS) {
                zeroRows.values().forEach(NDArray::close);
                zeroRows.clear();
            }
            z = k.rootManager().zeros(new Shape(1, channels));
            zeroRows.put(channels, z);
        }
        return z;
    }
}
