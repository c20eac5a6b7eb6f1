package org.laudnet.cuda;

/**
 * Plain-Java reference of every kernel of {@code laudnet_kernels.cu}, with the same arguments and semantics (fp32,
 * NCHW, BatchNorm folded into weight and bias). Loops accumulate in {@code double} so that the reference is more
 * accurate than the kernels it checks. Each method names the kernel it mirrors.
 */
public final class CpuKernels {

    private CpuKernels() {}

    /**
     * Mirrors {@code laud_gather_conv1x1_relu}: for each patch {@code p = (b, i, j)} and window position
     * {@code (ty, tx)} with input pixel {@code (y, x) = (i S s - 1 + ty, j S s - 1 + tx)}:
     * {@code out[p, c, ty, tx] = ReLU(b1[c] + sum_k w1[c, k] x[b, k, y, x])} if {@code (y, x)} is inside the image,
     * else 0 (conv2's zero padding applies to conv1's activated output).
     *
     * @param x block input {@code (B, Cin, H, W)}
     * @param xShape shape of {@code x}; {@code H, W} must equal the plan's input size
     * @param plan the patch plan
     * @param w1 conv1 weight {@code (C1, Cin)}
     * @param b1 conv1 bias {@code (C1)}
     * @param c1 {@code C1}
     * @return the gathered activations {@code (P, C1, T, T)}
     */
    public static float[] gatherConv1x1Relu(float[] x, Nchw xShape, PatchPlan plan, float[] w1, float[] b1, int c1) {
        checkInput(x, xShape, plan);
        int cin = xShape.channels();
        requireLength("w1", w1, (long) c1 * cin);
        requireLength("b1", b1, c1);
        SpatialGeometry g = plan.geometry();
        int t = g.windowSize();
        int h = xShape.height();
        int w = xShape.width();
        int[] patches = plan.patches();
        float[] out = new float[checkedSize(plan.windowElements(c1))];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = patches[3 * p];
            int y0 = g.windowOrigin(patches[3 * p + 1]);
            int x0 = g.windowOrigin(patches[3 * p + 2]);
            for (int ty = 0; ty < t; ty++) {
                int y = y0 + ty;
                for (int tx = 0; tx < t; tx++) {
                    int xx = x0 + tx;
                    boolean inside = y >= 0 && y < h && xx >= 0 && xx < w;
                    for (int c = 0; c < c1; c++) {
                        float v = 0f;
                        if (inside) {
                            double acc = b1[c];
                            for (int k = 0; k < cin; k++) {
                                acc += (double) w1[c * cin + k] * x[xShape.index(b, k, y, xx)];
                            }
                            v = (float) Math.max(acc, 0.0);
                        }
                        out[((p * c1 + c) * t + ty) * t + tx] = v;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Mirrors {@code laud_patch_conv3x3_relu}: a 3x3 convolution without padding, stride {@code s}, {@code g} groups,
     * on each gathered window: {@code out[p, co, oy, ox] = ReLU(b2[co] + sum_{ci in group(co), ky, kx}
     * w2[co, ci - g0, ky, kx] in[p, ci, oy s + ky, ox s + kx])}.
     *
     * @param in gathered conv1 output {@code (P, C1, T, T)}
     * @param plan the patch plan
     * @param c1 {@code C1}
     * @param groups {@code g}, dividing {@code C1} and {@code C2}
     * @param w2 weight {@code (C2, C1 / g, 3, 3)}
     * @param b2 bias {@code (C2)}
     * @param c2 {@code C2}
     * @return conv2's output on the patches {@code (P, C2, S, S)}
     */
    public static float[] patchConv3x3Relu(float[] in, PatchPlan plan, int c1, int groups, float[] w2, float[] b2,
            int c2) {
        requireGroups(c1, c2, groups);
        requireLength("in", in, plan.windowElements(c1));
        int cinG = c1 / groups;
        int coutG = c2 / groups;
        requireLength("w2", w2, (long) c2 * cinG * 9);
        requireLength("b2", b2, c2);
        int t = plan.windowSize();
        int s = plan.geometry().cellSize();
        int stride = plan.geometry().stride();
        float[] out = new float[checkedSize(plan.patchElements(c2))];
        for (int p = 0; p < plan.patchCount(); p++) {
            for (int co = 0; co < c2; co++) {
                int g0 = (co / coutG) * cinG;
                for (int oy = 0; oy < s; oy++) {
                    for (int ox = 0; ox < s; ox++) {
                        double acc = b2[co];
                        for (int ci = 0; ci < cinG; ci++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    acc += (double) w2[((co * cinG + ci) * 3 + ky) * 3 + kx]
                                            * in[((p * c1 + g0 + ci) * t + oy * stride + ky) * t + ox * stride + kx];
                                }
                            }
                        }
                        out[((p * c2 + co) * s + oy) * s + ox] = (float) Math.max(acc, 0.0);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Mirrors {@code laud_patch_conv1x1_scatter_relu}: for each patch {@code (b, i, j)} and in-patch position
     * {@code (oy, ox)} whose output pixel {@code (Y, X) = (i S + oy, j S + ox)} lies inside the image,
     * {@code out[b, m, Y, X] = ReLU(identity[b, m, Y, X] + b3[m] + sum_c w3[m, c] in[p, c, oy, ox])}. Other entries of
     * {@code out} are left unchanged. {@code out} may be {@code identity}.
     *
     * @param in conv2 output on patches {@code (P, C2, S, S)}
     * @param plan the patch plan
     * @param c2 {@code C2}
     * @param w3 weight {@code (Cout, C2)}
     * @param b3 bias {@code (Cout)}
     * @param cout {@code Cout}
     * @param identity {@code (B, Cout, Hout, Wout)}
     * @param out {@code (B, Cout, Hout, Wout)}, written in place
     */
    public static void patchConv1x1ScatterRelu(float[] in, PatchPlan plan, int c2, float[] w3, float[] b3, int cout,
            float[] identity, float[] out) {
        requireLength("in", in, plan.patchElements(c2));
        requireLength("w3", w3, (long) cout * c2);
        requireLength("b3", b3, cout);
        Nchw os = plan.outputShape(cout);
        requireLength("identity", identity, os.size());
        requireLength("out", out, os.size());
        int s = plan.geometry().cellSize();
        int[] patches = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = patches[3 * p];
            for (int oy = 0; oy < s; oy++) {
                int y = patches[3 * p + 1] * s + oy;
                if (y >= os.height()) {
                    continue;
                }
                for (int ox = 0; ox < s; ox++) {
                    int xx = patches[3 * p + 2] * s + ox;
                    if (xx >= os.width()) {
                        continue;
                    }
                    for (int m = 0; m < cout; m++) {
                        double acc = b3[m];
                        for (int c = 0; c < c2; c++) {
                            acc += (double) w3[m * c2 + c] * in[((p * c2 + c) * s + oy) * s + ox];
                        }
                        int idx = os.index(b, m, y, xx);
                        out[idx] = (float) Math.max(identity[idx] + acc, 0.0);
                    }
                }
            }
        }
    }

    /**
     * Mirrors {@code laud_fill_inactive_relu}: {@code out[b, c, y, x] = ReLU(identity[b, c, y, x])} where
     * {@code mask[b, y / S, x / S] == 0}; other entries unchanged. {@code out} may be {@code identity}.
     *
     * @param identity {@code (B, C, H, W)}
     * @param shape shape of {@code identity} and {@code out}
     * @param mask {@code (B, m, m)}
     * @param cellSize {@code S}
     * @param gridSize {@code m}
     * @param out {@code (B, C, H, W)}, written in place
     */
    public static void fillInactiveRelu(float[] identity, Nchw shape, int[] mask, int cellSize, int gridSize,
            float[] out) {
        requireLength("identity", identity, shape.size());
        requireLength("out", out, shape.size());
        requireLength("mask", mask, (long) shape.batch() * gridSize * gridSize);
        if (cellSize <= 0 || (long) cellSize * gridSize < Math.max(shape.height(), shape.width())) {
            throw new IllegalArgumentException("cellSize * gridSize must cover H and W = " + shape.height() + ", "
                    + shape.width() + "; got cellSize " + cellSize + ", gridSize " + gridSize);
        }
        for (int b = 0; b < shape.batch(); b++) {
            for (int c = 0; c < shape.channels(); c++) {
                for (int y = 0; y < shape.height(); y++) {
                    for (int x = 0; x < shape.width(); x++) {
                        if (mask[(b * gridSize + y / cellSize) * gridSize + x / cellSize] == 0) {
                            int idx = shape.index(b, c, y, x);
                            out[idx] = Math.max(identity[idx], 0f);
                        }
                    }
                }
            }
        }
    }

    /**
     * Mirrors {@code laud_weight_gather}: {@code dst[o, i, r] = w[outIdx[o], inIdx[i], r]}.
     *
     * @param w weight {@code (Cout, Cin, kk)}
     * @param cin {@code Cin}
     * @param kk kernel area {@code kh kw}
     * @param outIdx gathered output channels
     * @param inIdx gathered input channels, or {@code null} for all {@code Cin}
     * @return the slice {@code (nOut, nIn, kk)}
     */
    public static float[] weightGather(float[] w, int cin, int kk, int[] outIdx, int[] inIdx) {
        if (cin <= 0 || kk <= 0 || w == null || w.length % (cin * kk) != 0) {
            throw new IllegalArgumentException("w must be (Cout, " + cin + ", " + kk + "), got length "
                    + (w == null ? "null" : w.length));
        }
        int coutAll = w.length / (cin * kk);
        int nIn = inIdx == null ? cin : inIdx.length;
        float[] dst = new float[outIdx.length * nIn * kk];
        for (int o = 0; o < outIdx.length; o++) {
            requireIndex("outIdx", outIdx[o], coutAll);
            for (int i = 0; i < nIn; i++) {
                int ci = inIdx == null ? i : inIdx[i];
                requireIndex("inIdx", ci, cin);
                System.arraycopy(w, (outIdx[o] * cin + ci) * kk, dst, (o * nIn + i) * kk, kk);
            }
        }
        return dst;
    }

    /**
     * Mirrors {@code laud_gather_samples}: {@code dst[i, e] = src[idx[i], e]}.
     *
     * @param src {@code (B, perSample)}
     * @param idx sample indices
     * @param perSample elements per sample
     * @return {@code (n, perSample)}
     */
    public static float[] gatherSamples(float[] src, int[] idx, int perSample) {
        if (perSample <= 0 || src.length % perSample != 0) {
            throw new IllegalArgumentException("perSample must be positive and divide src.length = " + src.length
                    + ", got " + perSample);
        }
        float[] dst = new float[idx.length * perSample];
        for (int i = 0; i < idx.length; i++) {
            requireIndex("idx", idx[i], src.length / perSample);
            System.arraycopy(src, idx[i] * perSample, dst, i * perSample, perSample);
        }
        return dst;
    }

    /**
     * Mirrors {@code laud_scatter_samples_residual_relu}:
     * {@code out[idx[i], e] = ReLU(identity[idx[i], e] + branch[i, e])}; other samples unchanged.
     *
     * @param branch {@code (n, perSample)}
     * @param idx sample indices
     * @param perSample elements per sample
     * @param identity {@code (B, perSample)}
     * @param out {@code (B, perSample)}, written in place, may be {@code identity}
     */
    public static void scatterSamplesResidualRelu(float[] branch, int[] idx, int perSample, float[] identity,
            float[] out) {
        requireLength("branch", branch, (long) idx.length * perSample);
        requireLength("out", out, identity.length);
        for (int i = 0; i < idx.length; i++) {
            requireIndex("idx", idx[i], identity.length / perSample);
            for (int e = 0; e < perSample; e++) {
                int o = idx[i] * perSample + e;
                out[o] = Math.max(identity[o] + branch[i * perSample + e], 0f);
            }
        }
    }

    /**
     * Output size of a convolution or pooling along one axis: {@code (in + 2 pad - k) / stride + 1}.
     *
     * @param in input size
     * @param k kernel size
     * @param stride stride
     * @param pad padding
     * @return the output size
     */
    public static int outSize(int in, int k, int stride, int pad) {
        int o = (in + 2 * pad - k) / stride + 1;
        if (k <= 0 || stride <= 0 || pad < 0 || o <= 0) {
            throw new IllegalArgumentException("no output for in=" + in + ", k=" + k + ", stride=" + stride
                    + ", pad=" + pad);
        }
        return o;
    }

    /**
     * Mirrors {@code laud_conv2d}: {@code y[b, co, oy, ox] = act(bias[co] + residual[b, co, oy, ox] +
     * sum_{ci, ky, kx} w[co, ci, ky, kx] x[b, g0 + ci, oy stride - pad + ky, ox stride - pad + kx])} with zero padding,
     * {@code g0 = (co / (Cout / g)) (Cin / g)}, act = ReLU or identity.
     *
     * @param x {@code (B, Cin, H, W)}
     * @param xShape shape of {@code x}
     * @param w {@code (Cout, Cin / g, kh, kw)}
     * @param bias {@code (Cout)} or {@code null}
     * @param cout {@code Cout}
     * @param kh kernel height
     * @param kw kernel width
     * @param stride stride
     * @param pad zero padding
     * @param groups {@code g}
     * @param residual {@code (B, Cout, Ho, Wo)} or {@code null}
     * @param relu whether to apply ReLU
     * @return {@code y (B, Cout, Ho, Wo)}
     */
    public static float[] conv2d(float[] x, Nchw xShape, float[] w, float[] bias, int cout, int kh, int kw, int stride,
            int pad, int groups, float[] residual, boolean relu) {
        requireLength("x", x, xShape.size());
        int cin = xShape.channels();
        requireGroups(cin, cout, groups);
        int cinG = cin / groups;
        int coutG = cout / groups;
        requireLength("w", w, (long) cout * cinG * kh * kw);
        if (bias != null) {
            requireLength("bias", bias, cout);
        }
        int ho = outSize(xShape.height(), kh, stride, pad);
        int wo = outSize(xShape.width(), kw, stride, pad);
        Nchw ys = new Nchw(xShape.batch(), cout, ho, wo);
        if (residual != null) {
            requireLength("residual", residual, ys.size());
        }
        float[] y = new float[ys.size()];
        for (int b = 0; b < xShape.batch(); b++) {
            for (int co = 0; co < cout; co++) {
                int g0 = (co / coutG) * cinG;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double acc = bias == null ? 0.0 : bias[co];
                        for (int ci = 0; ci < cinG; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= xShape.height()) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix >= 0 && ix < xShape.width()) {
                                        acc += (double) w[((co * cinG + ci) * kh + ky) * kw + kx]
                                                * x[xShape.index(b, g0 + ci, iy, ix)];
                                    }
                                }
                            }
                        }
                        int idx = ys.index(b, co, oy, ox);
                        if (residual != null) {
                            acc += residual[idx];
                        }
                        y[idx] = (float) (relu ? Math.max(acc, 0.0) : acc);
                    }
                }
            }
        }
        return y;
    }

    /**
     * Fully connected layer as the kernels run it (a 1x1 convolution on {@code (B, K, 1, 1)}):
     * {@code y[b, n] = bias[n] + sum_k w[n, k] x[b, k]}.
     *
     * @param x {@code (B, K)}
     * @param batch {@code B}
     * @param w {@code (N, K)}
     * @param bias {@code (N)} or {@code null}
     * @param n {@code N}
     * @return {@code (B, N)}
     */
    public static float[] linear(float[] x, int batch, float[] w, float[] bias, int n) {
        if (batch <= 0 || x.length % batch != 0) {
            throw new IllegalArgumentException("batch must be positive and divide x.length = " + x.length + ", got "
                    + batch);
        }
        return conv2d(x, new Nchw(batch, x.length / batch, 1, 1), w, bias, n, 1, 1, 1, 0, 1, null, false);
    }

    /**
     * Mirrors {@code laud_maxpool2d}: {@code y[b, c, oy, ox] = max} of {@code x} over the in-image positions of the
     * {@code k x k} window at {@code (oy stride - pad, ox stride - pad)}.
     *
     * @param x {@code (B, C, H, W)}
     * @param xShape shape of {@code x}
     * @param k window side
     * @param stride stride
     * @param pad padding (treated as {@code -inf})
     * @return {@code (B, C, Ho, Wo)}
     */
    public static float[] maxPool2d(float[] x, Nchw xShape, int k, int stride, int pad) {
        requireLength("x", x, xShape.size());
        int ho = outSize(xShape.height(), k, stride, pad);
        int wo = outSize(xShape.width(), k, stride, pad);
        Nchw ys = new Nchw(xShape.batch(), xShape.channels(), ho, wo);
        float[] y = new float[ys.size()];
        for (int b = 0; b < xShape.batch(); b++) {
            for (int c = 0; c < xShape.channels(); c++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float best = Float.NEGATIVE_INFINITY;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy * stride - pad + ky;
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox * stride - pad + kx;
                                if (iy >= 0 && iy < xShape.height() && ix >= 0 && ix < xShape.width()) {
                                    best = Math.max(best, x[xShape.index(b, c, iy, ix)]);
                                }
                            }
                        }
                        y[ys.index(b, c, oy, ox)] = best;
                    }
                }
            }
        }
        return y;
    }

    /**
     * Mirrors {@code laud_global_avg_pool}: {@code y[r] = (1 / hw) sum_e x[r, e]}.
     *
     * @param x {@code (rows, hw)}, e.g. {@code (B C, H W)}
     * @param rows number of rows
     * @param hw elements per row
     * @return {@code (rows)}
     */
    public static float[] globalAvgPool(float[] x, int rows, int hw) {
        requireLength("x", x, (long) rows * hw);
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int e = 0; e < hw; e++) {
                s += x[r * hw + e];
            }
            y[r] = (float) (s / hw);
        }
        return y;
    }

    private static void checkInput(float[] x, Nchw xShape, PatchPlan plan) {
        requireLength("x", x, xShape.size());
        SpatialGeometry g = plan.geometry();
        if (xShape.batch() != plan.batch() || xShape.height() != g.inHeight() || xShape.width() != g.inWidth()) {
            throw new IllegalArgumentException("xShape must be (" + plan.batch() + ", C, " + g.inHeight() + ", "
                    + g.inWidth() + ") to match the plan, got " + xShape);
        }
    }

    private static void requireGroups(int cin, int cout, int groups) {
        if (groups <= 0 || cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException(
                    "groups must divide both input channels " + cin + " and output channels " + cout + ", got "
                            + groups);
        }
    }

    private static void requireIndex(String name, int value, int bound) {
        if (value < 0 || value >= bound) {
            throw new IllegalArgumentException(name + " entries must be in [0, " + bound + "), got " + value);
        }
    }

    private static void requireLength(String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(name + " must have " + expected + " elements, got "
                    + (a == null ? "null" : a.length));
        }
    }

    private static void requireLength(String name, int[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(name + " must have " + expected + " elements, got "
                    + (a == null ? "null" : a.length));
        }
    }

    private static int checkedSize(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("buffer of " + n + " elements is too large for a Java array");
        }
        return (int) n;
    }
}
