package org.laudnet.cuda.exec;

import static org.laudnet.core.exec.KernelArgs.notNull;
import static org.laudnet.core.util.Checks.positive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.SparseKernels;

/**
 * The primitives of one executor on the {@link CudaBackend}: every primitive is one or two kernel launches of
 * {@link SparseKernels} queued on the context's stream; tensors are fp32 {@link DeviceBuffer}s. See {@link Kernels}
 * for the contract of each primitive.
 *
 * <p>Layouts: NCHW tensors are contiguous; per-channel values {@code (B, C, 1, 1)} hold {@code B C} values. The
 * opaque intermediates are the windows {@code (P, C1, T, T)} and patch outputs {@code (P, C2, S, S)} of the
 * {@code laud_*} kernels, and the spatial accumulator, which is the block output itself: {@link #spatialBegin} fills it
 * with {@code ReLU(identity)} and remembers the identity, {@link #patchConv1x1Add} writes
 * {@code ReLU(identity + conv3(patch) + b3)} at the patch positions (valid because each position receives at most one
 * addition), and {@link #spatialEnd} returns it. The identity is read again by every {@link #patchConv1x1Add}, so
 * {@link #release} refuses it until the accumulator is finished, and its scope must stay open until then.
 * {@link #scaleChannels} and {@link #scalePatchesSigmoid} scale in place and return their input.
 *
 * <p>Memory: a buffer's size is rounded up to a size class and taken from this object's {@link BufferPool}; it belongs
 * to the innermost open scope (to a root scope when none is open) and returns to the pool when that scope closes or
 * when it is {@link #release released}. {@link Scope#keep} moves a tensor to the enclosing scope; a tensor kept out of
 * the outermost scope stays valid until it is released or the kernels close. Index data (patch lists, mask cells,
 * sample lists) is uploaded once per scope and object (sample lists are compared by content) and freed with that
 * scope. Host transfers ({@link #importHost}, {@link #importArray}, index uploads) copy synchronously;
 * {@link #exportHost} and {@link #exportArray} wait for the queued work.
 *
 * <p>Not thread-safe: one executor (one thread at a time) owns a kernels object. Executors of one backend share its
 * stream, so their work is serialized on the GPU.
 */
public final class CudaKernels implements Kernels<DeviceBuffer> {

    /** The most bytes of idle buffers a kernels object keeps for reuse (1 GiB). */
    public static final long IDLE_LIMIT_BYTES = 1L << 30;

    private final CudaBackend backend;
    private final SparseKernels sk;
    private final BufferPool pool;
    private final Deque<Frame> frames = new ArrayDeque<>();
    private final Map<DeviceBuffer, Tensor> live = new IdentityHashMap<>();
    private final Map<DeviceBuffer, DeviceBuffer> accumulators = new IdentityHashMap<>();
    private boolean poison;
    private boolean closed;

    CudaKernels(CudaBackend backend) {
        this.backend = backend;
        this.sk = backend.launchers();
        this.pool = new BufferPool(backend.context(), IDLE_LIMIT_BYTES);
        frames.push(new Frame(null));
    }

    /** A live tensor: the scope that owns it and its logical size (its buffer may be larger). */
    private static final class Tensor {
        Frame frame;
        final long size;

        Tensor(Frame frame, long size) {
            this.frame = frame;
            this.size = size;
        }
    }

    /** An uploaded index array: its buffer and, for a caller's mutable array, the uploaded contents. */
    private record Index(DeviceBuffer buffer, int[] contents) {}

    /** A scope: the tensors it owns, its scratch buffers (index data, temporary weights) and its index cache. */
    private final class Frame implements Scope<DeviceBuffer> {
        private final Frame parent;
        private final int depth;
        private final Set<DeviceBuffer> tensors = Collections.newSetFromMap(new IdentityHashMap<>());
        private final List<DeviceBuffer> scratch = new ArrayList<>();
        private final Map<Object, Index> indices = new IdentityHashMap<>();
        private boolean open = true;

        Frame(Frame parent) {
            this.parent = parent;
            this.depth = parent == null ? 0 : parent.depth + 1;
        }

        /**
         * Moves {@code t} to the enclosing scope; a tensor of an enclosing scope is returned as it is.
         *
         * @throws IllegalArgumentException if {@code t} is not a live tensor or belongs to a scope inside this one
         * @throws IllegalStateException if this scope or the kernels are closed
         */
        @Override
        public DeviceBuffer keep(DeviceBuffer t) {
            if (!open) {
                throw new IllegalStateException("cannot keep a tensor in a closed scope");
            }
            ensureOpen();
            Tensor info = info("t", t);
            if (info.frame == this) {
                tensors.remove(t);
                parent.tensors.add(t);
                info.frame = parent;
            } else if (info.frame.depth > depth) {
                throw new IllegalArgumentException("t belongs to a scope opened inside the one that keeps it");
            }
            return t;
        }

        /** Closes the scopes opened inside this one that are still open, then this one. Idempotent. */
        @Override
        public void close() {
            if (!open || closed) {
                return;
            }
            while (!frames.isEmpty() && frames.peek().depth >= depth) {
                Frame f = frames.pop();
                f.free();
                if (f == this) {
                    return;
                }
            }
        }

        /** Returns every buffer of this scope to the pool. */
        private void free() {
            open = false;
            for (DeviceBuffer t : tensors) {
                live.remove(t);
                accumulators.remove(t);
                pool.give(t);
            }
            tensors.clear();
            for (DeviceBuffer b : scratch) {
                pool.give(b);
            }
            scratch.clear();
            indices.clear();
        }
    }

    /**
     * Fills every buffer a primitive allocates with NaN before use (a checking aid: positions a kernel fails to write
     * then show up as NaN; costs one memset per allocation).
     *
     * @param on whether to poison allocations
     */
    public void setPoisonOnAllocate(boolean on) {
        this.poison = on;
    }

    /** Returns the number of live tensors (in open scopes, or kept out of the outermost one). */
    public int liveTensors() {
        return live.size();
    }

    /** Returns the number of idle buffers in the pool. */
    public int idleBuffers() {
        return pool.idleBuffers();
    }

    /** Returns how many device buffers the pool has allocated so far (reused buffers not counted). */
    public long allocations() {
        return pool.allocations();
    }

    // ------------------------------------------------------------------------------------------------ scopes

    /**
     * Opens a scope nested in the current one.
     *
     * @return the scope
     * @throws IllegalStateException if the kernels are closed
     */
    @Override
    public Scope<DeviceBuffer> openScope() {
        ensureOpen();
        Frame f = new Frame(frames.peek());
        frames.push(f);
        return f;
    }

    /**
     * Returns a tensor's buffer to the pool now.
     *
     * @param t a live tensor of these kernels
     * @throws IllegalArgumentException if {@code t} is null or not a live tensor of these kernels
     * @throws IllegalStateException if {@code t} is the identity of a {@link #spatialBegin} accumulator that
     *     {@link #spatialEnd} has not finished (its additions still read it)
     */
    @Override
    public void release(DeviceBuffer t) {
        ensureOpen();
        Tensor info = info("t", t);
        if (accumulators.containsValue(t)) {
            throw new IllegalStateException("t is the identity of a spatial accumulator that spatialEnd has not "
                    + "finished; release it after spatialEnd");
        }
        live.remove(t);
        info.frame.tensors.remove(t);
        accumulators.remove(t);
        pool.give(t);
    }

    // ------------------------------------------------------------------------------------------------ transfers

    /**
     * Copies an engine array to the device (through a host copy).
     *
     * @throws IllegalArgumentException if the array is not float32 of the given shape
     */
    @Override
    public DeviceBuffer importArray(NDArray x, Nchw shape) {
        ensureOpen();
        return importHost(KernelArgs.hostValues(x, shape), shape);
    }

    /**
     * Copies host values into a new tensor of the current scope (synchronous copy).
     *
     * @throws IllegalArgumentException if {@code data} holds fewer than {@code shape.size()} values
     */
    @Override
    public DeviceBuffer importHost(float[] data, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        if (data == null || data.length < shape.size()) {
            throw new IllegalArgumentException("data must hold at least B*C*H*W = " + shape.size()
                    + " values for shape " + shape + ", got " + (data == null ? "null" : data.length));
        }
        DeviceBuffer b = alloc(shape.size());
        b.uploadPrefix(data.length == shape.size() ? data : Arrays.copyOf(data, shape.size()));
        return b;
    }

    /** Waits for the queued work and copies the tensor into a new array of {@code target}. */
    @Override
    public NDArray exportArray(DeviceBuffer t, Nchw shape, NDManager target) {
        ensureOpen();
        notNull("shape", shape);
        notNull("target", target);
        tensor("t", t, shape.size());
        return target.create(t.downloadFloats(shape.size()),
                new Shape(shape.batch(), shape.channels(), shape.height(), shape.width()));
    }

    /**
     * Waits for the queued work and reads the first {@code count} values.
     *
     * @throws IllegalArgumentException if {@code count} is negative or exceeds the tensor
     */
    @Override
    public float[] exportHost(DeviceBuffer t, int count) {
        ensureOpen();
        Tensor info = info("t", t);
        if (count < 0 || count > info.size) {
            throw new IllegalArgumentException("count must be in [0, " + info.size + "] (the tensor's size), got "
                    + count);
        }
        return t.downloadFloats(count);
    }

    /** Uploads a convolution into scratch buffers of the current scope. */
    @Override
    public ConvWeights temporary(FoldedConv conv) {
        ensureOpen();
        notNull("conv", conv);
        DeviceBuffer w = scratch(conv.weight().length);
        w.uploadPrefix(conv.weight());
        DeviceBuffer b = scratch(conv.bias().length);
        b.uploadPrefix(conv.bias());
        return new CudaWeights(conv, w, b);
    }

    // ------------------------------------------------------------------------------------------------ dense

    /** {@code laud_conv2d}: any kernel, stride, padding and groups, bias, residual and ReLU fused. */
    @Override
    public DeviceBuffer conv(DeviceBuffer x, Nchw xs, ConvWeights w, DeviceBuffer residual, boolean relu) {
        ensureOpen();
        CudaWeights cw = CudaWeights.of("w", w);
        FoldedConv f = cw.spec();
        Nchw ys = ReferenceOps.convOutputShape(xs, f);
        tensor("x", x, xs.size());
        if (residual != null) {
            tensor("residual", residual, ys.size());
        }
        DeviceBuffer y = alloc(ys.size());
        sk.conv2d(x, xs, cw.weight(), cw.bias(), f.outChannels(), f.kernel(), f.kernel(), f.stride(), f.padding(),
                f.groups(), residual, relu, y);
        return y;
    }

    /** {@code laud_maxpool2d}. */
    @Override
    public DeviceBuffer maxPool(DeviceBuffer x, Nchw xs, int kernel, int stride, int padding) {
        ensureOpen();
        notNull("xs", xs);
        Nchw ys = new Nchw(xs.batch(), xs.channels(), ReferenceOps.outSize(xs.height(), kernel, stride, padding),
                ReferenceOps.outSize(xs.width(), kernel, stride, padding));
        tensor("x", x, xs.size());
        DeviceBuffer y = alloc(ys.size());
        sk.maxPool2d(x, xs, kernel, stride, padding, y);
        return y;
    }

    /** {@code laud_avgpool2d}. */
    @Override
    public DeviceBuffer avgPool(DeviceBuffer x, Nchw xs, int kernel) {
        ensureOpen();
        notNull("xs", xs);
        if (kernel <= 0 || xs.height() % kernel != 0 || xs.width() % kernel != 0) {
            throw new IllegalArgumentException("kernel must be positive and divide H = " + xs.height() + " and W = "
                    + xs.width() + ", got " + kernel);
        }
        tensor("x", x, xs.size());
        DeviceBuffer y = alloc((long) xs.batch() * xs.channels() * (xs.height() / kernel) * (xs.width() / kernel));
        sk.avgPool2d(x, xs, kernel, y);
        return y;
    }

    /** {@code laud_global_avg_pool} over {@code B C} rows. */
    @Override
    public DeviceBuffer mean(DeviceBuffer x, Nchw xs) {
        ensureOpen();
        notNull("xs", xs);
        tensor("x", x, xs.size());
        int rows = xs.batch() * xs.channels();
        DeviceBuffer y = alloc(rows);
        sk.globalAvgPool(x, rows, xs.height() * xs.width(), y);
        return y;
    }

    /** {@code laud_relu}. */
    @Override
    public DeviceBuffer relu(DeviceBuffer x, Nchw xs) {
        ensureOpen();
        notNull("xs", xs);
        tensor("x", x, xs.size());
        DeviceBuffer y = alloc(xs.size());
        sk.relu(x, xs.size(), y);
        return y;
    }

    /** {@code laud_scale_channels}, in place: returns {@code h}. */
    @Override
    public DeviceBuffer scaleChannels(DeviceBuffer h, Nchw hs, DeviceBuffer scale, boolean sigmoid) {
        ensureOpen();
        notNull("hs", hs);
        tensor("h", h, hs.size());
        int rows = hs.batch() * hs.channels();
        tensor("scale", scale, rows);
        sk.scaleChannels(h, rows, hs.height() * hs.width(), scale, sigmoid, h);
        return h;
    }

    /** {@code laud_masked_mean}. */
    @Override
    public DeviceBuffer maskedMean(DeviceBuffer h, Nchw hs, SpatialCells cells) {
        ensureOpen();
        notNull("hs", hs);
        KernelArgs.requireCells(cells, hs, false);
        tensor("h", h, hs.size());
        DeviceBuffer y = alloc((long) hs.batch() * hs.channels());
        sk.maskedMean(h, hs, cells(cells), cells.groups(), cells.cellSize(), cells.maskSize(), y);
        return y;
    }

    /** {@code laud_gather_samples}. */
    @Override
    public DeviceBuffer gatherSamples(DeviceBuffer x, Nchw xs, int[] samples) {
        ensureOpen();
        notNull("xs", xs);
        KernelArgs.requireSamples(samples, xs.batch());
        tensor("x", x, xs.size());
        DeviceBuffer y = alloc((long) samples.length * xs.perSample());
        sk.gatherSamples(x, xs.batch(), samples(samples), samples.length, xs.perSample(), y);
        return y;
    }

    /** {@code laud_scatter_samples_residual_relu}; {@code out} may be {@code identity}. */
    @Override
    public void scatterSamplesResidualRelu(DeviceBuffer branch, Nchw branchShape, int[] samples,
            DeviceBuffer identity, DeviceBuffer out) {
        ensureOpen();
        notNull("branchShape", branchShape);
        tensor("branch", branch, branchShape.size());
        int per = branchShape.perSample();
        Tensor id = info("identity", identity);
        if (id.size % per != 0) {
            throw new IllegalArgumentException("identity must hold a whole number of samples of C*H*W = " + per
                    + " values, got " + id.size);
        }
        int batch = (int) (id.size / per);
        KernelArgs.requireSamples(samples, batch);
        if (samples.length != branchShape.batch()) {
            throw new IllegalArgumentException("samples must list branchShape.batch = " + branchShape.batch()
                    + " indices, got " + samples.length);
        }
        tensor("out", out, id.size);
        sk.scatterSamplesResidualRelu(branch, samples(samples), samples.length, per, identity, batch, out);
    }

    /** {@code laud_fill_inactive_relu} with mask groups; {@code out} may be {@code identity}. */
    @Override
    public void fillInactiveRelu(DeviceBuffer identity, Nchw shape, SpatialCells cells, DeviceBuffer out) {
        ensureOpen();
        notNull("shape", shape);
        KernelArgs.requireCells(cells, shape, true);
        tensor("identity", identity, shape.size());
        tensor("out", out, shape.size());
        sk.fillInactiveRelu(identity, shape, cells(cells), cells.groups(), cells.cellSize(), cells.maskSize(), out);
    }

    // ------------------------------------------------------------------------------------------------ patches

    /**
     * {@code laud_gather_conv1x1_relu}: the halo schedule.
     *
     * @throws IllegalArgumentException for another schedule, or a {@code c1} that is not an ungrouped 1x1 convolution
     *     without stride
     */
    @Override
    public DeviceBuffer windowsConv1(DeviceBuffer x, Nchw xs, PatchPlan plan, ConvWeights c1,
            SpatialSchedule schedule) {
        ensureOpen();
        if (schedule != SpatialSchedule.HALO) {
            throw new IllegalArgumentException("schedule must be one of the CUDA backend's spatial schedules [HALO], "
                    + "got " + schedule);
        }
        notNull("xs", xs);
        notNull("plan", plan);
        CudaWeights w = CudaWeights.of("c1", c1);
        FoldedConv f = w.spec();
        if (f.kernel() != 1 || f.groups() != 1 || f.stride() != 1) {
            throw new IllegalArgumentException("c1 must be an ungrouped 1x1 convolution with stride 1, got " + f);
        }
        if (xs.channels() != f.inChannels()) {
            throw new IllegalArgumentException("xs.channels must equal c1's input channels " + f.inChannels()
                    + ", got " + xs.channels());
        }
        tensor("x", x, xs.size());
        DeviceBuffer out = alloc(plan.windowElements(f.outChannels()));
        sk.gatherConv1x1Relu(x, xs, plan, patches(plan), w.weight(), w.bias(), f.outChannels(), out);
        return out;
    }

    /**
     * {@code laud_patch_conv3x3_relu} (grouped).
     *
     * @throws IllegalArgumentException if {@code c2} is not 3x3 or its stride differs from the plan's
     */
    @Override
    public DeviceBuffer patchConv3x3Relu(DeviceBuffer windows, PatchPlan plan, ConvWeights c2) {
        ensureOpen();
        notNull("plan", plan);
        CudaWeights w = CudaWeights.of("c2", c2);
        FoldedConv f = w.spec();
        if (f.kernel() != 3) {
            throw new IllegalArgumentException("c2 must be a 3x3 convolution, got " + f);
        }
        if (f.stride() != plan.geometry().stride()) {
            throw new IllegalArgumentException("c2's stride must equal the plan's stride " + plan.geometry().stride()
                    + ", got " + f.stride());
        }
        tensor("windows", windows, plan.windowElements(f.inChannels()));
        DeviceBuffer out = alloc(plan.patchElements(f.outChannels()));
        sk.patchConv3x3Relu(windows, plan, f.inChannels(), f.groups(), w.weight(), w.bias(), f.outChannels(), out);
        return out;
    }

    /** {@code laud_patch_means}. */
    @Override
    public DeviceBuffer patchMeans(DeviceBuffer patches, PatchPlan plan, int channels) {
        ensureOpen();
        notNull("plan", plan);
        positive("channels", channels);
        tensor("patches", patches, plan.patchElements(channels));
        DeviceBuffer y = alloc((long) plan.batch() * channels);
        sk.patchMeans(patches, plan, patches(plan), channels, y);
        return y;
    }

    /** {@code laud_scale_patches_sigmoid}, in place: returns {@code patches}. */
    @Override
    public DeviceBuffer scalePatchesSigmoid(DeviceBuffer patches, PatchPlan plan, int channels, DeviceBuffer scale) {
        ensureOpen();
        notNull("plan", plan);
        positive("channels", channels);
        tensor("patches", patches, plan.patchElements(channels));
        tensor("scale", scale, (long) plan.batch() * channels);
        sk.scalePatchesSigmoid(patches, plan, patches(plan), channels, scale, patches);
        return patches;
    }

    /** The accumulator is the block output, filled with {@code ReLU(identity)} ({@code laud_relu}). */
    @Override
    public DeviceBuffer spatialBegin(DeviceBuffer identity, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        tensor("identity", identity, shape.size());
        DeviceBuffer out = alloc(shape.size());
        sk.relu(identity, shape.size(), out);
        accumulators.put(out, identity);
        return out;
    }

    /**
     * {@code laud_patch_conv1x1_scatter_relu}: {@code ReLU(identity + conv3(patch) + b3)} written at the patch
     * positions.
     *
     * @throws IllegalArgumentException if {@code accumulator} is not an unfinished {@link #spatialBegin} result of
     *     these kernels, or {@code c3} is not an ungrouped 1x1 convolution
     */
    @Override
    public void patchConv1x1Add(DeviceBuffer patches, PatchPlan plan, ConvWeights c3, DeviceBuffer accumulator) {
        ensureOpen();
        notNull("plan", plan);
        CudaWeights w = CudaWeights.of("c3", c3);
        FoldedConv f = w.spec();
        if (f.kernel() != 1 || f.groups() != 1) {
            throw new IllegalArgumentException("c3 must be an ungrouped 1x1 convolution, got " + f);
        }
        DeviceBuffer identity = accumulators.get(accumulator);
        if (identity == null) {
            throw new IllegalArgumentException("accumulator must be a spatialBegin result of these kernels that "
                    + "spatialEnd has not finished");
        }
        Nchw os = plan.outputShape(f.outChannels());
        tensor("accumulator", accumulator, os.size());
        tensor("the accumulator's identity", identity, os.size());
        tensor("patches", patches, plan.patchElements(f.inChannels()));
        sk.patchConv1x1ScatterRelu(patches, plan, patches(plan), f.inChannels(), w.weight(), w.bias(),
                f.outChannels(), identity, accumulator);
    }

    /** Returns the accumulator itself: it already holds {@code ReLU(identity + additions)}. */
    @Override
    public DeviceBuffer spatialEnd(DeviceBuffer accumulator, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        if (!accumulators.containsKey(accumulator)) {
            throw new IllegalArgumentException("accumulator must be a spatialBegin result of these kernels that "
                    + "spatialEnd has not finished");
        }
        tensor("accumulator", accumulator, shape.size());
        accumulators.remove(accumulator);
        return accumulator;
    }

    /** Releases every scope's buffers and frees the pool (waits for the queued work). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            while (!frames.isEmpty()) {
                frames.pop().free();
            }
            accumulators.clear();
            pool.close();
        } finally {
            closed = true;
        }
    }

    // ------------------------------------------------------------------------------------------------ buffers

    /** A new tensor of {@code n} values in the current scope. */
    private DeviceBuffer alloc(long n) {
        DeviceBuffer b = pool.take(Math.max(n, 1));
        if (poison) {
            b.fill(Float.NaN);
        }
        Frame f = frames.peek();
        f.tensors.add(b);
        live.put(b, new Tensor(f, n));
        return b;
    }

    /** A scratch buffer of the current scope (index data, temporary weights). */
    private DeviceBuffer scratch(long n) {
        DeviceBuffer b = pool.take(Math.max(n, 1));
        frames.peek().scratch.add(b);
        return b;
    }

    /** The index upload of {@code key} in the current or an enclosing scope, or null. */
    private Index cachedIndex(Object key) {
        for (Frame f : frames) {
            Index i = f.indices.get(key);
            if (i != null) {
                return i;
            }
        }
        return null;
    }

    /** Uploads ints into a scratch buffer of the current scope and caches it under {@code key}. */
    private DeviceBuffer uploadIndex(Object key, int[] values, boolean keepContents) {
        DeviceBuffer b = scratch(values.length);
        if (values.length > 0) {
            b.uploadPrefix(values);
        }
        frames.peek().indices.put(key, new Index(b, keepContents ? values.clone() : null));
        return b;
    }

    /** The plan's patch list {@code (P, 3)} on the device. */
    private DeviceBuffer patches(PatchPlan plan) {
        Index i = cachedIndex(plan);
        return i != null ? i.buffer() : uploadIndex(plan, plan.patches(), false);
    }

    /** The decisions as 0/1 ints {@code (B, gs, m, m)} on the device. */
    private DeviceBuffer cells(SpatialCells cells) {
        Index i = cachedIndex(cells);
        if (i != null) {
            return i.buffer();
        }
        float[] v = cells.cells();
        int[] ints = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            ints[k] = v[k] != 0f ? 1 : 0;
        }
        return uploadIndex(cells, ints, false);
    }

    /** The sample list on the device (re-uploaded when the caller's array changed since its upload). */
    private DeviceBuffer samples(int[] samples) {
        Index i = cachedIndex(samples);
        if (i != null && Arrays.equals(i.contents(), samples)) {
            return i.buffer();
        }
        return uploadIndex(samples, samples, true);
    }

    // ------------------------------------------------------------------------------------------------ checks

    private Tensor info(String name, DeviceBuffer t) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        Tensor info = live.get(t);
        if (info == null) {
            throw new IllegalArgumentException(name + " is not a live tensor of these kernels (released, freed with "
                    + "its scope, or created by another kernels object)");
        }
        return info;
    }

    private void tensor(String name, DeviceBuffer t, long values) {
        Tensor info = info(name, t);
        if (info.size < values) {
            throw new IllegalArgumentException(name + " must hold " + values + " values, got a tensor of "
                    + info.size);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA kernels are closed");
        }
        backend.ensureOpen();
    }
}
