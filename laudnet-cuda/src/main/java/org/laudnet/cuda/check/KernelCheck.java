package org.laudnet.cuda.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.laudnet.cuda.ChannelSelection;
import org.laudnet.cuda.CpuKernels;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.SpatialGeometry;
import org.laudnet.cuda.SparseKernels;

/**
 * Runs every LAUDNet kernel on fresh random inputs and compares it with its {@link CpuKernels} reference. Every output
 * buffer is filled with NaN before the launch and the reference starts from a NaN array too, so a position the kernel
 * fails to write, or writes when it must not, shows up as a NaN mismatch. Error measure:
 * {@code max |gpu - cpu| / max |cpu|} over the written positions (infinite on a NaN mismatch).
 */
public final class KernelCheck {

    /** Tolerance of the fp32 kernels. */
    public static final double FP32_TOLERANCE = 1e-4;
    /** Tolerance of the TF32 tensor-core kernels. */
    public static final double TF32_TOLERANCE = 1e-2;

    /**
     * One comparison.
     *
     * @param kernel kernel entry (without the precision suffix)
     * @param shape what was run
     * @param precision GEMM arithmetic
     * @param error relative error
     * @param tolerance allowed relative error
     */
    public record Row(String kernel, String shape, Precision precision, double error, double tolerance) {
        /** Returns whether the error is within the tolerance. */
        public boolean pass() {
            return error <= tolerance;
        }
    }

    private final CudaContext context;
    private final KernelModule module;
    private final Random rnd;

    /**
     * Creates the check.
     *
     * @param module the loaded kernels
     * @param seed seed of the random inputs
     */
    public KernelCheck(KernelModule module, long seed) {
        this.module = module;
        this.context = module.context();
        this.rnd = new Random(seed);
    }

    /**
     * Runs every kernel at one precision.
     *
     * @param precision GEMM arithmetic
     * @return one row per kernel and shape
     */
    public List<Row> run(Precision precision) {
        double tol = precision == Precision.FP32 ? FP32_TOLERANCE : TF32_TOLERANCE;
        SparseKernels k = new SparseKernels(module, precision);
        List<Row> rows = new ArrayList<>();
        int[][] spatial = {
            // batch, cin, c1, c2, cout, groups, inSize, stride, cellSize
            {2, 70, 66, 66, 130, 1, 15, 2, 4},
            {1, 256, 64, 64, 256, 1, 56, 1, 4},
            {2, 24, 32, 32, 48, 4, 12, 1, 1},
        };
        for (int[] s : spatial) {
            spatialRows(k, precision, tol, s, rows);
        }
        int[][] convs = {
            // batch, cin, h, cout, k, stride, pad, groups, residual, relu
            {2, 3, 37, 64, 7, 2, 3, 1, 0, 1},
            {2, 96, 14, 130, 1, 2, 0, 1, 0, 0},
            {1, 64, 9, 64, 3, 1, 1, 8, 1, 1},
            {3, 40, 10, 40, 4, 4, 0, 40, 0, 0},
        };
        for (int[] c : convs) {
            Nchw xs = new Nchw(c[0], c[1], c[2], c[2]);
            float[] x = uniform(xs.size(), 1f);
            float[] w = uniform(c[3] * (c[1] / c[7]) * c[4] * c[4], 0.2f);
            float[] bias = uniform(c[3], 0.1f);
            int ho = CpuKernels.outSize(c[2], c[4], c[5], c[6]);
            Nchw ys = new Nchw(c[0], c[3], ho, ho);
            float[] res = c[8] == 1 ? uniform(ys.size(), 1f) : null;
            float[] ref = CpuKernels.conv2d(x, xs, w, bias, c[3], c[4], c[4], c[5], c[6], c[7], res, c[9] == 1);
            try (DeviceBuffer xb = DeviceBuffer.of(context, x);
                    DeviceBuffer wb = DeviceBuffer.of(context, w);
                    DeviceBuffer bb = DeviceBuffer.of(context, bias);
                    DeviceBuffer rb = res == null ? null : DeviceBuffer.of(context, res);
                    DeviceBuffer yb = poisoned(ys.size())) {
                k.conv2d(xb, xs, wb, bb, c[3], c[4], c[4], c[5], c[6], c[7], rb, c[9] == 1, yb);
                rows.add(new Row("laud_conv2d", Arrays.toString(c), precision, error(ref, yb.downloadFloats()), tol));
            }
        }
        float[] fx = uniform(5 * 2048, 1f);
        float[] fw = uniform(1000 * 2048, 0.05f);
        float[] fb = uniform(1000, 0.1f);
        try (DeviceBuffer xb = DeviceBuffer.of(context, fx);
                DeviceBuffer wb = DeviceBuffer.of(context, fw);
                DeviceBuffer bb = DeviceBuffer.of(context, fb);
                DeviceBuffer yb = poisoned(5 * 1000)) {
            k.linear(xb, 5, 2048, wb, bb, 1000, yb);
            rows.add(new Row("laud_conv2d (linear)", "5x2048 -> 1000", precision,
                    error(CpuKernels.linear(fx, 5, fw, fb, 1000), yb.downloadFloats()), tol));
        }
        if (precision == Precision.FP32) {
            elementwiseRows(k, rows);
        }
        return rows;
    }

    private void spatialRows(SparseKernels k, Precision precision, double tol, int[] s, List<Row> rows) {
        Nchw xs = new Nchw(s[0], s[1], s[6], s[6]);
        SpatialGeometry g = SpatialGeometry.of(s[6], s[6], s[7], s[8]);
        int m = g.gridSize();
        int[] mask = new int[s[0] * m * m];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rnd.nextBoolean() ? 1 : 0;
        }
        PatchPlan plan = PatchPlan.fromMask(mask, s[0], g);
        Nchw os = new Nchw(s[0], s[4], g.outHeight(), g.outWidth());
        float[] x = uniform(xs.size(), 1f);
        float[] w1 = uniform(s[2] * s[1], 0.5f);
        float[] b1 = uniform(s[2], 0.2f);
        float[] w2 = uniform(s[3] * (s[2] / s[5]) * 9, 0.3f);
        float[] b2 = uniform(s[3], 0.2f);
        float[] w3 = uniform(s[4] * s[3], 0.4f);
        float[] b3 = uniform(s[4], 0.2f);
        float[] id = uniform(os.size(), 1f);
        String shape = Arrays.toString(s) + " P=" + plan.patchCount();
        float[] p1 = CpuKernels.gatherConv1x1Relu(x, xs, plan, w1, b1, s[2]);
        float[] p2 = CpuKernels.patchConv3x3Relu(p1, plan, s[2], s[5], w2, b2, s[3]);
        float[] out = nan(os.size());
        CpuKernels.fillInactiveRelu(id, os, mask, g.cellSize(), m, out);
        CpuKernels.patchConv1x1ScatterRelu(p2, plan, s[3], w3, b3, s[4], id, out);
        try (DeviceBuffer xb = DeviceBuffer.of(context, x);
                DeviceBuffer pb = DeviceBuffer.of(context, plan.patches());
                DeviceBuffer mb = DeviceBuffer.of(context, mask);
                DeviceBuffer w1b = DeviceBuffer.of(context, w1);
                DeviceBuffer b1b = DeviceBuffer.of(context, b1);
                DeviceBuffer w2b = DeviceBuffer.of(context, w2);
                DeviceBuffer b2b = DeviceBuffer.of(context, b2);
                DeviceBuffer w3b = DeviceBuffer.of(context, w3);
                DeviceBuffer b3b = DeviceBuffer.of(context, b3);
                DeviceBuffer idb = DeviceBuffer.of(context, id);
                DeviceBuffer p1b = poisoned(plan.windowElements(s[2]));
                DeviceBuffer p2b = poisoned(plan.patchElements(s[3]));
                DeviceBuffer ob = poisoned(os.size())) {
            k.gatherConv1x1Relu(xb, xs, plan, pb, w1b, b1b, s[2], p1b);
            rows.add(new Row("laud_gather_conv1x1_relu", shape, precision, error(p1, p1b.downloadFloats()), tol));
            p1b.upload(p1);
            k.patchConv3x3Relu(p1b, plan, s[2], s[5], w2b, b2b, s[3], p2b);
            rows.add(new Row("laud_patch_conv3x3_relu", shape, precision, error(p2, p2b.downloadFloats()), tol));
            p2b.upload(p2);
            k.fillInactiveRelu(idb, os, mb, g.cellSize(), m, ob);
            k.patchConv1x1ScatterRelu(p2b, plan, pb, s[3], w3b, b3b, s[4], idb, ob);
            rows.add(new Row("laud_patch_conv1x1_scatter_relu + laud_fill_inactive_relu", shape, precision,
                    error(out, ob.downloadFloats()), tol));
        }
    }

    private void elementwiseRows(SparseKernels k, List<Row> rows) {
        double tol = FP32_TOLERANCE;
        // Fill alone: active positions must stay NaN.
        Nchw fs = new Nchw(3, 17, 13, 13);
        int cell = 4;
        int m = 4;
        int[] mask = new int[3 * m * m];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rnd.nextBoolean() ? 1 : 0;
        }
        float[] id = uniform(fs.size(), 1f);
        float[] ref = nan(fs.size());
        CpuKernels.fillInactiveRelu(id, fs, mask, cell, m, ref);
        try (DeviceBuffer idb = DeviceBuffer.of(context, id);
                DeviceBuffer mb = DeviceBuffer.of(context, mask);
                DeviceBuffer ob = poisoned(fs.size())) {
            k.fillInactiveRelu(idb, fs, mb, cell, m, ob);
            rows.add(new Row("laud_fill_inactive_relu", fs + " S=4", Precision.FP32, error(ref, ob.downloadFloats()),
                    tol));
        }
        // Weight gather: conv2 slice W[idx, idx] of a 64-wide 3x3 with groups 1 and 3 of 4 kept.
        int width = 64;
        float[] w = uniform(width * width * 9, 1f);
        int[] idx = ChannelSelection.fromGroupMask(new int[] {1, 0, 1, 1}, width).channels();
        float[] wref = CpuKernels.weightGather(w, width, 9, idx, idx);
        try (DeviceBuffer wb = DeviceBuffer.of(context, w);
                DeviceBuffer ib = DeviceBuffer.of(context, idx);
                DeviceBuffer db = poisoned(wref.length)) {
            k.weightGather(wb, width, width, 9, ib, idx.length, ib, idx.length, db);
            rows.add(new Row("laud_weight_gather", "64x64x9 -> 48x48x9", Precision.FP32,
                    error(wref, db.downloadFloats()), tol));
        }
        // Sample gather and scatter.
        int batch = 5;
        int per = 256 * 7 * 7;
        int[] active = {0, 2, 3};
        float[] src = uniform(batch * per, 1f);
        float[] branch = uniform(active.length * per, 1f);
        float[] gref = CpuKernels.gatherSamples(src, active, per);
        float[] sref = nan(batch * per);
        CpuKernels.scatterSamplesResidualRelu(branch, active, per, src, sref);
        try (DeviceBuffer sb = DeviceBuffer.of(context, src);
                DeviceBuffer ib = DeviceBuffer.of(context, active);
                DeviceBuffer brb = DeviceBuffer.of(context, branch);
                DeviceBuffer gb = poisoned(gref.length);
                DeviceBuffer ob = poisoned(batch * per)) {
            k.gatherSamples(sb, batch, ib, active.length, per, gb);
            rows.add(new Row("laud_gather_samples", "5 -> 3 samples of 12544", Precision.FP32,
                    error(gref, gb.downloadFloats()), tol));
            k.scatterSamplesResidualRelu(brb, ib, active.length, per, sb, batch, ob);
            rows.add(new Row("laud_scatter_samples_residual_relu", "3 -> 5 samples of 12544", Precision.FP32,
                    error(sref, ob.downloadFloats()), tol));
        }
        // Max pool 3x3/2 pad 1 (the ImageNet stem) and global average pooling.
        Nchw ps = new Nchw(2, 64, 112, 112);
        float[] px = uniform(ps.size(), 1f);
        float[] pref = CpuKernels.maxPool2d(px, ps, 3, 2, 1);
        try (DeviceBuffer xb = DeviceBuffer.of(context, px);
                DeviceBuffer yb = poisoned(pref.length)) {
            k.maxPool2d(xb, ps, 3, 2, 1, yb);
            rows.add(new Row("laud_maxpool2d", ps + " k3 s2 p1", Precision.FP32, error(pref, yb.downloadFloats()),
                    tol));
        }
        float[] ax = uniform(4 * 2048 * 49, 1f);
        float[] aref = CpuKernels.globalAvgPool(ax, 4 * 2048, 49);
        try (DeviceBuffer xb = DeviceBuffer.of(context, ax);
                DeviceBuffer yb = poisoned(aref.length)) {
            k.globalAvgPool(xb, 4 * 2048, 49, yb);
            rows.add(new Row("laud_global_avg_pool", "8192 rows x 49", Precision.FP32,
                    error(aref, yb.downloadFloats()), tol));
        }
    }

    private DeviceBuffer poisoned(long n) {
        DeviceBuffer b = DeviceBuffer.allocate(context, n);
        b.fill(Float.NaN);
        return b;
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
