package org.laudnet.core.exec.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.plan.FoldedConv;

class ReferenceOpsTest {

    private static final double TOL = 1e-5;

    // ------------------------------------------------------------------------------------------------ dense

    /** (B, I, O, H, W, kernel, stride, padding, groups, residual, relu). */
    static Stream<Arguments> convolutions() {
        return Stream.of(
                Arguments.of(2, 3, 4, 7, 5, 3, 1, 1, 1, false, false),
                Arguments.of(1, 4, 6, 9, 9, 3, 2, 1, 2, true, true),
                Arguments.of(2, 8, 8, 6, 7, 3, 2, 0, 4, false, true),
                Arguments.of(1, 5, 3, 5, 5, 1, 1, 0, 1, true, false),
                Arguments.of(2, 4, 4, 11, 6, 3, 1, 0, 4, true, true),
                Arguments.of(1, 3, 2, 13, 13, 7, 2, 3, 1, false, true),
                Arguments.of(3, 6, 4, 1, 1, 1, 1, 0, 2, false, false),
                Arguments.of(1, 2, 4, 4, 3, 3, 2, 1, 2, true, false));
    }

    @ParameterizedTest(name = "B{0} {1}->{2} {3}x{4} k{5} s{6} p{7} g{8} res {9} relu {10}")
    @MethodSource("convolutions")
    void convMatchesDirectLoops(int b, int in, int out, int h, int w, int k, int s, int p, int g, boolean residual,
            boolean relu) {
        Random r = new Random(31L * h + 7L * k + g);
        FoldedConv c = Naive.conv(r, out, in, k, s, p, g);
        Nchw xs = new Nchw(b, in, h, w);
        float[] x = Naive.uniform(r, xs.size(), 1);
        Nchw ys = ReferenceOps.convOutputShape(xs, c);
        assertEquals(new Nchw(b, out, (h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1), ys);
        float[] res = residual ? Naive.uniform(r, ys.size(), 1) : null;
        float[] xCopy = x.clone();
        float[] y = ReferenceOps.conv2d(x, xs, c, res, relu);
        Naive.assertClose(Naive.conv(x, xs, c, res, relu), y, TOL, "conv");
        assertArrayEquals(xCopy, x, "input untouched");
    }

    @Test
    void convMatchesHandComputedValues() {
        // 3x3 input 1..9, kernel of ones, padding 1, stride 2: corner sums, plus bias 0.5.
        float[] ones = new float[9];
        Arrays.fill(ones, 1f);
        FoldedConv c = new FoldedConv(1, 1, 3, 2, 1, 1, ones, new float[] {0.5f});
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Nchw xs = new Nchw(1, 1, 3, 3);
        assertArrayEquals(new float[] {12.5f, 16.5f, 24.5f, 28.5f}, ReferenceOps.conv2d(x, xs, c, null, false), 0f);
        float[] residual = {-20, 0, 0, -30};
        assertArrayEquals(new float[] {0f, 16.5f, 24.5f, 0f}, ReferenceOps.conv2d(x, xs, c, residual, true), 0f);
    }

    /** (H, W, kernel, stride, padding). */
    static Stream<Arguments> pools() {
        return Stream.of(Arguments.of(7, 7, 3, 2, 1), Arguments.of(8, 8, 3, 2, 1), Arguments.of(5, 6, 2, 2, 0),
                Arguments.of(4, 5, 3, 1, 1), Arguments.of(3, 3, 1, 1, 0));
    }

    @ParameterizedTest(name = "{0}x{1} k{2} s{3} p{4}")
    @MethodSource("pools")
    void maxPoolMatchesMinusInfinityPaddedLoops(int h, int w, int k, int s, int p) {
        Random r = new Random(h * 100 + w * 10 + k);
        Nchw xs = new Nchw(2, 3, h, w);
        float[] x = Naive.uniform(r, xs.size(), 1);
        // All-negative channel: -inf padding must never win.
        for (int e = xs.index(1, 2, 0, 0); e < xs.index(1, 2, 0, 0) + h * w; e++) {
            x[e] = -1f - Math.abs(x[e]);
        }
        float[] xp = Naive.pad(x, xs, p, Float.NEGATIVE_INFINITY);
        int hp = h + 2 * p;
        int wp = w + 2 * p;
        int ho = (hp - k) / s + 1;
        int wo = (wp - k) / s + 1;
        float[] expected = new float[2 * 3 * ho * wo];
        for (int bc = 0; bc < 6; bc++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            best = Math.max(best, xp[(bc * hp + oy * s + ky) * wp + ox * s + kx]);
                        }
                    }
                    expected[(bc * ho + oy) * wo + ox] = best;
                }
            }
        }
        assertArrayEquals(expected, ReferenceOps.maxPool2d(x, xs, k, s, p), 0f);
    }

    @Test
    void averagePoolsMatchLoops() {
        Random r = new Random(5);
        Nchw xs = new Nchw(2, 3, 6, 9);
        float[] x = Naive.uniform(r, xs.size(), 1);
        float[] avg = ReferenceOps.avgPool2d(x, xs, 3);
        assertEquals(2 * 3 * 2 * 3, avg.length);
        float[] mean = ReferenceOps.globalAvgPool(x, xs);
        assertEquals(6, mean.length);
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) {
                double total = 0;
                for (int oy = 0; oy < 2; oy++) {
                    for (int ox = 0; ox < 3; ox++) {
                        double sum = 0;
                        for (int y = 3 * oy; y < 3 * oy + 3; y++) {
                            for (int xx = 3 * ox; xx < 3 * ox + 3; xx++) {
                                sum += x[xs.index(b, c, y, xx)];
                            }
                        }
                        total += sum;
                        assertEquals(sum / 9, avg[((b * 3 + c) * 2 + oy) * 3 + ox], 1e-6);
                    }
                }
                assertEquals(total / 54, mean[b * 3 + c], 1e-6);
            }
        }
        assertArrayEquals(x, ReferenceOps.avgPool2d(x, xs, 1), 0f);
        float[] relu = ReferenceOps.relu(x, xs);
        for (int e = 0; e < x.length; e++) {
            assertEquals(Math.max(x[e], 0f), relu[e], 0f);
        }
    }

    @Test
    void scaleChannelsWithAndWithoutSigmoid() {
        Random r = new Random(8);
        Nchw hs = new Nchw(2, 3, 3, 5);
        float[] h = Naive.uniform(r, hs.size(), 2);
        float[] scale = Naive.uniform(r, 6, 3);
        float[] hCopy = h.clone();
        float[] plain = ReferenceOps.scaleChannels(h, hs, scale, false);
        float[] sig = ReferenceOps.scaleChannels(h, hs, scale, true);
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) {
                double f = scale[b * 3 + c];
                double sf = 1 / (1 + Math.exp(-f));
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 5; x++) {
                        int idx = hs.index(b, c, y, x);
                        assertEquals(h[idx] * f, plain[idx], 1e-6);
                        assertEquals(h[idx] * sf, sig[idx], 1e-6);
                    }
                }
            }
        }
        assertArrayEquals(hCopy, h, "input untouched");
    }

    @Test
    void maskedMeanOverTheUnionOfGroups() {
        Random r = new Random(12);
        Nchw hs = new Nchw(3, 4, 7, 7);
        float[] h = Naive.uniform(r, hs.size(), 1);
        // Sample 0: mixed groups; sample 1: empty; sample 2: full. m = 4, S = 2 (partial border cells).
        float[] cells = new float[3 * 2 * 16];
        cells[(0 * 2 + 0) * 16 + 5] = 1;
        cells[(0 * 2 + 1) * 16 + 5] = 1;
        cells[(0 * 2 + 1) * 16 + 15] = 1;
        cells[(0 * 2 + 0) * 16 + 3] = 1;
        Arrays.fill(cells, (2 * 2 + 1) * 16, (2 * 2 + 2) * 16, 1f);
        SpatialCells sc = new SpatialCells(cells, 3, 2, 4, 2);
        float[] mean = ReferenceOps.maskedMean(h, hs, sc);
        assertEquals(12, mean.length);
        float[] full = ReferenceOps.globalAvgPool(h, hs);
        for (int c = 0; c < 4; c++) {
            // Cells 5 = (1, 1), 15 = (3, 3) partial (1 pixel), 3 = (0, 3) partial (2 pixels).
            double sum = 0;
            int count = 0;
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 7; x++) {
                    int cell = (y / 2) * 4 + x / 2;
                    if (cell == 5 || cell == 15 || cell == 3) {
                        sum += h[hs.index(0, c, y, x)];
                        count++;
                    }
                }
            }
            assertEquals(7, count);
            assertEquals(sum / count, mean[c], 1e-6);
            assertEquals(0f, mean[4 + c], 0f, "empty mask gives 0");
            assertEquals(full[8 + c], mean[8 + c], 1e-6);
        }
    }

    @Test
    void fillInactiveReluHonoursChannelGroups() {
        Random r = new Random(14);
        Nchw shape = new Nchw(2, 6, 5, 5);
        float[] identity = Naive.uniform(r, shape.size(), 1);
        float[] cells = new float[2 * 2 * 9];
        for (int e = 0; e < cells.length; e++) {
            cells[e] = r.nextBoolean() ? 1f : 0f;
        }
        cells[0] = 1;
        cells[9] = 0;
        SpatialCells sc = new SpatialCells(cells, 2, 2, 3, 2);
        float[] out = new float[shape.size()];
        Arrays.fill(out, Float.NaN);
        ReferenceOps.fillInactiveRelu(identity, shape, sc, out);
        int kept = 0;
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 6; c++) {
                int q = c / 3;
                for (int y = 0; y < 5; y++) {
                    for (int x = 0; x < 5; x++) {
                        int idx = shape.index(b, c, y, x);
                        boolean on = cells[((b * 2 + q) * 3 + y / 2) * 3 + x / 2] != 0;
                        if (on) {
                            kept++;
                            assertTrue(Float.isNaN(out[idx]), "kept element untouched");
                        } else {
                            assertEquals(Math.max(identity[idx], 0f), out[idx], 0f);
                        }
                    }
                }
            }
        }
        assertTrue(kept > 0 && kept < shape.size());
        // Layer gate: m = 1, S = H; in place on the identity itself.
        float[] id2 = identity.clone();
        ReferenceOps.fillInactiveRelu(id2, shape, new SpatialCells(new float[] {0, 1}, 2, 1, 1, 5), id2);
        for (int e = 0; e < shape.size(); e++) {
            float expected = e < shape.perSample() ? Math.max(identity[e], 0f) : identity[e];
            assertEquals(expected, id2[e], 0f);
        }
    }

    @Test
    void gatherAndScatterSamples() {
        Random r = new Random(15);
        Nchw xs = new Nchw(5, 2, 3, 3);
        float[] x = Naive.uniform(r, xs.size(), 1);
        int[] samples = {3, 0, 4};
        float[] g = ReferenceOps.gatherSamples(x, xs, samples);
        int per = xs.perSample();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Arrays.copyOfRange(x, samples[i] * per, samples[i] * per + per),
                    Arrays.copyOfRange(g, i * per, i * per + per));
        }
        float[] branch = Naive.uniform(r, 3 * per, 1);
        float[] out = new float[xs.size()];
        Arrays.fill(out, 7f);
        ReferenceOps.scatterSamplesResidualRelu(branch, xs.withBatch(3), samples, x, out);
        for (int b = 0; b < 5; b++) {
            int i = b == 3 ? 0 : b == 0 ? 1 : b == 4 ? 2 : -1;
            for (int e = 0; e < per; e++) {
                float expected = i < 0 ? 7f : Math.max(x[b * per + e] + branch[i * per + e], 0f);
                assertEquals(expected, out[b * per + e], 0f);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ patches

    /** (name, B, Cin, C1, C2, Cout, groups, H, W, stride, S, density). */
    static Stream<Arguments> blocks() {
        return Stream.of(
                Arguments.of("random S=2", 2, 6, 5, 5, 7, 1, 8, 8, 1, 2, 0.5),
                Arguments.of("full 7x7 S=7", 1, 4, 6, 6, 8, 1, 7, 7, 1, 7, 1.0),
                Arguments.of("full S=3 partial", 2, 3, 4, 4, 5, 1, 7, 7, 1, 3, 1.0),
                Arguments.of("empty", 2, 4, 3, 3, 5, 1, 8, 8, 1, 4, 0.0),
                Arguments.of("stride 2 odd 15 S=4", 2, 5, 4, 4, 6, 1, 15, 15, 2, 4, 0.6),
                Arguments.of("S=1 per pixel", 1, 3, 4, 4, 3, 1, 9, 9, 1, 1, 0.4),
                Arguments.of("partial cells 7 S=2", 2, 4, 4, 6, 5, 1, 7, 7, 1, 2, 0.5),
                Arguments.of("non-square 8x7 S=4", 2, 3, 4, 4, 4, 1, 8, 7, 1, 4, 0.7),
                Arguments.of("groups 2", 2, 5, 4, 6, 5, 2, 9, 9, 1, 3, 0.5),
                Arguments.of("groups 4 stride 2", 2, 4, 8, 8, 6, 4, 10, 9, 2, 2, 0.5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void patchPipelineEqualsDenseMaskedAtActiveCells(String name, int batch, int cin, int ch1, int ch2, int cout,
            int groups, int h, int w, int stride, int cell, double density) {
        SpatialBlockFixture f =
                new SpatialBlockFixture(name.hashCode(), batch, cin, ch1, ch2, cout, groups, h, w, stride, cell);
        int m = f.geometry.gridSize();
        int[] mask = Naive.mask(new Random(name.hashCode() + 1L), batch * m * m, density);
        PatchPlan plan = PatchPlan.fromMask(mask, batch, f.geometry);
        float[] windows = ReferenceOps.gatherConv1x1Relu(f.x, f.xs, plan, f.c1);
        checkWindows(f, plan, windows);
        float[] patches = ReferenceOps.patchConv3x3Relu(windows, plan, f.c2);
        assertEquals(plan.patchElements(ch2), patches.length);
        float[] acc = f.identity.clone();
        ReferenceOps.patchConv1x1Add(patches, plan, f.c3, acc);
        float[] out = ReferenceOps.relu(acc, f.outShape);
        Naive.assertClose(f.maskedDense(mask, f.dense2()), out, TOL, name);

        // Means over the computed positions equal the masked mean of the dense conv2 output.
        float[] cellArray = new float[mask.length];
        for (int e = 0; e < mask.length; e++) {
            cellArray[e] = mask[e];
        }
        SpatialCells cells = new SpatialCells(cellArray, batch, 1, m, cell);
        float[] dense2 = f.dense2();
        float[] means = ReferenceOps.patchMeans(patches, plan, ch2);
        Naive.assertClose(ReferenceOps.maskedMean(dense2, f.shape2(), cells), means, TOL, name + " means");

        // Squeeze-excitation style scaling of the patches equals scaling the dense conv2 output.
        float[] logits = Naive.uniform(new Random(3), batch * ch2, 2);
        float[] scaled = ReferenceOps.scalePatchesSigmoid(patches, plan, ch2, logits);
        float[] acc2 = f.identity.clone();
        ReferenceOps.patchConv1x1Add(scaled, plan, f.c3, acc2);
        float[] denseScaled = ReferenceOps.scaleChannels(dense2, f.shape2(), logits, true);
        Naive.assertClose(f.maskedDense(mask, denseScaled), ReferenceOps.relu(acc2, f.outShape), TOL,
                name + " scaled");
        if (density == 0.0) {
            assertEquals(0, plan.patchCount());
            assertArrayEquals(new float[batch * ch2], means, 0f);
        }
    }

    /** Each window value is the dense conv1 output at its input pixel, or 0 outside the image. */
    private static void checkWindows(SpatialBlockFixture f, PatchPlan plan, float[] windows) {
        float[] dense1 = f.dense1();
        Nchw s1 = f.xs.withChannels(f.c1.outChannels());
        int t = plan.windowSize();
        int ch1 = f.c1.outChannels();
        assertEquals(plan.windowElements(ch1), windows.length);
        for (int p = 0; p < plan.patchCount(); p++) {
            int[] patch = plan.patch(p);
            int y0 = f.geometry.windowOrigin(patch[1]);
            int x0 = f.geometry.windowOrigin(patch[2]);
            for (int c = 0; c < ch1; c++) {
                for (int ty = 0; ty < t; ty++) {
                    for (int tx = 0; tx < t; tx++) {
                        int y = y0 + ty;
                        int x = x0 + tx;
                        boolean inside = y >= 0 && y < s1.height() && x >= 0 && x < s1.width();
                        float expected = inside ? dense1[s1.index(patch[0], c, y, x)] : 0f;
                        assertEquals(expected, windows[((p * ch1 + c) * t + ty) * t + tx], 1e-5);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ errors

    @Test
    void denseOperationsRejectWrongSizes() {
        Random r = new Random(20);
        FoldedConv c = Naive.conv(r, 4, 3, 3, 1, 1, 1);
        Nchw xs = new Nchw(2, 3, 5, 5);
        float[] x = new float[xs.size()];
        expect(() -> ReferenceOps.conv2d(new float[xs.size() - 1], xs, c, null, false), "x must hold", "149");
        expect(() -> ReferenceOps.conv2d(x, xs.withChannels(4), c, null, false), "xs.channels", "got 4");
        expect(() -> ReferenceOps.conv2d(x, xs, c, new float[3], true), "residual must hold", "got 3");
        expect(() -> ReferenceOps.conv2d(null, xs, c, null, true), "x must hold", "null");
        expect(() -> ReferenceOps.maxPool2d(x, xs, 3, 2, 2), "padding", "got 2");
        expect(() -> ReferenceOps.maxPool2d(x, xs, 3, 0, 1), "stride", "got 0");
        expect(() -> ReferenceOps.avgPool2d(x, xs, 2), "kernel must divide", "got 2");
        expect(() -> ReferenceOps.outSize(2, 7, 1, 0), "kernel 7");
        expect(() -> ReferenceOps.scaleChannels(x, xs, new float[5], true), "scale must hold", "got 5");
        expect(() -> ReferenceOps.gatherSamples(x, xs, new int[] {0, 2}), "samples entries", "got 2");
        expect(() -> ReferenceOps.gatherSamples(x, xs, new int[] {1, 1}), "distinct", "1");
        expect(() -> ReferenceOps.gatherSamples(x, xs, new int[0]), "samples", "none");
        expect(() -> ReferenceOps.scatterSamplesResidualRelu(new float[74], xs.withBatch(1), new int[] {0}, x,
                x.clone()), "branch must hold", "got 74");
        expect(() -> ReferenceOps.scatterSamplesResidualRelu(new float[150], xs, new int[] {0}, x, x.clone()),
                "samples must list", "got 1");
        expect(() -> ReferenceOps.scatterSamplesResidualRelu(new float[75], xs.withBatch(1), new int[] {0}, x,
                new float[10]), "out must hold", "got 10");
        SpatialCells cells = new SpatialCells(new float[2 * 2 * 4], 2, 2, 2, 3);
        expect(() -> ReferenceOps.fillInactiveRelu(x, xs, cells, x), "cells.groups", "got 2");
        SpatialCells small = new SpatialCells(new float[2], 2, 1, 1, 4);
        expect(() -> ReferenceOps.maskedMean(x, xs, small), "cells must cover", "S = 4");
        SpatialCells oneSample = new SpatialCells(new float[9], 1, 1, 3, 2);
        expect(() -> ReferenceOps.maskedMean(x, xs, oneSample), "cells.batch", "got 1");
    }

    @Test
    void patchOperationsRejectWrongSizes() {
        SpatialBlockFixture f = new SpatialBlockFixture(3, 2, 3, 4, 4, 5, 2, 8, 8, 2, 2);
        int m = f.geometry.gridSize();
        int[] mask = new int[2 * m * m];
        mask[0] = 1;
        mask[m * m + 3] = 1;
        PatchPlan plan = PatchPlan.fromMask(mask, 2, f.geometry);
        expect(() -> ReferenceOps.gatherConv1x1Relu(new float[f.xs.size() - 2], f.xs, plan, f.c1), "x must hold");
        expect(() -> ReferenceOps.gatherConv1x1Relu(f.x, new Nchw(2, 3, 9, 8), plan, f.c1), "xs must be", "9");
        expect(() -> ReferenceOps.gatherConv1x1Relu(f.x, f.xs, plan, f.c2), "c1 must be an ungrouped 1x1");
        float[] windows = ReferenceOps.gatherConv1x1Relu(f.x, f.xs, plan, f.c1);
        expect(() -> ReferenceOps.patchConv3x3Relu(Arrays.copyOf(windows, windows.length - 1), plan, f.c2),
                "windows must hold", "got " + (windows.length - 1));
        FoldedConv stride1 = Naive.conv(new Random(1), 4, 4, 3, 1, 1, 2);
        expect(() -> ReferenceOps.patchConv3x3Relu(windows, plan, stride1), "stride", "got 1");
        expect(() -> ReferenceOps.patchConv3x3Relu(windows, plan, f.c1), "3x3", "got kernel 1");
        float[] patches = ReferenceOps.patchConv3x3Relu(windows, plan, f.c2);
        expect(() -> ReferenceOps.patchConv1x1Add(patches, plan, f.c3, new float[f.outShape.size() + 1]),
                "accumulator must hold", "got " + (f.outShape.size() + 1));
        expect(() -> ReferenceOps.patchConv1x1Add(new float[3], plan, f.c3, f.identity.clone()), "patches must hold",
                "got 3");
        expect(() -> ReferenceOps.patchMeans(patches, plan, 5), "patches must hold");
        expect(() -> ReferenceOps.scalePatchesSigmoid(patches, plan, 4, new float[4]), "scale must hold", "got 4");
        expect(() -> ReferenceOps.patchMeans(patches, null, 4), "plan must not be null");
    }

    @Test
    void geometryFromPlanIsRespectedForOddStridedInput() {
        SpatialGeometry g = SpatialGeometry.of(15, 15, 2, 4);
        assertEquals(2, g.gridSize());
        SpatialBlockFixture f = new SpatialBlockFixture(11, 1, 3, 2, 2, 2, 1, 15, 15, 2, 4);
        PatchPlan plan = PatchPlan.fromMask(new int[] {0, 0, 0, 1}, 1, f.geometry);
        float[] win = ReferenceOps.gatherConv1x1Relu(f.x, f.xs, plan, f.c1);
        int t = 9;
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < t; k++) {
                assertEquals(0f, win[(c * t + 8) * t + k], 0f, "bottom halo row is outside the image");
                assertEquals(0f, win[(c * t + k) * t + 8], 0f, "right halo column is outside the image");
            }
        }
    }

    private static void expect(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }
}
