package org.laudnet.onednn;

import static org.laudnet.core.exec.KernelArgs.notNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.HostPooling;
import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.PlanIndexCache;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;

/**
 * The primitives of the {@link OneDnnBackend} on {@link DnnlTensor}s ({@code nhwc} fp32 in native memory, from the
 * imported input to the exported logits: no layout conversion between blocks).
 *
 * <p>On oneDNN: {@link #conv} (a convolution primitive with bias, and the residual sum and ReLU fused as post-ops: a
 * dense bottleneck is three primitives), {@link #maxPool} and {@link #avgPool} (pooling), {@link #mean} (average
 * pooling over the whole map), {@link #relu} and {@link #spatialBegin} (eltwise), {@link #scaleChannels} (binary
 * multiply with a broadcast per-channel factor), {@link #windowsConv1} (schedule HALO: rows of the patch windows
 * gathered into one contiguous buffer, then a matmul with bias and ReLU; schedule WINDOWS: conv1 as one dense fused
 * convolution, then its window rows gathered; schedule ROWS: conv1 as a 1x1 convolution over the gathered rows of the
 * dilated mask's pixels, see {@link RowsConv}), {@link #patchConv3x3Relu} (a valid convolution over the gathered
 * windows, the patches as its batch, with conv2's stride and groups; on ROWS conv1 output, ungrouped: one 1x1
 * convolution over the im2col rows of the active positions) and {@link #patchConv1x1Add} (a matmul on the patch rows
 * with bias, the residual sum and the ReLU fused as post-ops). Samples of a sub-batch move by one primitive per sample
 * on the sample's place in the buffer, split over the backend's threads: {@link #gatherSamples} (a reorder between
 * equal layouts) and {@link #scatterSamplesResidualRelu} (a binary add with ReLU, in place when the output is the
 * identity); at batch 8 on the stage inputs of a ResNet-50 the sums measured 3-5x faster than the same loop in
 * Java. In Java on the native buffers (row copies and per-row arithmetic, no engine call): the gathers and
 * scatters of rows and patches ({@link #fillInactiveRelu}, the window gather, the
 * identity-row gather and the row scatter of {@link #patchConv1x1Add}), {@link #maskedMean}, {@link #patchMeans},
 * {@link #scalePatchesSigmoid}, the gates' pooling of small inputs ({@link #poolToHost}) and the transfers.
 *
 * <p>Primitive cache ({@link Primitives}): every primitive is created once per shape (convolution: its geometry,
 * batch and input size, whether residual and ReLU are fused; patch primitives: the patch count rounded up to a bucket,
 * see {@link #bucket}) and kept with its argument memories; a call only points the memories at the tensors' buffers.
 * Buffers come from a {@link BufferPool}.
 *
 * <p>Threads: every primitive first sets the backend's thread count ({@link OneDnnBackend#threads()}) on the calling
 * thread, a no-op when that thread already has it; when the backend's count changed, the cached primitives (whose work
 * split oneDNN fixes at creation) are created afresh.
 *
 * <p>Not thread-safe: one executor owns a kernels object. Weights are shared and read concurrently.
 */
final class OneDnnKernels implements Kernels<DnnlTensor> {

    final OneDnnBackend backend;
    private final engine eng;
    private final stream strm;
    private final BufferPool pool = new BufferPool();
    private final Primitives prims;
    private final ArrayDeque<Frame> frames = new ArrayDeque<>();
    /** The thread count the cached primitives were created at. */
    private int primitiveThreads;
    private final PlanIndexCache<RowsIndex> rowsIndex = new PlanIndexCache<>(8, RowsIndex::of, idx -> { });
    private boolean closed;

    OneDnnKernels(OneDnnBackend backend, engine eng) {
        this.backend = backend;
        this.eng = eng;
        this.strm = new stream(eng);
        this.prims = new Primitives(eng);
        this.primitiveThreads = backend.threadSetting();
        frames.push(new Frame(null));
    }

    // ------------------------------------------------------------------------------------------------ scopes

    /** A scope: the tensors and temporary weights created in it. */
    private final class Frame implements Scope<DnnlTensor> {
        private final Frame parent;
        private final int depth;
        private final List<DnnlTensor> tensors = new ArrayList<>();
        private final List<OneDnnWeights> temporaries = new ArrayList<>();
        private boolean open = true;

        Frame(Frame parent) {
            this.parent = parent;
            this.depth = parent == null ? 0 : parent.depth + 1;
        }

        @Override
        public DnnlTensor keep(DnnlTensor t) {
            if (!open) {
                throw new IllegalStateException("cannot keep a tensor in a closed scope");
            }
            notNull("t", t);
            if (t.owner == -1) {
                throw new IllegalArgumentException("t was released");
            }
            if (t.owner > depth) {
                throw new IllegalArgumentException("t belongs to a scope opened inside the one that keeps it");
            }
            if (t.owner != depth) {
                return t; // already owned by an enclosing scope (an in-place result), or out of ownership
            }
            tensors.remove(t);
            if (parent != null) {
                parent.tensors.add(t);
                t.owner = parent.depth;
            } else {
                t.owner = -2; // out of the kernels' ownership: freed when unreachable
            }
            return t;
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            if (frames.peek() != this) {
                throw new IllegalStateException("scopes must close innermost first");
            }
            open = false;
            frames.pop();
            for (DnnlTensor t : tensors) {
                if (t.owner == depth) {
                    t.owner = -1;
                    pool.give(t.data);
                }
            }
            tensors.clear();
            for (OneDnnWeights w : temporaries) {
                w.close();
            }
            temporaries.clear();
        }
    }

    @Override
    public Scope<DnnlTensor> openScope() {
        ensureOpen();
        Frame f = new Frame(frames.peek());
        frames.push(f);
        return f;
    }

    @Override
    public void release(DnnlTensor t) {
        if (t == null || t.owner < 0) {
            return;
        }
        for (Frame f : frames) {
            if (f.depth == t.owner) {
                f.tensors.remove(t);
                t.owner = -1;
                pool.give(t.data);
                return;
            }
        }
    }

    /** Allocates a tensor of the current scope. */
    DnnlTensor alloc(Nchw shape) {
        return alloc(shape, shape.size());
    }

    DnnlTensor alloc(Nchw shape, long floats) {
        Frame f = frames.peek();
        DnnlTensor t = new DnnlTensor(pool.take(floats), shape, f.depth);
        f.tensors.add(t);
        return t;
    }

    // ------------------------------------------------------------------------------------------------ transfers

    @Override
    public DnnlTensor importArray(NDArray x, Nchw shape) {
        ensureOpen();
        float[] v = KernelArgs.hostValues(x, shape);
        DnnlTensor t = alloc(shape);
        t.putNchw(v);
        return t;
    }

    @Override
    public DnnlTensor importHost(float[] data, Nchw shape) {
        ensureOpen();
        notNull("shape", shape);
        if (data == null || data.length < shape.size()) {
            throw new IllegalArgumentException("data must hold at least B*C*H*W = " + shape.size()
                    + " values for shape " + shape + ", got " + (data == null ? "null" : data.length));
        }
        DnnlTensor t = alloc(shape);
        t.putNchw(data);
        return t;
    }

    @Override
    public NDArray exportArray(DnnlTensor t, Nchw shape, NDManager target) {
        ensureOpen();
        notNull("target", target);
        requireTensor("t", t, shape);
        return target.create(t.toNchw(), new Shape(shape.batch(), shape.channels(), shape.height(), shape.width()));
    }

    @Override
    public float[] exportHost(DnnlTensor t, int count) {
        ensureOpen();
        notNull("t", t);
        if (count < 0 || count > t.shape.size()) {
            throw new IllegalArgumentException("count must be in [0, " + t.shape.size() + "] (the tensor's size), got "
                    + count);
        }
        return t.toNchw(count);
    }

    /**
     * Returns {@link HostPooling#CPU_LIMIT}: a small input's gates read its {@code nhwc} buffer once and pool it in
     * Java ({@link #poolToHost}), cheaper than the masker's two primitives (each an OpenMP fork and join) and their
     * read-back.
     */
    @Override
    public int hostPoolLimit() {
        return HostPooling.CPU_LIMIT;
    }

    /** Adaptive average pooling read straight from the {@code nhwc} buffer, row by row, summed in Java. */
    @Override
    public float[] poolToHost(DnnlTensor x, Nchw xs, int m) {
        ensureOpen();
        requireTensor("x", x, xs);
        KernelArgs.requirePoolCells(xs, m);
        int span = xs.width() * xs.channels();
        return HostPooling.adaptiveChannelsLast((row, dst) -> x.buf.get(row * span, dst, 0, span), xs.batch(),
                xs.channels(), xs.height(), xs.width(), m);
    }

    @Override
    public ConvWeights temporary(FoldedConv conv) {
        ensureOpen();
        OneDnnWeights w = backend.newWeights(conv);
        frames.peek().temporaries.add(w);
        return w;
    }

    // ------------------------------------------------------------------------------------------------ dense

    @Override
    public DnnlTensor conv(DnnlTensor x, Nchw xs, ConvWeights w, DnnlTensor residual, boolean relu) {
        ensureOpen();
        OneDnnWeights ow = weights("w", w);
        FoldedConv c = ow.spec();
        Nchw os = convOutput(x, xs, c);
        if (residual != null) {
            requireTensor("residual", residual, os);
        }
        ConvShape shape = ConvShape.of(c, c.padding(), xs.batch(), xs.height(), xs.width(), residual != null, relu);
        return convolve(x, ow, shape, residual, os, os.size());
    }

    /**
     * The convolution with the residual summed into the accumulator in place (a sum post-op, then the ReLU): no new
     * tensor, and on AVX-512 measurably faster than reading the residual from a separate tensor.
     */
    @Override
    public DnnlTensor convAccumulate(DnnlTensor x, Nchw xs, ConvWeights w, DnnlTensor accumulator, boolean relu) {
        ensureOpen();
        OneDnnWeights ow = weights("w", w);
        FoldedConv c = ow.spec();
        requireTensor("accumulator", accumulator, convOutput(x, xs, c));
        if (accumulator == x) {
            throw new IllegalArgumentException("accumulator must not be the convolution's input x");
        }
        Prim p = prims.conv(ConvShape.accumulating(c, xs.batch(), xs.height(), xs.width(), relu));
        p.run(strm, x.data, ow.in(ow.plainConvDesc(), p.weightsDesc, strm), ow.bias(), accumulator.data);
        return accumulator;
    }

    /** Checks a convolution's input against its shape and the weights; returns the output shape. */
    private static Nchw convOutput(DnnlTensor x, Nchw xs, FoldedConv c) {
        requireTensor("x", x, xs);
        if (xs.channels() != c.inChannels()) {
            throw new IllegalArgumentException("xs.channels must equal the convolution's input channels "
                    + c.inChannels() + ", got " + xs.channels());
        }
        return new Nchw(xs.batch(), c.outChannels(), outSize(xs.height(), c, c.padding()),
                outSize(xs.width(), c, c.padding()));
    }

    private static int outSize(int in, FoldedConv c, int padding) {
        int o = (in + 2 * padding - c.kernel()) / c.stride() + 1;
        if (o <= 0) {
            throw new IllegalArgumentException("the input side " + in + " is too small for a " + c.kernel() + "x"
                    + c.kernel() + " convolution with padding " + padding);
        }
        return o;
    }

    /**
     * Runs a convolution of primitive shape {@code shape} (with a residual when the shape adds one) into a new tensor
     * of shape {@code os} (buffer of {@code floats} values).
     */
    DnnlTensor convolve(DnnlTensor x, OneDnnWeights w, ConvShape shape, DnnlTensor residual, Nchw os, long floats) {
        Prim p = prims.conv(shape);
        DnnlTensor y = alloc(os, floats);
        FloatPointer wp = w.in(w.plainConvDesc(), p.weightsDesc, strm);
        if (residual == null) {
            p.run(strm, x.data, wp, w.bias(), y.data);
        } else {
            p.run(strm, x.data, wp, w.bias(), y.data, residual.data);
        }
        return y;
    }

    @Override
    public DnnlTensor maxPool(DnnlTensor x, Nchw xs, int kernel, int stride, int padding) {
        ensureOpen();
        requireTensor("x", x, xs);
        if (kernel <= 0 || stride <= 0 || padding < 0 || padding >= kernel) {
            throw new IllegalArgumentException("maxPool needs kernel > 0, stride > 0 and 0 <= padding < kernel, got "
                    + "kernel " + kernel + ", stride " + stride + ", padding " + padding);
        }
        return pool(new Primitives.PoolKey(true, xs.batch(), xs.channels(), xs.height(), xs.width(), kernel, stride,
                padding), x);
    }

    @Override
    public DnnlTensor avgPool(DnnlTensor x, Nchw xs, int kernel) {
        ensureOpen();
        requireTensor("x", x, xs);
        if (kernel <= 0 || xs.height() % kernel != 0 || xs.width() % kernel != 0) {
            throw new IllegalArgumentException("avgPool's kernel must be positive and divide H x W = " + xs.height()
                    + " x " + xs.width() + ", got " + kernel);
        }
        return pool(new Primitives.PoolKey(false, xs.batch(), xs.channels(), xs.height(), xs.width(), kernel, kernel,
                0), x);
    }

    private DnnlTensor pool(Primitives.PoolKey k, DnnlTensor x) {
        int oh = k.outHeight();
        int ow = k.outWidth();
        if (oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("the input " + k.height() + " x " + k.width() + " is smaller than the "
                    + k.kernel() + " x " + k.kernel() + " pooling window");
        }
        Prim p = prims.pool(k);
        DnnlTensor y = alloc(new Nchw(k.batch(), k.channels(), oh, ow));
        p.run(strm, x.data, y.data);
        return y;
    }

    @Override
    public DnnlTensor mean(DnnlTensor x, Nchw xs) {
        ensureOpen();
        requireTensor("x", x, xs);
        if (xs.height() != xs.width()) {
            // a global mean as one average pooling window needs a square map; the engine only uses square maps
            throw new IllegalArgumentException("mean needs a square map, got " + xs.height() + " x " + xs.width());
        }
        return pool(new Primitives.PoolKey(false, xs.batch(), xs.channels(), xs.height(), xs.width(), xs.height(), 1,
                0), x);
    }

    @Override
    public DnnlTensor relu(DnnlTensor x, Nchw xs) {
        ensureOpen();
        requireTensor("x", x, xs);
        DnnlTensor y = alloc(xs);
        reluInto(x, y, xs.size());
        return y;
    }

    private void reluInto(DnnlTensor x, DnnlTensor y, long size) {
        prims.relu(size).run(strm, x.data, y.data);
    }

    @Override
    public DnnlTensor scaleChannels(DnnlTensor h, Nchw hs, DnnlTensor scale, boolean sigmoid) {
        ensureOpen();
        requireTensor("h", h, hs);
        Nchw ss = new Nchw(hs.batch(), hs.channels(), 1, 1);
        requireTensor("scale", scale, ss);
        DnnlTensor factors = scale;
        if (sigmoid) {
            float[] v = scale.values();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (1.0 / (1.0 + Math.exp(-v[i])));
            }
            factors = alloc(ss);
            factors.buf.put(0, v, 0, v.length);
        }
        prims.scale(hs.batch(), hs.channels(), hs.height(), hs.width()).run(strm, h.data, factors.data, h.data);
        if (factors != scale) {
            release(factors);
        }
        return h;
    }

    @Override
    public DnnlTensor maskedMean(DnnlTensor h, Nchw hs, SpatialCells cells) {
        ensureOpen();
        requireTensor("h", h, hs);
        KernelArgs.requireCells(cells, hs, false);
        DnnlTensor y = alloc(new Nchw(hs.batch(), hs.channels(), 1, 1));
        HostOps.maskedMean(h, hs, cells, y);
        return y;
    }

    @Override
    public DnnlTensor gatherSamples(DnnlTensor x, Nchw xs, int[] samples) {
        ensureOpen();
        requireTensor("x", x, xs);
        KernelArgs.requireSamples(samples, xs.batch());
        DnnlTensor y = alloc(xs.withBatch(samples.length));
        long per = xs.perSample();
        Prim copy = prims.sampleCopy(per);
        for (int i = 0; i < samples.length; i++) {
            copy.run(strm, at(x, samples[i] * per), at(y, i * per));
        }
        return y;
    }

    @Override
    public void scatterSamplesResidualRelu(DnnlTensor branch, Nchw branchShape, int[] samples, DnnlTensor identity,
            DnnlTensor out) {
        ensureOpen();
        requireTensor("branch", branch, branchShape);
        notNull("samples", samples);
        if (samples.length != branchShape.batch()) {
            throw new IllegalArgumentException("samples must list one index per branch sample (" + branchShape.batch()
                    + "), got " + samples.length);
        }
        notNull("identity", identity);
        notNull("out", out);
        Nchw full = identity.shape;
        if (!full.withBatch(branchShape.batch()).equals(branchShape) || !out.shape.equals(full)) {
            throw new IllegalArgumentException("identity and out must be " + branchShape.withBatch(full.batch())
                    + " to match the branch " + branchShape + ", got " + full + " and " + out.shape);
        }
        KernelArgs.requireSamples(samples, full.batch());
        long per = branchShape.perSample();
        Prim sum = prims.sampleResidualRelu(per);
        for (int i = 0; i < samples.length; i++) {
            sum.run(strm, at(identity, samples[i] * per), at(branch, i * per), at(out, samples[i] * per));
        }
    }

    @Override
    public void fillInactiveRelu(DnnlTensor identity, Nchw shape, SpatialCells cells, DnnlTensor out) {
        requireFill(identity, shape, cells, out);
        HostOps.fillInactiveRelu(identity, shape, cells, out);
    }

    /** Copies the closed cells' elements of the non-negative identity, buffer to buffer, without a ReLU pass. */
    @Override
    public void fillInactiveNonNegative(DnnlTensor identity, Nchw shape, SpatialCells cells, DnnlTensor out) {
        requireFill(identity, shape, cells, out);
        HostOps.copyInactive(identity, shape, cells, out);
    }

    /** Checks the arguments of the closed-cell fills. */
    private void requireFill(DnnlTensor identity, Nchw shape, SpatialCells cells, DnnlTensor out) {
        ensureOpen();
        requireTensor("identity", identity, shape);
        requireTensor("out", out, shape);
        KernelArgs.requireCells(cells, shape, true);
    }

    // ------------------------------------------------------------------------------------------------ patches

    /**
     * Returns the patch count a patch primitive is created for: {@code P} rounded up to the next of 1, 2, 4, 8, then a
     * multiple of 8 (so a kernels object creates at most {@code 3 + P_max / 8} primitives per patch shape). The extra
     * rows are computed on whatever the buffers hold and never read.
     *
     * @param patches {@code P >= 1}
     * @return the bucket
     */
    static int bucket(int patches) {
        if (patches <= 1) {
            return 1;
        }
        if (patches <= 8) {
            return Integer.highestOneBit(patches - 1) << 1;
        }
        return (patches + 7) / 8 * 8;
    }

    @Override
    public DnnlTensor windowsConv1(DnnlTensor x, Nchw xs, PatchPlan plan, ConvWeights c1, SpatialSchedule schedule) {
        ensureOpen();
        notNull("plan", plan);
        OneDnnWeights w = weights("c1", c1);
        FoldedConv c = w.spec();
        if (!backend.spatialSchedules().contains(schedule)) {
            throw new IllegalArgumentException("schedule must be one of the onednn backend's spatial schedules "
                    + backend.spatialSchedules() + ", got " + schedule);
        }
        requirePointwise("c1", c);
        SpatialGeometry g = plan.geometry();
        requireTensor("x", x, xs);
        if (xs.batch() != plan.batch() || xs.height() != g.inHeight() || xs.width() != g.inWidth()
                || xs.channels() != c.inChannels()) {
            throw new IllegalArgumentException("xs must be (" + plan.batch() + ", " + c.inChannels() + ", "
                    + g.inHeight() + ", " + g.inWidth() + ") to match the plan and c1, got " + xs);
        }
        if (schedule == SpatialSchedule.ROWS) {
            return RowsConv.conv1(this, x, rowsIndex.of(plan), w);
        }
        int t = g.windowSize();
        int pb = bucket(plan.patchCount());
        if (schedule == SpatialSchedule.WINDOWS) {
            // conv1 densely over the map (one fused primitive), then the windows gathered from its output
            Nchw hs = xs.withChannels(c.outChannels());
            DnnlTensor h1 = convolve(x, w, SparseLayouts.windowsConv1(c, xs.batch(), xs.height(), xs.width()), null, hs,
                    hs.size());
            DnnlTensor windows = alloc(new Nchw(pb, c.outChannels(), t, t));
            HostOps.gatherWindows(h1, hs, plan, windows);
            release(h1);
            return windows;
        }
        DnnlTensor gathered = alloc(new Nchw(pb, c.inChannels(), t, t));
        boolean[] outside = HostOps.gatherWindows(x, xs, plan, gathered);
        DnnlTensor windows = matmul(gathered, SparseLayouts.haloConv1(c, pb, t), w, null,
                new Nchw(pb, c.outChannels(), t, t));
        release(gathered);
        HostOps.zeroRows(windows, outside, c.outChannels());
        return windows;
    }

    /**
     * Runs {@code y = [ReLU](x W^T + b [+ r])} on the rows of a matmul shape with a 1x1 convolution's weights and the
     * ReLU fused as post-ops; with residual rows {@code r} (null unless the shape adds them) the product is summed into
     * {@code r} in place and {@code r} is returned (its shape must be {@code outShape}).
     */
    private DnnlTensor matmul(DnnlTensor x, MatmulShape shape, OneDnnWeights w, DnnlTensor residual,
            Nchw outShape) {
        Prim p = prims.matmul(shape);
        DnnlTensor y = residual != null ? residual : alloc(outShape, (long) shape.rows() * shape.out());
        FloatPointer wp = w.in(w.plainMatmulDesc(), p.weightsDesc, strm);
        p.run(strm, x.data, wp, w.bias(), y.data);
        return y;
    }

    /**
     * Runs an ungrouped 1x1 convolution {@code y = [ReLU](x W^T + b)} on {@code rows} contiguous {@code nhwc} rows, as a
     * convolution primitive over a {@code (1, I, rows, 1)} map (the dense 1x1 convolution's kernel: on one thread it
     * measured as fast as the dense convolution per row and up to 1.5x faster than the matmul primitive for few rows or
     * wide inputs), into a new tensor of shape {@code shape} (at least {@code rows} rows: the row layout is the same).
     */
    DnnlTensor convRows(DnnlTensor x, int rows, OneDnnWeights w, boolean relu, Nchw shape) {
        FoldedConv c = w.spec();
        Prim p = prims.conv(SparseLayouts.rows(c.inChannels(), c.outChannels(), rows, relu));
        DnnlTensor y = alloc(shape, Math.max(shape.size(), (long) rows * c.outChannels()));
        p.run(strm, x.data, w.in(w.plainConvDesc(), p.weightsDesc, strm), w.bias(), y.data);
        return y;
    }

    /** Returns whether {@code w} is a temporary of an open scope (a channel slice no shared cache holds). */
    boolean isTemporary(OneDnnWeights w) {
        for (Frame f : frames) {
            if (f.temporaries.contains(w)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public DnnlTensor patchConv3x3Relu(DnnlTensor windows, PatchPlan plan, ConvWeights c2) {
        ensureOpen();
        notNull("plan", plan);
        notNull("windows", windows);
        OneDnnWeights w = weights("c2", c2);
        FoldedConv c = w.spec();
        SpatialGeometry g = plan.geometry();
        if (c.kernel() != 3) {
            throw new IllegalArgumentException("c2 must be a 3x3 convolution, got kernel " + c.kernel());
        }
        if (c.stride() != g.stride()) {
            throw new IllegalArgumentException("c2's stride must equal the plan's stride " + g.stride() + ", got "
                    + c.stride());
        }
        if (windows.shape.width() == 1) {
            return RowsConv.conv2(this, windows, plan, rowsIndex.of(plan), w);
        }
        int t = g.windowSize();
        Nchw ws = new Nchw(bucket(plan.patchCount()), c.inChannels(), t, t);
        if (!windows.shape.equals(ws)) {
            throw new IllegalArgumentException("windows must be the windows of this plan and c2's input channels "
                    + ws + ", got " + windows.shape);
        }
        int s = g.cellSize();
        Nchw os = new Nchw(ws.batch(), c.outChannels(), s, s);
        return convolve(windows, w, SparseLayouts.windowsConv2(c, ws.batch(), t), null, os, os.size());
    }

    @Override
    public DnnlTensor patchMeans(DnnlTensor patches, PatchPlan plan, int channels) {
        ensureOpen();
        notNull("plan", plan);
        requirePatches(patches, plan, channels);
        DnnlTensor y = alloc(new Nchw(plan.batch(), channels, 1, 1));
        HostOps.patchMeans(patches, plan, channels, y);
        return y;
    }

    @Override
    public DnnlTensor scalePatchesSigmoid(DnnlTensor patches, PatchPlan plan, int channels, DnnlTensor scale) {
        ensureOpen();
        notNull("plan", plan);
        requirePatches(patches, plan, channels);
        requireTensor("scale", scale, new Nchw(plan.batch(), channels, 1, 1));
        HostOps.scalePatchesSigmoid(patches, plan, channels, scale);
        return patches;
    }

    /**
     * Starts a spatial block output: the accumulator holds {@code ReLU(identity)} (one eltwise primitive), the output
     * of every position no patch covers, and remembers the identity, which {@link #patchConv1x1Add} reads again at the
     * patch positions.
     */
    @Override
    public DnnlTensor spatialBegin(DnnlTensor identity, Nchw shape) {
        ensureOpen();
        requireTensor("identity", identity, shape);
        DnnlTensor acc = alloc(shape);
        reluInto(identity, acc, shape.size());
        acc.identity = identity;
        return acc;
    }

    /** The identity itself as the accumulator: it is non-negative, so it already holds {@code ReLU(identity)}. */
    @Override
    public DnnlTensor spatialBeginInPlace(DnnlTensor identity, Nchw shape) {
        ensureOpen();
        requireTensor("identity", identity, shape);
        identity.identity = identity;
        return identity;
    }

    /**
     * conv3 on the patch rows with the residual and the block's ReLU fused: the identity rows at the patches' output
     * positions are gathered into a buffer of the matmul's shape (rows outside the image zeroed, never read), one
     * matmul computes {@code ReLU(patches W3 + b3 + identity)} into those rows in place (a sum post-op, then the ReLU),
     * and the rows inside the image are copied over the accumulator's {@code ReLU(identity)} (each position is covered
     * at most once per block). The fused form applies to every shape: the gathered rows always match the matmul's
     * output.
     */
    @Override
    public void patchConv1x1Add(DnnlTensor patches, PatchPlan plan, ConvWeights c3, DnnlTensor accumulator) {
        ensureOpen();
        notNull("plan", plan);
        OneDnnWeights w = weights("c3", c3);
        FoldedConv c = w.spec();
        requirePointwise("c3", c);
        requirePatches(patches, plan, c.inChannels());
        Nchw os = plan.outputShape(c.outChannels());
        requireTensor("accumulator", accumulator, os);
        DnnlTensor identity = accumulator.identity;
        if (identity == null || identity.owner == -1) {
            throw new IllegalArgumentException("accumulator must come from spatialBegin, and its identity must still be"
                    + " live");
        }
        int s = plan.geometry().cellSize();
        int pb = patches.shape.batch();
        Nchw rowShape = new Nchw(pb, c.outChannels(), s, s);
        DnnlTensor residual = alloc(rowShape);
        HostOps.gatherPatchRows(identity, plan, c.outChannels(), residual);
        // the product is summed into the gathered identity rows in place
        DnnlTensor y = matmul(patches, SparseLayouts.conv3Rows(c, pb, s), w, residual, rowShape);
        HostOps.scatterPatchRows(y, plan, c.outChannels(), accumulator);
        release(y);
    }

    /** Finishes a spatial block output: the accumulator already holds it (the ReLU ran in the fused primitives). */
    @Override
    public DnnlTensor spatialEnd(DnnlTensor accumulator, Nchw shape) {
        ensureOpen();
        requireTensor("accumulator", accumulator, shape);
        accumulator.identity = null;
        return accumulator;
    }

    /** Releases the cached primitives and pooled buffers (tensors still in open scopes too). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Frame f : frames) {
            for (DnnlTensor t : f.tensors) {
                if (t.owner >= 0) {
                    t.owner = -1;
                    t.data.close();
                }
            }
            for (OneDnnWeights w : f.temporaries) {
                w.close();
            }
        }
        frames.clear();
        prims.close();
        rowsIndex.clear();
        pool.close();
        strm.close();
    }

    /** Returns the number of cached primitives: each distinct shape of each operation creates one on first use. */
    @Override
    public long primitivesCreated() {
        return prims.size();
    }

    /** Returns how many buffers were allocated fresh (for tests). */
    long allocations() {
        return pool.allocations();
    }

    // ------------------------------------------------------------------------------------------------ checks

    private void requirePatches(DnnlTensor patches, PatchPlan plan, int channels) {
        notNull("patches", patches);
        int s = plan.geometry().cellSize();
        Nchw want = new Nchw(bucket(plan.patchCount()), channels, s, s);
        if (!patches.shape.equals(want)) {
            throw new IllegalArgumentException("patches must be the patch outputs of this plan " + want + ", got "
                    + patches.shape);
        }
    }

    private static void requirePointwise(String name, FoldedConv c) {
        if (c.kernel() != 1 || c.groups() != 1 || c.stride() != 1) {
            throw new IllegalArgumentException(name + " must be an ungrouped 1x1 convolution with stride 1, got "
                    + "kernel " + c.kernel() + ", groups " + c.groups() + ", stride " + c.stride());
        }
    }

    static void requireTensor(String name, DnnlTensor t, Nchw shape) {
        notNull(name, t);
        notNull("shape of " + name, shape);
        if (t.owner == -1) {
            throw new IllegalArgumentException(name + " was released");
        }
        if (!t.shape.equals(shape)) {
            throw new IllegalArgumentException(name + " must have shape " + shape + ", got " + t.shape);
        }
    }

    private OneDnnWeights weights(String name, ConvWeights w) {
        if (w instanceof OneDnnWeights o) {
            return o;
        }
        throw new IllegalArgumentException(name + " must be weights of the onednn backend (OneDnnWeights), got "
                + (w == null ? "null" : w.getClass().getName()));
    }

    /**
     * The address of element {@code offset} of a tensor's buffer, for a primitive that runs on one sample of it (a
     * plain pointer, whose position counts bytes; it keeps the tensor's memory referenced).
     */
    private static Pointer at(DnnlTensor t, long offset) {
        return new Pointer(t.data).position(Float.BYTES * offset);
    }

    /**
     * Checks that the kernels and the backend are open, and sets the backend's thread count on the calling thread
     * (re-creating the cached primitives when the count changed since they were created): every primitive calls it
     * first.
     */
    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the onednn kernels are closed");
        }
        backend.ensureOpen();
        int n = backend.threadSetting();
        if (n != primitiveThreads) {
            prims.clear();
            primitiveThreads = n;
        }
        OpenMpThreads.apply(n);
    }
}
