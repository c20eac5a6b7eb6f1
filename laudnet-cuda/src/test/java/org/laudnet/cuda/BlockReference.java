package org.laudnet.cuda;

import java.util.Arrays;
import java.util.Random;

/**
 * A random bottleneck with folded BatchNorm and its two evaluations: the sparse gather - conv - scatter pipeline made
 * of the per-kernel CPU references, and the straightforward dense-then-mask computation of method section 1.
 */
final class BlockReference {

    final Nchw xShape;
    final SpatialGeometry geometry;
    final int c1;
    final int c2;
    final int cout;
    final int groups;
    final float[] x;
    final float[] w1;
    final float[] b1;
    final float[] w2;
    final float[] b2;
    final float[] w3;
    final float[] b3;
    final float[] identity;

    BlockReference(long seed, int batch, int cin, int c1, int c2, int cout, int groups, int inSize, int stride,
            int cellSize) {
        Random rnd = new Random(seed);
        this.xShape = new Nchw(batch, cin, inSize, inSize);
        this.geometry = SpatialGeometry.of(inSize, inSize, stride, cellSize);
        this.c1 = c1;
        this.c2 = c2;
        this.cout = cout;
        this.groups = groups;
        this.x = TestData.uniform(rnd, xShape.size(), 1f);
        this.w1 = TestData.uniform(rnd, c1 * cin, 0.5f);
        this.b1 = TestData.uniform(rnd, c1, 0.2f);
        this.w2 = TestData.uniform(rnd, c2 * (c1 / groups) * 9, 0.3f);
        this.b2 = TestData.uniform(rnd, c2, 0.2f);
        this.w3 = TestData.uniform(rnd, cout * c2, 0.4f);
        this.b3 = TestData.uniform(rnd, cout, 0.2f);
        this.identity = TestData.uniform(rnd, outShape().size(), 1f);
    }

    Nchw outShape() {
        return new Nchw(xShape.batch(), cout, geometry.outHeight(), geometry.outWidth());
    }

    /** The sparse pipeline: gather+conv1, conv2 on windows, fill of inactive positions, conv3+scatter. */
    float[] sparse(PatchPlan plan) {
        float[] p1 = CpuKernels.gatherConv1x1Relu(x, xShape, plan, w1, b1, c1);
        float[] p2 = CpuKernels.patchConv3x3Relu(p1, plan, c1, groups, w2, b2, c2);
        float[] out = new float[outShape().size()];
        Arrays.fill(out, Float.NaN);
        CpuKernels.fillInactiveRelu(identity, outShape(), plan.mask(), geometry.cellSize(), geometry.gridSize(), out);
        CpuKernels.patchConv1x1ScatterRelu(p2, plan, c2, w3, b3, cout, identity, out);
        return out;
    }

    /**
     * Dense convolutions, channel mask on conv1's and conv2's activated outputs, then
     * {@code out = ReLU(identity + M3 * conv3)} with {@code M3} the nearest upsampling of the spatial mask.
     */
    float[] denseMasked(int[] spatialMask, float[] channelMask) {
        float[] a1 = CpuKernels.conv2d(x, xShape, w1, b1, c1, 1, 1, 1, 0, 1, null, true);
        Nchw s1 = xShape.withChannels(c1);
        multiplyChannels(a1, s1, channelMask);
        int s = geometry.stride();
        float[] a2 = CpuKernels.conv2d(a1, s1, w2, b2, c2, 3, 3, s, 1, groups, null, true);
        Nchw s2 = outShape().withChannels(c2);
        multiplyChannels(a2, s2, channelMask);
        float[] a3 = CpuKernels.conv2d(a2, s2, w3, b3, cout, 1, 1, 1, 0, 1, null, false);
        Nchw os = outShape();
        float[] out = new float[os.size()];
        int m = geometry.gridSize();
        int cell = geometry.cellSize();
        for (int b = 0; b < os.batch(); b++) {
            for (int c = 0; c < cout; c++) {
                for (int y = 0; y < os.height(); y++) {
                    for (int xx = 0; xx < os.width(); xx++) {
                        int idx = os.index(b, c, y, xx);
                        float keep = spatialMask[(b * m + y / cell) * m + xx / cell];
                        out[idx] = Math.max(identity[idx] + keep * a3[idx], 0f);
                    }
                }
            }
        }
        return out;
    }

    private static void multiplyChannels(float[] a, Nchw shape, float[] channelMask) {
        if (channelMask == null) {
            return;
        }
        int plane = shape.height() * shape.width();
        for (int b = 0; b < shape.batch(); b++) {
            for (int c = 0; c < shape.channels(); c++) {
                int base = (b * shape.channels() + c) * plane;
                for (int k = 0; k < plane; k++) {
                    a[base + k] *= channelMask[c];
                }
            }
        }
    }
}
