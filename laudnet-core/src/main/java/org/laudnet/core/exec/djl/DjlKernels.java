package org.laudnet.core.exec.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Set;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.HostPooling;
import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.PlanIndexCache;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.util.Checks;

/**
 * The primitives of one executor on the {@link DjlBackend}: eager DJL operations on {@link NDArray}s (NCHW float32).
 * See {@link Kernels} for the contract of each primitive; the spatial patch primitives and their opaque layouts are
 * described in {@link DjlPatchOps}.
 *
 * <p>Memory: the kernels own a root manager (a sub-manager of the backend's) that holds their caches (plan index
 * arrays, zero rows). Each {@link #openScope() scope} is a sub-manager of the current one (the outermost one of the
 * root); every tensor a primitive returns is attached to the innermost open scope's manager (to the root when no
 * scope is open), also when DJL would place it elsewhere (an operation's result belongs to its first operand's
 * manager), and intermediates are closed before the primitive returns. {@link Scope#keep} attaches a tensor to the
 * enclosing scope's manager; for the outermost scope it detaches the tensor, which the caller then owns and must
 * close. Closing a scope closes its manager, and first any scope opened inside it that is still open.
 *
 * <p>Imported arrays ({@link #importArray}) are temporarily attached to the scope ({@code tempAttach}): they return to
 * their own manager when the scope closes and are never modified, released or moved: primitives that would write
 * into one reject it, {@link Scope#keep} and {@link #exportArray} hand out a copy of one. Adopted arrays
 * ({@link #adoptArray}) are attached the same way but belong to the scope like its own tensors: primitives may write
 * into them and {@link #exportArray} returns them themselves. An array that already belongs to this kernels' managers
 * is used as it is.
 *
 * <p>Not thread-safe: one executor (one thread at a time) owns a kernels object. Uploaded weights are shared
 * read-only with the other executors of the backend.
 */
public final class DjlKernels implements Kernels<NDArray> {

    /** Plans whose index arrays are kept (LRU). */
    static final int PLAN_CACHE_CAPACITY = 16;

    private static final Shape ONE = new Shape(1, 1);

    private final DjlBackend backend;
    private final NDManager root;
    private final Deque<DjlScope> scopes = new ArrayDeque<>();
    private final PlanIndexCache<PatchIndex> plans;
    private final DjlPatchOps patchOps;
    private boolean closed;

    DjlKernels(DjlBackend backend, NDManager root) {
        this.backend = backend;
        this.root = root;
        this.plans = new PlanIndexCache<>(PLAN_CACHE_CAPACITY, plan -> new PatchIndex(root, plan), PatchIndex::close);
        this.patchOps = new DjlPatchOps(this);
    }

    // ------------------------------------------------------------------------------------------------ scopes

    /** A scope: a sub-manager of the enclosing scope's (or the root's) manager. */
    private final class DjlScope implements Scope<NDArray> {
        private final NDManager manager;
        private final DjlScope parent;
        private final Set<NDArray> imported = Collections.newSetFromMap(new IdentityHashMap<>());
        private boolean open = true;

        DjlScope(NDManager manager, DjlScope parent) {
            this.manager = manager;
            this.parent = parent;
        }

        /**
         * Attaches {@code t} to the enclosing scope's manager, or detaches it from the kernels for the outermost scope
         * (the caller then owns it). An array imported into this scope is copied instead (it belongs to the caller);
         * a tensor of an enclosing scope is returned as it is.
         *
         * @throws IllegalArgumentException if {@code t} is null, released, or belongs to a scope inside this one
         * @throws IllegalStateException if this scope is closed
         */
        @Override
        public NDArray keep(NDArray t) {
            if (!open) {
                throw new IllegalStateException("cannot keep a tensor in a closed scope");
            }
            requireOpen("t", t);
            if (imported.contains(t)) {
                NDArray copy = t.duplicate();
                moveOut(copy);
                return copy;
            }
            NDManager m = t.getManager();
            if (m == manager) {
                moveOut(t);
                return t;
            }
            for (DjlScope s : scopes) {
                if (s == this) {
                    break;
                }
                if (s.manager == m) {
                    throw new IllegalArgumentException("t belongs to a scope opened inside the one that keeps it");
                }
            }
            return t;
        }

        private void moveOut(NDArray t) {
            if (parent != null) {
                t.attach(parent.manager);
            } else {
                t.detach();
            }
        }

        /** Closes the scopes opened inside this one that are still open, then this scope's manager. Idempotent. */
        @Override
        public void close() {
            if (!open) {
                return;
            }
            while (!scopes.isEmpty()) {
                DjlScope s = scopes.pop();
                s.open = false;
                s.imported.clear();
                s.manager.close();
                if (s == this) {
                    return;
                }
            }
        }
    }

    /**
     * Opens a scope nested in the current one.
     *
     * @return the scope
     * @throws IllegalStateException if the kernels are closed
     */
    @Override
    public Scope<NDArray> openScope() {
        ensureOpen();
        DjlScope parent = scopes.peek();
        DjlScope s = new DjlScope((parent == null ? root : parent.manager).newSubManager(), parent);
        scopes.push(s);
        return s;
    }

    /**
     * Closes a tensor now.
     *
     * @param t a tensor of the current or an enclosing scope
     * @throws IllegalArgumentException if {@code t} is null or an imported array
     */
    @Override
    public void release(NDArray t) {
        ensureOpen();
        if (t == null) {
            throw new IllegalArgumentException("t must not be null");
        }
        if (isImported(t)) {
            throw new IllegalArgumentException("t is an imported array; it belongs to the caller and is not released");
        }
        t.close();
    }

    /** Returns the innermost open scope's manager, or the root manager when no scope is open. */
    NDManager current() {
        DjlScope s = scopes.peek();
        return s == null ? root : s.manager;
    }

    /** Attaches {@code a} to the current manager unless it is there already. */
    NDArray local(NDArray a) {
        NDManager m = current();
        if (a.getManager() != m) {
            a.attach(m);
        }
        return a;
    }

    /** Returns whether {@code t} was imported into an open scope. */
    boolean isImported(NDArray t) {
        for (DjlScope s : scopes) {
            if (s.imported.contains(t)) {
                return true;
            }
        }
        return false;
    }

    private boolean ownedHere(NDArray t) {
        NDManager m = t.getManager();
        if (m == root) {
            return true;
        }
        for (DjlScope s : scopes) {
            if (s.manager == m) {
                return true;
            }
        }
        return false;
    }

    /** Returns the index cache of the plans. */
    PlanIndexCache<PatchIndex> plans() {
        return plans;
    }

    /** Returns the kernels' root manager (caches; the parent of the outermost scope). */
    NDManager rootManager() {
        return root;
    }

    // ------------------------------------------------------------------------------------------------ transfers

    /**
     * Takes a caller's array as a tensor of the current scope ({@code tempAttach}); it returns to its manager when
     * the scope closes and is never modified. An array that already belongs to these kernels is returned as it is.
     *
     * @throws IllegalArgumentException if {@code x} is null, released, not float32, or not of shape {@code shape}
     */
    @Override
    public NDArray importArray(NDArray x, Nchw shape) {
        ensureOpen();
        requireTensor("x", x, shape);
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("x must be float32, got " + x.getDataType());
        }
        if (ownedHere(x)) {
            return x;
        }
        DjlScope s = scopes.peek();
        x.tempAttach(current());
        if (s != null) {
            s.imported.add(x);
        }
        return x;
    }

    /**
     * Takes a handed-over array as a writable tensor of the current scope ({@code tempAttach}, so it returns to its
     * manager when the scope closes); primitives may write into it.
     *
     * @throws IllegalArgumentException if {@code x} is null, released, not float32, or not of shape {@code shape}
     */
    @Override
    public NDArray adoptArray(NDArray x, Nchw shape) {
        ensureOpen();
        requireTensor("x", x, shape);
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("x must be float32, got " + x.getDataType());
        }
        if (!ownedHere(x)) {
            x.tempAttach(current());
        }
        return x;
    }

    /**
     * Copies host values into a new tensor of the current scope.
     *
     * @throws IllegalArgumentException if {@code data} is null or shorter than {@code shape.size()}
     */
    @Override
    public NDArray importHost(float[] data, Nchw shape) {
        ensureOpen();
        KernelArgs.notNull("shape", shape);
        if (data == null || data.length < shape.size()) {
            throw new IllegalArgumentException("data must hold at least " + shape.size() + " values for " + shape
                    + ", got " + (data == null ? "null" : data.length));
        }
        return current().create(FloatBuffer.wrap(data, 0, shape.size()), shape(shape));
    }

    /**
     * Moves {@code t} to {@code target} ({@code attach}) and returns it; an imported array, or an array the kernels do
     * not own, is copied into {@code target} instead. The tensor then no longer belongs to its scope. An adopted array
     * ({@link #adoptArray}) is a tensor of its scope, so a block output that is the handed-over input itself is
     * returned as that same array, now owned by {@code target}.
     *
     * @throws IllegalArgumentException if an argument is null, or {@code t} is not of shape {@code shape}
     */
    @Override
    public NDArray exportArray(NDArray t, Nchw shape, NDManager target) {
        ensureOpen();
        requireTensor("t", t, shape);
        if (target == null || !target.isOpen()) {
            throw new IllegalArgumentException("target must be an open manager, got "
                    + (target == null ? "null" : "a closed manager"));
        }
        if (isImported(t) || !ownedHere(t)) {
            NDArray copy = t.duplicate();
            copy.attach(target);
            return copy;
        }
        t.attach(target);
        return t;
    }

    /**
     * Returns {@link HostPooling#CPU_LIMIT}: a small input's gates read it once ({@link #exportHost}) and pool it on
     * the host, cheaper than the masker's eager operations (each a PyTorch dispatch of tens of microseconds).
     */
    @Override
    public int hostPoolLimit() {
        return HostPooling.CPU_LIMIT;
    }

    /**
     * Reads the first {@code count} values (row-major) from the flattened tensor (a view, or a contiguous copy on the
     * engine when {@code t} is not contiguous, closed before returning): only a slice of {@code count} values is
     * copied to the host.
     *
     * @throws IllegalArgumentException if {@code t} is null or released, or {@code count} is outside
     *     {@code [0, t.size()]}
     */
    @Override
    public float[] exportHost(NDArray t, int count) {
        ensureOpen();
        requireOpen("t", t);
        long size = t.size();
        if (count < 0 || count > size) {
            throw new IllegalArgumentException("count must be in [0, " + size + "], got " + count);
        }
        if (count == 0) {
            return new float[0];
        }
        NDArray flat = t.reshape(-1);
        NDArray head = count == size ? flat : flat.get(new NDIndex().addSliceDim(0, count));
        float[] values = head.toFloatArray();
        close(head == flat ? null : head, flat);
        return values;
    }

    /** Uploads a convolution into the current scope's manager. */
    @Override
    public ConvWeights temporary(FoldedConv conv) {
        ensureOpen();
        return DjlConvWeights.create(conv, backend, current());
    }

    // ------------------------------------------------------------------------------------------------ dense

    /**
     * {@code Conv2d.conv2d} with the weights' stride, padding and groups, then {@code addi(residual)} and a ReLU. An
     * ungrouped 1x1 layer without stride or padding runs as one matrix product {@code W (O, I) x (B, I, H W)} plus the
     * bias (on a {@code 1 x 1} input as {@code Linear.linear} on {@code (B, I)}).
     */
    @Override
    public NDArray conv(NDArray x, Nchw xs, ConvWeights w, NDArray residual, boolean relu) {
        ensureOpen();
        requireTensor("x", x, xs);
        DjlConvWeights d = weights("w", w);
        FoldedConv c = d.spec();
        if (c.inChannels() != xs.channels()) {
            throw new IllegalArgumentException("x has " + xs.channels() + " channels but w expects "
                    + c.inChannels() + " (" + c + ")");
        }
        int ho = c.outSize(xs.height());
        int wo = c.outSize(xs.width());
        Shape ys = new Shape(xs.batch(), c.outChannels(), ho, wo);
        if (residual != null) {
            requireShape("residual", residual, ys);
        }
        NDArray y;
        boolean pointwise = c.kernel() == 1 && c.groups() == 1 && c.padding() == 0;
        if (pointwise && xs.height() == 1 && xs.width() == 1) {
            NDArray rows = local(x.reshape(xs.batch(), xs.channels()));
            NDArray z = Linear.linear(rows, d.matrix(), d.bias()).head();
            y = z.reshape(ys);
            close(rows, z);
        } else if (pointwise && c.stride() == 1) {
            // one matrix product W (O, I) x (B, I, H W): no convolution dispatch, and PyTorch's GEMM is markedly
            // faster than its 1x1 conv2d on NCHW data here (most of all for the maskers' 2-channel outputs)
            NDArray planes = local(x.reshape(xs.batch(), xs.channels(), (long) xs.height() * xs.width()));
            NDArray z = local(d.matrix().matMul(planes));
            z.addi(d.columnBias());
            y = z.reshape(ys);
            close(planes, z);
        } else {
            y = local(Conv2d.conv2d(x, d.weight(), d.bias(), new Shape(c.stride(), c.stride()),
                    new Shape(c.padding(), c.padding()), ONE, c.groups()).head());
        }
        if (residual != null) {
            y.addi(residual);
        }
        if (relu) {
            NDArray r = Activation.relu(y);
            y.close();
            y = r;
        }
        return y;
    }

    /** {@code Pool.maxPool2d} (PyTorch pads with {@code -inf}). */
    @Override
    public NDArray maxPool(NDArray x, Nchw xs, int kernel, int stride, int padding) {
        ensureOpen();
        requireTensor("x", x, xs);
        Checks.positive("kernel", kernel);
        Checks.positive("stride", stride);
        if (padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("padding must be in [0, kernel / 2 = " + kernel / 2 + "], got "
                    + padding);
        }
        if (xs.height() + 2 * padding < kernel || xs.width() + 2 * padding < kernel) {
            throw new IllegalArgumentException("kernel " + kernel + " does not fit the padded input " + xs);
        }
        return local(Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false));
    }

    /** {@code Pool.avgPool2d} with kernel = stride = {@code k}, no padding. */
    @Override
    public NDArray avgPool(NDArray x, Nchw xs, int kernel) {
        ensureOpen();
        requireTensor("x", x, xs);
        Checks.positive("kernel", kernel);
        if (xs.height() % kernel != 0 || xs.width() % kernel != 0) {
            throw new IllegalArgumentException("kernel " + kernel + " must divide H and W of " + xs);
        }
        Shape k = new Shape(kernel, kernel);
        return local(Pool.avgPool2d(x, k, k, new Shape(0, 0), false, true));
    }

    /** {@code sum} over axes 2 and 3 (kept), divided by {@code H W}. */
    @Override
    public NDArray mean(NDArray x, Nchw xs) {
        ensureOpen();
        requireTensor("x", x, xs);
        return local(x.sum(new int[] {2, 3}, true)).divi(xs.height() * xs.width());
    }

    /** {@code Activation.relu}, a new tensor. */
    @Override
    public NDArray relu(NDArray x, Nchw xs) {
        ensureOpen();
        requireTensor("x", x, xs);
        return local(Activation.relu(x));
    }

    /** {@code h.muli(f(scale))} in place (an imported {@code h} is multiplied into a new tensor). */
    @Override
    public NDArray scaleChannels(NDArray h, Nchw hs, NDArray scale, boolean sigmoid) {
        ensureOpen();
        requireTensor("h", h, hs);
        requireShape("scale", scale, new Shape(hs.batch(), hs.channels(), 1, 1));
        NDArray f = sigmoid ? local(Activation.sigmoid(scale)) : scale;
        NDArray y = isImported(h) ? local(h.mul(f)) : h.muli(f);
        if (sigmoid) {
            f.close();
        }
        return y;
    }

    /**
     * A batched matrix-vector product of {@code h} as {@code (B, C, H W)} with the weights
     * {@code M2 / max(sum M2, 1)} (the plain mean when every position is computed), expanded on the device from one
     * weight per cell ({@link CellMasks#meanWeights}).
     */
    @Override
    public NDArray maskedMean(NDArray h, Nchw hs, SpatialCells cells) {
        ensureOpen();
        requireTensor("h", h, hs);
        KernelArgs.requireCells(cells, hs, false);
        NDArray m = CellMasks.meanWeights(cells, hs, current());
        if (m == null) {
            return mean(h, hs);
        }
        int hw = hs.height() * hs.width();
        NDArray rows = local(h.reshape(hs.batch(), hs.channels(), hw));
        NDArray s = rows.matMul(m);
        NDArray y = s.reshape(hs.batch(), hs.channels(), 1, 1);
        close(m, rows, s);
        return y;
    }

    /** {@code x.get(new NDIndex("{}", samples))}. */
    @Override
    public NDArray gatherSamples(NDArray x, Nchw xs, int[] samples) {
        ensureOpen();
        requireTensor("x", x, xs);
        KernelArgs.requireSamples(samples, xs.batch());
        NDArray idx = current().create(int64(samples));
        NDArray y = local(x.get(new NDIndex("{}", idx)));
        idx.close();
        return y;
    }

    /** {@code out.set(at, relu(identity.get(at) + branch))} with one index array. */
    @Override
    public void scatterSamplesResidualRelu(NDArray branch, Nchw branchShape, int[] samples, NDArray identity,
            NDArray out) {
        ensureOpen();
        requireTensor("branch", branch, branchShape);
        requireOpen("identity", identity);
        requireOpen("out", out);
        long[] is = identity.getShape().getShape();
        Shape full = new Shape(is);
        if (is.length != 4 || is[1] != branchShape.channels() || is[2] != branchShape.height()
                || is[3] != branchShape.width()) {
            throw new IllegalArgumentException("identity must have shape (B, " + branchShape.channels() + ", "
                    + branchShape.height() + ", " + branchShape.width() + "), got " + full);
        }
        requireShape("out", out, full);
        requireWritable("out", out);
        KernelArgs.requireSamples(samples, (int) is[0]);
        if (samples.length != branchShape.batch()) {
            throw new IllegalArgumentException("samples must list branchShape.batch = " + branchShape.batch()
                    + " indices, got " + samples.length);
        }
        NDArray idx = current().create(int64(samples));
        NDIndex at = new NDIndex("{}", idx);
        NDArray sum = local(identity.get(at)).addi(branch);
        NDArray r = Activation.relu(sum);
        out.set(at, r);
        close(idx, sum, r);
    }

    /**
     * {@code out = out K + ReLU(identity) (1 - K)} in place, with the kept mask {@code K (B, gs, 1, H, W)} broadcast
     * over the channels of each group ({@code out} viewed as {@code (B, gs, C / gs, H, W)}); {@code K} and
     * {@code 1 - K} are expanded on the device from the cells ({@link CellMasks#keptAndClosed}).
     */
    @Override
    public void fillInactiveRelu(NDArray identity, Nchw shape, SpatialCells cells, NDArray out) {
        ensureOpen();
        requireTensor("identity", identity, shape);
        requireTensor("out", out, shape);
        requireWritable("out", out);
        KernelArgs.requireCells(cells, shape, true);
        CellMasks.State state = CellMasks.state(cells);
        if (state == CellMasks.State.ALL) {
            return;
        }
        NDArray r = local(Activation.relu(identity));
        if (state == CellMasks.State.NONE) {
            out.set(new NDIndex("..."), r);
            r.close();
            return;
        }
        int gs = cells.groups();
        Shape grouped = new Shape(shape.batch(), gs, shape.channels() / gs, shape.height(), shape.width());
        NDArray masks = CellMasks.keptAndClosed(cells, shape, current());
        NDArray kept = masks.get(0);
        NDArray closedMask = masks.get(1);
        NDArray rg = r.reshape(grouped).muli(closedMask);
        NDArray og = local(out.reshape(grouped));
        og.muli(kept).addi(rg);
        close(r, rg, og, kept, closedMask, masks);
    }

    // ------------------------------------------------------------------------------------------------ patches

    /** See {@link DjlPatchOps#windowsConv1}. */
    @Override
    public NDArray windowsConv1(NDArray x, Nchw xs, PatchPlan plan, ConvWeights c1, SpatialSchedule schedule) {
        ensureOpen();
        return patchOps.windowsConv1(x, xs, plan, c1, schedule);
    }

    /** See {@link DjlPatchOps#patchConv3x3Relu}. */
    @Override
    public NDArray patchConv3x3Relu(NDArray windows, PatchPlan plan, ConvWeights c2) {
        ensureOpen();
        return patchOps.patchConv3x3Relu(windows, plan, c2);
    }

    /** See {@link DjlPatchOps#patchMeans}. */
    @Override
    public NDArray patchMeans(NDArray patches, PatchPlan plan, int channels) {
        ensureOpen();
        return patchOps.patchMeans(patches, plan, channels);
    }

    /** See {@link DjlPatchOps#scalePatchesSigmoid}. */
    @Override
    public NDArray scalePatchesSigmoid(NDArray patches, PatchPlan plan, int channels, NDArray scale) {
        ensureOpen();
        return patchOps.scalePatchesSigmoid(patches, plan, channels, scale);
    }

    /** See {@link DjlPatchOps#spatialBegin}. */
    @Override
    public NDArray spatialBegin(NDArray identity, Nchw shape) {
        ensureOpen();
        return patchOps.spatialBegin(identity, shape);
    }

    /** See {@link DjlPatchOps#patchConv1x1Add}. */
    @Override
    public void patchConv1x1Add(NDArray patches, PatchPlan plan, ConvWeights c3, NDArray accumulator) {
        ensureOpen();
        patchOps.patchConv1x1Add(patches, plan, c3, accumulator);
    }

    /** See {@link DjlPatchOps#spatialEnd}. */
    @Override
    public NDArray spatialEnd(NDArray accumulator, Nchw shape) {
        ensureOpen();
        return patchOps.spatialEnd(accumulator, shape);
    }

    /** Closes every open scope, the caches and the root manager. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Iterator<DjlScope> it = scopes.iterator();
        DjlScope outermost = null;
        while (it.hasNext()) {
            outermost = it.next();
        }
        if (outermost != null) {
            outermost.close();
        }
        plans.clear();
        root.close();
    }

    // ------------------------------------------------------------------------------------------------ checks

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the DJL kernels are closed");
        }
    }

    /** Returns the backend's weights, or throws naming the parameter. */
    DjlConvWeights weights(String name, ConvWeights w) {
        if (!(w instanceof DjlConvWeights d) || d.owner() != backend) {
            throw new IllegalArgumentException(name + " must be weights of this DJL backend, got " + w);
        }
        if (!d.isOpen()) {
            throw new IllegalArgumentException(name + " has been released (its backend or scope is closed): " + w);
        }
        return d;
    }

    /** Requires a writable tensor (not an imported array). */
    void requireWritable(String name, NDArray t) {
        if (isImported(t)) {
            throw new IllegalArgumentException(name + " is an imported array, which primitives never modify");
        }
    }

    /** Requires a non-null, open tensor of the NCHW shape. */
    static void requireTensor(String name, NDArray t, Nchw shape) {
        KernelArgs.notNull(name + " shape", shape);
        requireShape(name, t, shape(shape));
    }

    /** Requires a non-null, open tensor of the given shape. */
    static void requireShape(String name, NDArray t, Shape expected) {
        requireOpen(name, t);
        Shape s = t.getShape();
        if (!Arrays.equals(s.getShape(), expected.getShape())) {
            throw new IllegalArgumentException(name + " must have shape " + expected + ", got " + s);
        }
    }

    /** Requires a non-null tensor that is not released. */
    static void requireOpen(String name, NDArray t) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (t.isReleased()) {
            throw new IllegalArgumentException(name + " has been released");
        }
    }

    /** Returns the DJL shape of an NCHW shape. */
    static Shape shape(Nchw s) {
        return new Shape(s.batch(), s.channels(), s.height(), s.width());
    }

    /** Closes arrays (nulls skipped). */
    static void close(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** Returns indices as int64 values. */
    private static long[] int64(int[] values) {
        long[] r = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            r[i] = values[i];
        }
        return r;
    }
}
