package org.laudnet.cuda.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.exec.CudaBackend;
import org.laudnet.cuda.exec.CudaKernels;

/**
 * Runs every primitive of the CUDA backend ({@link CudaKernels}) on fresh random inputs and compares it with its
 * {@link ReferenceOps} operation: dense and grouped convolutions (stem, projection, grouped 3x3 with residual,
 * depthwise, fully connected head), pooling, means, ReLU, channel scaling, the masked mean and the inactive-element
 * fill with several mask groups, sample gather and scatter, and the spatial pipeline (windows, patch conv, the
 * squeeze-excitation's patch means and scaling, the accumulator) on random, full and empty masks.
 *
 * <p>Every buffer the kernels allocate is filled with NaN first ({@link CudaKernels#setPoisonOnAllocate}), and the
 * in-place primitives start from NaN outputs on both sides, so a position a kernel fails to write, or writes when it
 * must not, shows up as a NaN mismatch. Error measure: {@link #error}. Not thread-safe.
 */
public final class KernelCheck {

    /** Tolerance of the fp32 kernels (relative to the largest reference value). */
    public static final double FP32_TOLERANCE = 1e-4;
    /** Tolerance of the TF32 tensor-core kernels. */
    public static final double TF32_TOLERANCE = 1e-2;

    /**
     * One comparison.
     *
     * @param primitive the primitive (and kernel) checked
     * @param shape what was run
     * @param precision GEMM arithmetic of the backend
     * @param error relative error
     * @param tolerance allowed relative error
     */
    public record Row(String primitive, String shape, Precision precision, double error, double tolerance) {
        /** Returns whether the error is within the tolerance. */
        public boolean pass() {
            return error <= tolerance;
        }
    }

    private final KernelModule module;
    private final Random rnd;

    /**
     * Creates the check.
     *
     * @param module the loaded kernels
     * @param seed seed of the random inputs
     */
    public KernelCheck(KernelModule module, long seed) {
        if (module == null) {
            throw new IllegalArgumentException("module must not be null");
        }
        this.module = module;
        this.rnd = new Random(seed);
    }

    /**
     * Runs every primitive on a backend of one precision (the element-wise primitives only for FP32: they do not
     * depend on the GEMM arithmetic).
     *
     * @param precision GEMM arithmetic
     * @return one row per primitive and shape
     */
    public List<Row> run(Precision precision) {
        double tol = precision == Precision.FP32 ? FP32_TOLERANCE : TF32_TOLERANCE;
        List<Row> rows = new ArrayList<>();
        try (CudaBackend be = CudaBackend.on(module, precision);
                CudaKernels k = (CudaKernels) be.newKernels()) {
            k.setPoisonOnAllocate(true);
            Ctx c = new Ctx(be, k, precision, tol, rows);
            convRows(c);
            int[][] spatial = {
                // batch, cin, c1, c2, cout, groups, inSize, stride, cellSize, mask (0 random, 1 full, 2 empty)
                {2, 70, 66, 66, 130, 1, 15, 2, 4, 0},
                {1, 256, 64, 64, 256, 1, 56, 1, 4, 0},
                {2, 24, 32, 32, 48, 4, 12, 1, 1, 0},
                {2, 64, 64, 64, 96, 4, 13, 2, 4, 0},
                {2, 24, 32, 32, 48, 4, 12, 1, 2, 1},
                {2, 24, 32, 32, 48, 1, 12, 1, 2, 2},
            };
            for (int[] s : spatial) {
                spatialRows(c, s);
            }
            if (precision == Precision.FP32) {
                elementwiseRows(c);
                maskRows(c);
            }
        }
        return rows;
    }

    /** What one run checks with. */
    private record Ctx(CudaBackend be, CudaKernels k, Precision precision, double tol, List<Row> rows) {
        void add(String primitive, String shape, float[] ref, float[] got) {
            rows.add(new Row(primitive, shape, precision, error(ref, got), tol));
        }

        void addExact(String primitive, String shape, float[] ref, float[] got) {
            rows.add(new Row(primitive, shape, precision, error(ref, got), FP32_TOLERANCE));
        }
    }

    private void convRows(Ctx c) {
        int[][] convs = {
            // batch, cin, size, cout, k, stride, pad, groups, residual, relu
            {2, 3, 37, 64, 7, 2, 3, 1, 0, 1},
            {2, 96, 14, 130, 1, 2, 0, 1, 0, 0},
            {1, 64, 9, 64, 3, 1, 1, 8, 1, 1},
            {2, 128, 15, 128, 3, 2, 1, 8, 0, 1},
            {3, 40, 10, 40, 4, 4, 0, 40, 0, 0},
            {5, 2048, 1, 1000, 1, 1, 0, 1, 0, 0},
        };
        for (int[] v : convs) {
            Nchw xs = new Nchw(v[0], v[1], v[2], v[2]);
            FoldedConv conv = new FoldedConv(v[3], v[1], v[4], v[5], v[6], v[7],
                    uniform(v[3] * (v[1] / v[7]) * v[4] * v[4], 0.2f), uniform(v[3], 0.1f));
            float[] x = uniform(xs.size(), 1f);
            Nchw ys = ReferenceOps.convOutputShape(xs, conv);
            float[] res = v[8] == 1 ? uniform(ys.size(), 1f) : null;
            boolean relu = v[9] == 1;
            float[] ref = ReferenceOps.conv2d(x, xs, conv, res, relu);
            boolean temporary = v[0] % 2 == 1;
            float[] got = scoped(c.k(), k -> {
                ConvWeights w = temporary ? k.temporary(conv) : c.be().upload(conv);
                DeviceBuffer r = res == null ? null : k.importHost(res, ys);
                return k.exportHost(k.conv(k.importHost(x, xs), xs, w, r, relu), ys.size());
            });
            c.add("conv (laud_conv2d)", Arrays.toString(v) + (temporary ? " temporary" : " uploaded"), ref, got);
        }
    }

    private void spatialRows(Ctx c, int[] s) {
        Nchw xs = new Nchw(s[0], s[1], s[6], s[6]);
        SpatialGeometry g = SpatialGeometry.of(s[6], s[6], s[7], s[8]);
        int m = g.gridSize();
        int[] mask = new int[s[0] * m * m];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = s[9] == 1 ? 1 : s[9] == 2 ? 0 : rnd.nextInt(2);
        }
        PatchPlan plan = PatchPlan.fromMask(mask, s[0], g);
        Nchw os = plan.outputShape(s[4]);
        FoldedConv c1 = new FoldedConv(s[2], s[1], 1, 1, 0, 1, uniform(s[2] * s[1], 0.5f), uniform(s[2], 0.2f));
        FoldedConv c2 = new FoldedConv(s[3], s[2], 3, s[7], 1, s[5], uniform(s[3] * (s[2] / s[5]) * 9, 0.3f),
                uniform(s[3], 0.2f));
        FoldedConv c3 = new FoldedConv(s[4], s[3], 1, 1, 0, 1, uniform(s[4] * s[3], 0.4f), uniform(s[4], 0.2f));
        float[] x = uniform(xs.size(), 1f);
        float[] id = uniform(os.size(), 1f);
        float[] scale = uniform(s[0] * s[3], 2f);
        String shape = Arrays.toString(Arrays.copyOf(s, 9)) + " P=" + plan.patchCount();
        float[] windows = ReferenceOps.gatherConv1x1Relu(x, xs, plan, c1);
        float[] patches = ReferenceOps.patchConv3x3Relu(windows, plan, c2);
        float[] acc = id.clone();
        ReferenceOps.patchConv1x1Add(patches, plan, c3, acc);
        float[] out = ReferenceOps.relu(acc, os);
        int p = plan.patchCount();
        int t = g.windowSize();
        int cell = g.cellSize();
        if (p > 0) {
            c.add("windowsConv1 HALO (laud_gather_conv1x1_relu)", shape, windows, scoped(c.k(), k ->
                    k.exportHost(k.windowsConv1(k.importHost(x, xs), xs, plan, c.be().upload(c1),
                            SpatialSchedule.HALO), windows.length)));
            c.add("patchConv3x3Relu (laud_patch_conv3x3_relu)", shape, patches, scoped(c.k(), k ->
                    k.exportHost(k.patchConv3x3Relu(k.importHost(windows, new Nchw(p, s[2], t, t)), plan,
                            c.be().upload(c2)), patches.length)));
            Nchw ps = new Nchw(p, s[3], cell, cell);
            c.addExact("patchMeans (laud_patch_means)", shape, ReferenceOps.patchMeans(patches, plan, s[3]),
                    scoped(c.k(), k -> k.exportHost(k.patchMeans(k.importHost(patches, ps), plan, s[3]),
                            s[0] * s[3])));
            c.addExact("scalePatchesSigmoid (laud_scale_patches_sigmoid)", shape,
                    ReferenceOps.scalePatchesSigmoid(patches, plan, s[3], scale), scoped(c.k(), k ->
                            k.exportHost(k.scalePatchesSigmoid(k.importHost(patches, ps), plan, s[3],
                                    k.importHost(scale, new Nchw(s[0], s[3], 1, 1))), patches.length)));
        }
        c.add("spatialBegin / patchConv1x1Add / spatialEnd (laud_relu, laud_patch_conv1x1_scatter_relu)", shape, out,
                scoped(c.k(), k -> {
                    DeviceBuffer a = k.spatialBegin(k.importHost(id, os), os);
                    if (p > 0) {
                        k.patchConv1x1Add(k.importHost(patches, new Nchw(p, s[3], cell, cell)), plan,
                                c.be().upload(c3), a);
                    }
                    return k.exportHost(k.spatialEnd(a, os), os.size());
                }));
    }

    private void elementwiseRows(Ctx c) {
        Nchw ps = new Nchw(2, 64, 57, 57);
        float[] px = uniform(ps.size(), 1f);
        float[] pref = ReferenceOps.maxPool2d(px, ps, 3, 2, 1);
        c.add("maxPool (laud_maxpool2d)", ps + " k3 s2 p1", pref,
                scoped(c.k(), k -> k.exportHost(k.maxPool(k.importHost(px, ps), ps, 3, 2, 1), pref.length)));
        for (int[] v : new int[][] {{2, 6, 16, 16, 4}, {3, 2, 28, 21, 7}, {1, 4, 5, 5, 1}}) {
            Nchw as = new Nchw(v[0], v[1], v[2], v[3]);
            float[] ax = uniform(as.size(), 1f);
            float[] aref = ReferenceOps.avgPool2d(ax, as, v[4]);
            c.add("avgPool (laud_avgpool2d)", as + " k" + v[4], aref,
                    scoped(c.k(), k -> k.exportHost(k.avgPool(k.importHost(ax, as), as, v[4]), aref.length)));
        }
        for (Nchw ms : new Nchw[] {new Nchw(4, 2048, 7, 7), new Nchw(3, 5, 13, 11)}) {
            float[] mx = uniform(ms.size(), 1f);
            float[] mref = ReferenceOps.globalAvgPool(mx, ms);
            c.add("mean (laud_global_avg_pool)", ms.toString(), mref,
                    scoped(c.k(), k -> k.exportHost(k.mean(k.importHost(mx, ms), ms), mref.length)));
        }
        Nchw rs = new Nchw(3, 17, 13, 13);
        float[] rx = uniform(rs.size(), 1f);
        c.add("relu (laud_relu)", rs.toString(), ReferenceOps.relu(rx, rs),
                scoped(c.k(), k -> k.exportHost(k.relu(k.importHost(rx, rs), rs), rs.size())));
        Nchw hs = new Nchw(2, 48, 9, 9);
        float[] h = uniform(hs.size(), 1f);
        float[] f = uniform(2 * 48, 3f);
        for (boolean sigmoid : new boolean[] {false, true}) {
            c.add("scaleChannels (laud_scale_channels)", hs + (sigmoid ? " sigmoid" : " identity"),
                    ReferenceOps.scaleChannels(h, hs, f, sigmoid), scoped(c.k(), k -> k.exportHost(
                            k.scaleChannels(k.importHost(h, hs), hs, k.importHost(f, new Nchw(2, 48, 1, 1)), sigmoid),
                            hs.size())));
        }
        Nchw ss = new Nchw(5, 64, 7, 7);
        int[] samples = {3, 0, 2};
        float[] src = uniform(ss.size(), 1f);
        float[] gref = ReferenceOps.gatherSamples(src, ss, samples);
        c.add("gatherSamples (laud_gather_samples)", ss + " -> " + Arrays.toString(samples), gref,
                scoped(c.k(), k -> k.exportHost(k.gatherSamples(k.importHost(src, ss), ss, samples), gref.length)));
        Nchw bs = ss.withBatch(samples.length);
        float[] branch = uniform(bs.size(), 1f);
        float[] sref = nan(ss.size());
        ReferenceOps.scatterSamplesResidualRelu(branch, bs, samples, src, sref);
        c.add("scatterSamplesResidualRelu (laud_scatter_samples_residual_relu)", bs + " -> " + ss, sref,
                scoped(c.k(), k -> {
                    DeviceBuffer out = k.importHost(nan(ss.size()), ss);
                    k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, k.importHost(src, ss), out);
                    return k.exportHost(out, ss.size());
                }));
        float[] aliased = src.clone();
        ReferenceOps.scatterSamplesResidualRelu(branch, bs, samples, aliased, aliased);
        c.add("scatterSamplesResidualRelu, out = identity", bs + " -> " + ss, aliased, scoped(c.k(), k -> {
            DeviceBuffer io = k.importHost(src, ss);
            k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, io, io);
            return k.exportHost(io, ss.size());
        }));
    }

    private void maskRows(Ctx c) {
        int[][] configs = {
            // batch, channels, size, groups, maskSize, cellSize
            {3, 17, 13, 1, 4, 4},
            {2, 16, 8, 4, 2, 4},
            {3, 24, 13, 2, 7, 2},
            {4, 8, 8, 1, 1, 8},
        };
        for (int[] v : configs) {
            Nchw s = new Nchw(v[0], v[1], v[2], v[2]);
            float[] cells = new float[v[0] * v[3] * v[4] * v[4]];
            int per = cells.length / v[0];
            for (int i = 0; i < cells.length; i++) {
                int b = i / per;
                // sample 0 all closed, sample 1 all open, the others random
                cells[i] = b == 0 ? 0f : b == 1 ? 1f : rnd.nextInt(2);
            }
            SpatialCells sc = new SpatialCells(cells, v[0], v[3], v[4], v[5]);
            String shape = s + " gs=" + v[3] + " m=" + v[4] + " S=" + v[5];
            float[] id = uniform(s.size(), 1f);
            float[] fref = nan(s.size());
            ReferenceOps.fillInactiveRelu(id, s, sc, fref);
            c.add("fillInactiveRelu (laud_fill_inactive_relu)", shape, fref, scoped(c.k(), k -> {
                DeviceBuffer out = k.importHost(nan(s.size()), s);
                k.fillInactiveRelu(k.importHost(id, s), s, sc, out);
                return k.exportHost(out, s.size());
            }));
            float[] mref = ReferenceOps.maskedMean(id, s, sc);
            c.add("maskedMean (laud_masked_mean)", shape, mref,
                    scoped(c.k(), k -> k.exportHost(k.maskedMean(k.importHost(id, s), s, sc), mref.length)));
        }
    }

    /** Runs {@code body} in a scope of {@code k} and returns its host result. */
    private static float[] scoped(Kernels<DeviceBuffer> k, Function<Kernels<DeviceBuffer>, float[]> body) {
        try (Kernels.Scope<DeviceBuffer> scope = k.openScope()) {
            return body.apply(k);
        }
    }

    private float[] uniform(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (rnd.nextFloat() * 2f - 1f) * scale;
        }
        return a;
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /**
     * Relative error of {@code got} against {@code ref}: {@code max |got - ref| / max |ref|} over positions where
     * {@code ref} is a number; infinite when the arrays differ in length or where exactly one of them is NaN.
     *
     * @param ref reference values (NaN = must not be written)
     * @param got values to check
     * @return the relative error
     */
    public static double error(float[] ref, float[] got) {
        if (ref.length != got.length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < ref.length; i++) {
            boolean rn = Float.isNaN(ref[i]);
            if (rn != Float.isNaN(got[i])) {
                return Double.POSITIVE_INFINITY;
            }
            if (!rn) {
                diff = Math.max(diff, Math.abs((double) got[i] - ref[i]));
                scale = Math.max(scale, Math.abs(ref[i]));
            }
        }
        return diff / Math.max(scale, 1e-12);
    }
}
