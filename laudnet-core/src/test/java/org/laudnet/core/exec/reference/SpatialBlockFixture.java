package org.laudnet.core.exec.reference;

import java.util.Random;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.plan.FoldedConv;

/**
 * A random bottleneck (conv1 1x1 + ReLU, conv2 3x3 stride s groups g + ReLU, conv3 1x1, residual, ReLU) and its dense
 * computation by {@link Naive}, masked at the active cells: the expected result of the spatial pipeline.
 */
final class SpatialBlockFixture {

    final Nchw xs;
    final SpatialGeometry geometry;
    final FoldedConv c1;
    final FoldedConv c2;
    final FoldedConv c3;
    final float[] x;
    final float[] identity;
    final Nchw outShape;

    SpatialBlockFixture(long seed, int batch, int cin, int ch1, int ch2, int cout, int groups, int height, int width,
            int stride, int cellSize) {
        Random r = new Random(seed);
        xs = new Nchw(batch, cin, height, width);
        geometry = SpatialGeometry.of(height, width, stride, cellSize);
        c1 = Naive.conv(r, ch1, cin, 1, 1, 0, 1);
        c2 = Naive.conv(r, ch2, ch1, 3, stride, 1, groups);
        c3 = Naive.conv(r, cout, ch2, 1, 1, 0, 1);
        x = Naive.uniform(r, xs.size(), 1);
        outShape = new Nchw(batch, cout, geometry.outHeight(), geometry.outWidth());
        identity = Naive.uniform(r, outShape.size(), 1);
    }

    /** Dense conv1 + ReLU on the whole input: {@code (B, C1, Hin, Win)}. */
    float[] dense1() {
        return Naive.conv(x, xs, c1, null, true);
    }

    /** Dense conv2 + ReLU (padding 1): {@code (B, C2, Hout, Wout)}. */
    float[] dense2() {
        return Naive.conv(dense1(), xs.withChannels(c1.outChannels()), c2, null, true);
    }

    /** Shape of {@link #dense2()}. */
    Nchw shape2() {
        return outShape.withChannels(c2.outChannels());
    }

    /**
     * The block output with the dense branch at active cells and {@code ReLU(identity)} elsewhere.
     *
     * @param mask {@code (B, m, m)}
     * @param branchInput the conv2 output fed to conv3 ({@link #dense2()} or a scaled version of it)
     * @return {@code (B, Cout, Hout, Wout)}
     */
    float[] maskedDense(int[] mask, float[] branchInput) {
        float[] full = Naive.conv(branchInput, shape2(), c3, identity, true);
        int m = geometry.gridSize();
        int s = geometry.cellSize();
        float[] out = new float[outShape.size()];
        for (int b = 0; b < outShape.batch(); b++) {
            for (int c = 0; c < outShape.channels(); c++) {
                for (int y = 0; y < outShape.height(); y++) {
                    for (int xx = 0; xx < outShape.width(); xx++) {
                        int idx = outShape.index(b, c, y, xx);
                        boolean on = mask[(b * m + y / s) * m + xx / s] != 0;
                        out[idx] = on ? full[idx] : Math.max(identity[idx], 0f);
                    }
                }
            }
        }
        return out;
    }
}
