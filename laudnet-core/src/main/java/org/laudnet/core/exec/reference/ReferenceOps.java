package org.laudnet.core.exec.reference;

import static org.laudnet.core.exec.KernelArgs.notNull;
import static org.laudnet.core.util.Checks.positive;

import org.laudnet.core.exec.KernelArgs;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.plan.FoldedConv;

/**
 * The reference operations of the engine on plain {@code float[]} tensors: direct loops, fp32 storage, {@code double}
 * accumulation, so that the results are at least as accurate as those of the backends checked against them.
 *
 * <p>Layouts: NCHW tensors are contiguous row-major {@code (B, C, H, W)} arrays described by an {@link Nchw}; per-channel
 * values are {@code (B, C)} arrays (the same values as {@code (B, C, 1, 1)}). The spatial pipeline of a
 * {@link PatchPlan} with {@code P} patches, window side {@code T} and cell size {@code S} uses windows
 * {@code (P, C1, T, T)} and patch outputs {@code (P, C2, S, S)}, patches in the plan's order. Convolutions are
 * {@link FoldedConv}s (BatchNorm folded in).
 *
 * <p>Every operation validates its arguments and throws {@link IllegalArgumentException} naming the offending parameter
 * and its value; array lengths must match the declared shapes exactly. Operations return new arrays and leave their
 * inputs untouched, except those documented as writing in place. Stateless and thread-safe.
 */
public final class ReferenceOps {

    private ReferenceOps() {}

    // ------------------------------------------------------------------------------------------------ dense

    /**
     * Output side of a convolution or pooling along one axis: {@code (in + 2 padding - kernel) / stride + 1}.
     *
     * @param in input side, positive
     * @param kernel window side, positive
     * @param stride stride, positive
     * @param padding padding on each side, non-negative
     * @return the output side
     * @throws IllegalArgumentException if a parameter is out of range or the output would be empty
     */
    public static int outSize(int in, int kernel, int stride, int padding) {
        positive("in", in);
        positive("kernel", kernel);
        positive("stride", stride);
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be non-negative, got " + padding);
        }
        if (in + 2 * padding < kernel) {
            throw new IllegalArgumentException("kernel " + kernel + " must fit the padded input side " + in + " + 2 x "
                    + padding);
        }
        return (in + 2 * padding - kernel) / stride + 1;
    }

    /**
     * The output shape of a convolution: {@code (B, O, outSize(H), outSize(W))}.
     *
     * @param xs the input shape {@code (B, I, H, W)}
     * @param conv the convolution ({@code O <- I})
     * @return the output shape
     * @throws IllegalArgumentException if the channels differ or the output would be empty
     */
    public static Nchw convOutputShape(Nchw xs, FoldedConv conv) {
        notNull("xs", xs);
        notNull("conv", conv);
        if (xs.channels() != conv.inChannels()) {
            throw new IllegalArgumentException("xs.channels must equal the convolution's input channels "
                    + conv.inChannels() + ", got " + xs.channels());
        }
        return new Nchw(xs.batch(), conv.outChannels(), outSize(xs.height(), conv.kernel(), conv.stride(),
                conv.padding()), outSize(xs.width(), conv.kernel(), conv.stride(), conv.padding()));
    }

    /**
     * Convolution with the convolution's stride, zero padding and groups, optional residual and ReLU:
     * <pre>
     *   y[b, o, oy, ox] = act(bias[o] + residual[b, o, oy, ox]
     *                         + sum_{i, ky, kx} w[o, i, ky, kx] x[b, g0 + i, oy s - p + ky, ox s - p + kx])
     * </pre>
     * with {@code g0 = (o / (O / g)) (I / g)}, {@code i < I / g}, out-of-image terms zero, act = ReLU or the identity.
     *
     * @param x input {@code (B, I, H, W)}
     * @param xs its shape
     * @param conv the convolution, weight {@code (O, I / g, k, k)}
     * @param residual {@code (B, O, H', W')} added before the activation, or null
     * @param relu whether to apply a ReLU
     * @return {@code y (B, O, H', W')}, shape {@link #convOutputShape}
     */
    public static float[] conv2d(float[] x, Nchw xs, FoldedConv conv, float[] residual, boolean relu) {
        Nchw ys = convOutputShape(xs, conv);
        requireTensor("x", x, xs);
        if (residual != null) {
            requireTensor("residual", residual, ys);
        }
        int k = conv.kernel();
        int s = conv.stride();
        int pad = conv.padding();
        int inPerGroup = conv.inChannels() / conv.groups();
        int outPerGroup = conv.outChannels() / conv.groups();
        float[] w = conv.weight();
        float[] bias = conv.bias();
        float[] y = new float[ys.size()];
        for (int b = 0; b < xs.batch(); b++) {
            for (int o = 0; o < ys.channels(); o++) {
                int g0 = (o / outPerGroup) * inPerGroup;
                for (int oy = 0; oy < ys.height(); oy++) {
                    int y0 = oy * s - pad;
                    int kyLo = Math.max(0, -y0);
                    int kyHi = Math.min(k, xs.height() - y0);
                    for (int ox = 0; ox < ys.width(); ox++) {
                        int x0 = ox * s - pad;
                        int kxLo = Math.max(0, -x0);
                        int kxHi = Math.min(k, xs.width() - x0);
                        double acc = bias[o];
                        for (int i = 0; i < inPerGroup; i++) {
                            int wBase = (o * inPerGroup + i) * k;
                            for (int ky = kyLo; ky < kyHi; ky++) {
                                int xRow = xs.index(b, g0 + i, y0 + ky, x0);
                                int wRow = (wBase + ky) * k;
                                for (int kx = kxLo; kx < kxHi; kx++) {
                                    acc += (double) w[wRow + kx] * x[xRow + kx];
                                }
                            }
                        }
                        int idx = ys.index(b, o, oy, ox);
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
     * Max pooling with {@code -inf} padding: {@code y[b, c, oy, ox] = max} of {@code x[b, c]} over the in-image
     * positions of the {@code k x k} window at {@code (oy s - p, ox s - p)}.
     *
     * @param x input {@code (B, C, H, W)}
     * @param xs its shape
     * @param kernel window side {@code k}
     * @param stride stride {@code s}
     * @param padding padding {@code p}, at most {@code k / 2} (every window then holds an image pixel)
     * @return {@code (B, C, outSize(H), outSize(W))}
     */
    public static float[] maxPool2d(float[] x, Nchw xs, int kernel, int stride, int padding) {
        notNull("xs", xs);
        positive("kernel", kernel);
        if (padding > kernel / 2) {
            throw new IllegalArgumentException("padding must be at most kernel / 2 = " + kernel / 2 + ", got "
                    + padding);
        }
        int ho = outSize(xs.height(), kernel, stride, padding);
        int wo = outSize(xs.width(), kernel, stride, padding);
        requireTensor("x", x, xs);
        Nchw ys = new Nchw(xs.batch(), xs.channels(), ho, wo);
        float[] y = new float[ys.size()];
        for (int b = 0; b < xs.batch(); b++) {
            for (int c = 0; c < xs.channels(); c++) {
                for (int oy = 0; oy < ho; oy++) {
                    int yLo = Math.max(0, oy * stride - padding);
                    int yHi = Math.min(xs.height(), oy * stride - padding + kernel);
                    for (int ox = 0; ox < wo; ox++) {
                        int xLo = Math.max(0, ox * stride - padding);
                        int xHi = Math.min(xs.width(), ox * stride - padding + kernel);
                        float best = Float.NEGATIVE_INFINITY;
                        for (int iy = yLo; iy < yHi; iy++) {
                            for (int ix = xLo; ix < xHi; ix++) {
                                best = Math.max(best, x[xs.index(b, c, iy, ix)]);
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
     * Average pooling over non-overlapping {@code k x k} windows (stride {@code k}, no padding):
     * {@code y[b, c, oy, ox] = (1 / k^2) sum_{ky, kx < k} x[b, c, oy k + ky, ox k + kx]}.
     *
     * @param x input {@code (B, C, H, W)}
     * @param xs its shape; {@code k} divides {@code H} and {@code W}
     * @param kernel {@code k}
     * @return {@code (B, C, H / k, W / k)}
     */
    public static float[] avgPool2d(float[] x, Nchw xs, int kernel) {
        notNull("xs", xs);
        positive("kernel", kernel);
        if (xs.height() % kernel != 0 || xs.width() % kernel != 0) {
            throw new IllegalArgumentException("kernel must divide H = " + xs.height() + " and W = " + xs.width()
                    + ", got " + kernel);
        }
        requireTensor("x", x, xs);
        Nchw ys = new Nchw(xs.batch(), xs.channels(), xs.height() / kernel, xs.width() / kernel);
        double inv = 1.0 / ((double) kernel * kernel);
        float[] y = new float[ys.size()];
        for (int b = 0; b < xs.batch(); b++) {
            for (int c = 0; c < xs.channels(); c++) {
                for (int oy = 0; oy < ys.height(); oy++) {
                    for (int ox = 0; ox < ys.width(); ox++) {
                        double sum = 0;
                        for (int ky = 0; ky < kernel; ky++) {
                            int row = xs.index(b, c, oy * kernel + ky, ox * kernel);
                            for (int kx = 0; kx < kernel; kx++) {
                                sum += x[row + kx];
                            }
                        }
                        y[ys.index(b, c, oy, ox)] = (float) (sum * inv);
                    }
                }
            }
        }
        return y;
    }

    /**
     * Global average pooling: {@code y[b, c] = (1 / (H W)) sum_{y, x} x[b, c, y, x]}.
     *
     * @param x input {@code (B, C, H, W)}
     * @param xs its shape
     * @return {@code (B, C)}
     */
    public static float[] globalAvgPool(float[] x, Nchw xs) {
        notNull("xs", xs);
        requireTensor("x", x, xs);
        int hw = xs.height() * xs.width();
        int rows = xs.batch() * xs.channels();
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int e = r * hw; e < (r + 1) * hw; e++) {
                sum += x[e];
            }
            y[r] = (float) (sum / hw);
        }
        return y;
    }

    /**
     * {@code y = max(x, 0)} element-wise.
     *
     * @param x input {@code (B, C, H, W)}
     * @param xs its shape
     * @return {@code y}, same shape
     */
    public static float[] relu(float[] x, Nchw xs) {
        notNull("xs", xs);
        requireTensor("x", x, xs);
        float[] y = new float[x.length];
        for (int e = 0; e < x.length; e++) {
            y[e] = Math.max(x[e], 0f);
        }
        return y;
    }

    /**
     * Per-channel scaling: {@code y[b, c, y, x] = h[b, c, y, x] f(scale[b, c])} with {@code f} the identity or the
     * sigmoid {@code 1 / (1 + e^-v)}.
     *
     * @param h input {@code (B, C, H, W)}
     * @param hs its shape
     * @param scale factors {@code (B, C)}
     * @param sigmoid whether to apply the sigmoid to the factors first
     * @return {@code y}, same shape as {@code h}
     */
    public static float[] scaleChannels(float[] h, Nchw hs, float[] scale, boolean sigmoid) {
        notNull("hs", hs);
        requireTensor("h", h, hs);
        requireLength("scale", scale, (long) hs.batch() * hs.channels(), "B x C");
        int hw = hs.height() * hs.width();
        float[] y = new float[h.length];
        for (int r = 0; r < scale.length; r++) {
            double f = sigmoid ? sigmoid(scale[r]) : scale[r];
            for (int e = r * hw; e < (r + 1) * hw; e++) {
                y[e] = (float) (h[e] * f);
            }
        }
        return y;
    }

    /**
     * The mean over the computed positions {@code M2} (positions any mask group keeps) of each sample and channel:
     * {@code y[b, c] = sum_{y, x} h[b, c, y, x] M2[b, y, x] / max(sum_{y, x} M2[b, y, x], 1)}; 0 for a sample without
     * computed positions.
     *
     * @param h input {@code (B, C, H, W)}
     * @param hs its shape
     * @param cells the decisions, batch {@code B}, covering {@code H x W} ({@code m S >= max(H, W)})
     * @return {@code (B, C)}
     */
    public static float[] maskedMean(float[] h, Nchw hs, SpatialCells cells) {
        notNull("hs", hs);
        KernelArgs.requireCells(cells, hs, false);
        requireTensor("h", h, hs);
        float[] y = new float[hs.batch() * hs.channels()];
        boolean[] computed = new boolean[hs.height() * hs.width()];
        for (int b = 0; b < hs.batch(); b++) {
            int count = 0;
            for (int py = 0; py < hs.height(); py++) {
                for (int px = 0; px < hs.width(); px++) {
                    boolean on = cells.computed(b, py, px);
                    computed[py * hs.width() + px] = on;
                    count += on ? 1 : 0;
                }
            }
            int divisor = Math.max(count, 1);
            for (int c = 0; c < hs.channels(); c++) {
                int base = hs.index(b, c, 0, 0);
                double sum = 0;
                for (int e = 0; e < computed.length; e++) {
                    if (computed[e]) {
                        sum += h[base + e];
                    }
                }
                y[b * hs.channels() + c] = (float) (sum / divisor);
            }
        }
        return y;
    }

    /**
     * Gathers samples: {@code y[i] = x[samples[i]]}.
     *
     * @param x input {@code (B, C, H, W)}
     * @param xs its shape
     * @param samples distinct sample indices in {@code [0, B)}, non-empty
     * @return {@code (samples.length, C, H, W)}
     */
    public static float[] gatherSamples(float[] x, Nchw xs, int[] samples) {
        notNull("xs", xs);
        requireTensor("x", x, xs);
        KernelArgs.requireSamples(samples, xs.batch());
        int per = xs.perSample();
        float[] y = new float[samples.length * per];
        for (int i = 0; i < samples.length; i++) {
            System.arraycopy(x, samples[i] * per, y, i * per, per);
        }
        return y;
    }

    /**
     * Writes {@code out[samples[i]] = ReLU(identity[samples[i]] + branch[i])} in place; the other samples of
     * {@code out} are left unchanged. {@code out} may be {@code identity}.
     *
     * @param branch {@code (n, C, H, W)}
     * @param branchShape its shape; {@code n = samples.length}
     * @param samples {@code n} distinct sample indices in {@code [0, B)}
     * @param identity {@code (B, C, H, W)}: a whole number of samples of {@code C H W} values
     * @param out {@code (B, C, H, W)}, written in place at the listed samples
     */
    public static void scatterSamplesResidualRelu(float[] branch, Nchw branchShape, int[] samples, float[] identity,
            float[] out) {
        notNull("branchShape", branchShape);
        requireTensor("branch", branch, branchShape);
        int per = branchShape.perSample();
        if (identity == null || identity.length == 0 || identity.length % per != 0) {
            throw new IllegalArgumentException("identity must hold a positive whole number of samples of C*H*W = "
                    + per + " values, got " + (identity == null ? "null" : identity.length));
        }
        requireLength("out", out, identity.length, "the identity's length");
        KernelArgs.requireSamples(samples, identity.length / per);
        if (samples.length != branchShape.batch()) {
            throw new IllegalArgumentException("samples must list branchShape.batch = " + branchShape.batch()
                    + " indices, got " + samples.length);
        }
        for (int i = 0; i < samples.length; i++) {
            int src = i * per;
            int dst = samples[i] * per;
            for (int e = 0; e < per; e++) {
                out[dst + e] = Math.max(identity[dst + e] + branch[src + e], 0f);
            }
        }
    }

    /**
     * Writes {@code out[b, c, y, x] = ReLU(identity[b, c, y, x])} in place at every element whose cell is closed:
     * {@code cells[b, c / (C / gs), y / S, x / S] == 0}; kept elements of {@code out} are left unchanged. {@code out}
     * may be {@code identity}.
     *
     * @param identity {@code (B, C, H, W)}
     * @param shape the shape of {@code identity} and {@code out}
     * @param cells the decisions: batch {@code B}, {@code gs} dividing {@code C}, {@code m S >= max(H, W)}
     * @param out {@code (B, C, H, W)}, written in place at closed elements
     */
    public static void fillInactiveRelu(float[] identity, Nchw shape, SpatialCells cells, float[] out) {
        notNull("shape", shape);
        KernelArgs.requireCells(cells, shape, true);
        requireTensor("identity", identity, shape);
        requireTensor("out", out, shape);
        for (int b = 0; b < shape.batch(); b++) {
            for (int c = 0; c < shape.channels(); c++) {
                for (int py = 0; py < shape.height(); py++) {
                    for (int px = 0; px < shape.width(); px++) {
                        if (!cells.kept(b, c, shape.channels(), py, px)) {
                            int idx = shape.index(b, c, py, px);
                            out[idx] = Math.max(identity[idx], 0f);
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ patches

    /**
     * The conv1 windows of the active patches (halo schedule: conv1 per window position). For patch
     * {@code p = (b, i, j)} and window position {@code (ty, tx)} with input pixel
     * {@code (y, x) = (i S s - 1 + ty, j S s - 1 + tx)}:
     * {@code win[p, c, ty, tx] = ReLU(b1[c] + sum_k w1[c, k] x[b, k, y, x])} when {@code (y, x)} is inside the image,
     * else 0 (conv2's zero padding of conv1's activated output).
     *
     * @param x the block input {@code (B, Cin, Hin, Win)}
     * @param xs its shape; {@code B, Hin, Win} those of the plan
     * @param plan the active patches
     * @param c1 conv1: ungrouped, 1x1, stride 1, {@code C1 <- Cin}
     * @return the windows {@code (P, C1, T, T)}
     */
    public static float[] gatherConv1x1Relu(float[] x, Nchw xs, PatchPlan plan, FoldedConv c1) {
        notNull("xs", xs);
        notNull("plan", plan);
        requirePointwise("c1", c1);
        if (c1.stride() != 1) {
            throw new IllegalArgumentException("c1 must have stride 1, got " + c1.stride());
        }
        SpatialGeometry g = plan.geometry();
        if (xs.batch() != plan.batch() || xs.height() != g.inHeight() || xs.width() != g.inWidth()) {
            throw new IllegalArgumentException("xs must be (" + plan.batch() + ", C, " + g.inHeight() + ", "
                    + g.inWidth() + ") to match the plan, got " + xs);
        }
        if (xs.channels() != c1.inChannels()) {
            throw new IllegalArgumentException("xs.channels must equal c1's input channels " + c1.inChannels()
                    + ", got " + xs.channels());
        }
        requireTensor("x", x, xs);
        int cin = xs.channels();
        int ch = c1.outChannels();
        int t = g.windowSize();
        float[] w = c1.weight();
        float[] bias = c1.bias();
        float[] out = new float[arraySize(plan.windowElements(ch), "windows")];
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int y0 = g.windowOrigin(list[3 * p + 1]);
            int x0 = g.windowOrigin(list[3 * p + 2]);
            for (int ty = 0; ty < t; ty++) {
                int iy = y0 + ty;
                for (int tx = 0; tx < t; tx++) {
                    int ix = x0 + tx;
                    if (iy < 0 || iy >= xs.height() || ix < 0 || ix >= xs.width()) {
                        continue; // outside the image: stays 0
                    }
                    for (int c = 0; c < ch; c++) {
                        double acc = bias[c];
                        for (int k = 0; k < cin; k++) {
                            acc += (double) w[c * cin + k] * x[xs.index(b, k, iy, ix)];
                        }
                        out[((p * ch + c) * t + ty) * t + tx] = (float) Math.max(acc, 0.0);
                    }
                }
            }
        }
        return out;
    }

    /**
     * conv2 on the windows: a valid (unpadded) 3x3 convolution with stride {@code s} and {@code g} groups, then ReLU:
     * {@code out[p, o, oy, ox] = ReLU(b2[o] + sum_{i < C1 / g, ky, kx} w2[o, i, ky, kx]
     * win[p, g0 + i, oy s + ky, ox s + kx])}, {@code g0 = (o / (C2 / g)) (C1 / g)}, for {@code oy, ox < S}.
     *
     * @param windows {@code (P, C1, T, T)} from {@link #gatherConv1x1Relu}
     * @param plan the active patches
     * @param c2 conv2: 3x3, {@code C2 <- C1}, stride equal to the plan's (its padding is ignored: the windows carry
     *     the halo)
     * @return the patch outputs {@code (P, C2, S, S)}
     */
    public static float[] patchConv3x3Relu(float[] windows, PatchPlan plan, FoldedConv c2) {
        notNull("plan", plan);
        notNull("c2", c2);
        SpatialGeometry g = plan.geometry();
        if (c2.kernel() != 3) {
            throw new IllegalArgumentException("c2 must be a 3x3 convolution, got kernel " + c2.kernel());
        }
        if (c2.stride() != g.stride()) {
            throw new IllegalArgumentException("c2's stride must equal the plan's stride " + g.stride() + ", got "
                    + c2.stride());
        }
        int cin = c2.inChannels();
        int ch = c2.outChannels();
        requireLength("windows", windows, plan.windowElements(cin), "P x C1 x T x T");
        int t = g.windowSize();
        int cell = g.cellSize();
        int s = g.stride();
        int inPerGroup = cin / c2.groups();
        int outPerGroup = ch / c2.groups();
        float[] w = c2.weight();
        float[] bias = c2.bias();
        float[] out = new float[arraySize(plan.patchElements(ch), "patch outputs")];
        for (int p = 0; p < plan.patchCount(); p++) {
            for (int o = 0; o < ch; o++) {
                int g0 = (o / outPerGroup) * inPerGroup;
                for (int oy = 0; oy < cell; oy++) {
                    for (int ox = 0; ox < cell; ox++) {
                        double acc = bias[o];
                        for (int i = 0; i < inPerGroup; i++) {
                            int wBase = (o * inPerGroup + i) * 9;
                            int winBase = (p * cin + g0 + i) * t;
                            for (int ky = 0; ky < 3; ky++) {
                                int row = (winBase + oy * s + ky) * t + ox * s;
                                for (int kx = 0; kx < 3; kx++) {
                                    acc += (double) w[wBase + ky * 3 + kx] * windows[row + kx];
                                }
                            }
                        }
                        out[((p * ch + o) * cell + oy) * cell + ox] = (float) Math.max(acc, 0.0);
                    }
                }
            }
        }
        return out;
    }

    /**
     * conv3 on the patch outputs, added into a spatial accumulator: for each patch {@code p = (b, i, j)} and in-patch
     * position {@code (oy, ox)} whose output pixel {@code (Y, X) = (i S + oy, j S + ox)} lies inside the output,
     * {@code acc[b, m, Y, X] += b3[m] + sum_c w3[m, c] patches[p, c, oy, ox]}. Other entries are left unchanged.
     *
     * @param patches {@code (P, C2, S, S)}
     * @param plan the active patches
     * @param c3 conv3: ungrouped 1x1, {@code Cout <- C2}
     * @param accumulator {@code (B, Cout, Hout, Wout)} ({@link PatchPlan#outputShape}), updated in place
     */
    public static void patchConv1x1Add(float[] patches, PatchPlan plan, FoldedConv c3, float[] accumulator) {
        notNull("plan", plan);
        requirePointwise("c3", c3);
        int ch = c3.inChannels();
        int cout = c3.outChannels();
        requireLength("patches", patches, plan.patchElements(ch), "P x C2 x S x S");
        Nchw os = plan.outputShape(cout);
        requireTensor("accumulator", accumulator, os);
        int cell = plan.geometry().cellSize();
        float[] w = c3.weight();
        float[] bias = c3.bias();
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            for (int oy = 0; oy < cell; oy++) {
                int py = list[3 * p + 1] * cell + oy;
                if (py >= os.height()) {
                    break;
                }
                for (int ox = 0; ox < cell; ox++) {
                    int px = list[3 * p + 2] * cell + ox;
                    if (px >= os.width()) {
                        break;
                    }
                    int src = (p * ch * cell + oy) * cell + ox;
                    for (int m = 0; m < cout; m++) {
                        double acc = bias[m];
                        for (int c = 0; c < ch; c++) {
                            acc += (double) w[m * ch + c] * patches[src + c * cell * cell];
                        }
                        int idx = os.index(b, m, py, px);
                        accumulator[idx] = (float) (accumulator[idx] + acc);
                    }
                }
            }
        }
    }

    /**
     * Per sample, the mean of the patch outputs over the computed output positions (those of its patches that lie
     * inside the output): {@code y[b, c] = sum_{p of b, (oy, ox) inside} patches[p, c, oy, ox] / count_b}; 0 for a
     * sample without patches.
     *
     * @param patches {@code (P, C2, S, S)}
     * @param plan the active patches
     * @param channels {@code C2}
     * @return {@code (B, C2)}
     */
    public static float[] patchMeans(float[] patches, PatchPlan plan, int channels) {
        notNull("plan", plan);
        positive("channels", channels);
        requireLength("patches", patches, plan.patchElements(channels), "P x C2 x S x S");
        SpatialGeometry g = plan.geometry();
        int cell = g.cellSize();
        double[] sums = new double[plan.batch() * channels];
        long[] counts = new long[plan.batch()];
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int rows = Math.min(cell, g.outHeight() - list[3 * p + 1] * cell);
            int cols = Math.min(cell, g.outWidth() - list[3 * p + 2] * cell);
            counts[b] += (long) rows * cols;
            for (int c = 0; c < channels; c++) {
                int base = (p * channels + c) * cell * cell;
                double sum = 0;
                for (int oy = 0; oy < rows; oy++) {
                    for (int ox = 0; ox < cols; ox++) {
                        sum += patches[base + oy * cell + ox];
                    }
                }
                sums[b * channels + c] += sum;
            }
        }
        float[] y = new float[sums.length];
        for (int b = 0; b < plan.batch(); b++) {
            for (int c = 0; c < channels; c++) {
                y[b * channels + c] = (float) (sums[b * channels + c] / Math.max(counts[b], 1));
            }
        }
        return y;
    }

    /**
     * Multiplies each patch's outputs by its sample's sigmoid factors:
     * {@code y[p, c, :, :] = patches[p, c, :, :] / (1 + e^-scale[b_p, c])}.
     *
     * @param patches {@code (P, C2, S, S)}
     * @param plan the active patches
     * @param channels {@code C2}
     * @param scale the logits of the factors {@code (B, C2)}
     * @return {@code y (P, C2, S, S)}
     */
    public static float[] scalePatchesSigmoid(float[] patches, PatchPlan plan, int channels, float[] scale) {
        notNull("plan", plan);
        positive("channels", channels);
        requireLength("patches", patches, plan.patchElements(channels), "P x C2 x S x S");
        requireLength("scale", scale, (long) plan.batch() * channels, "B x C2");
        int area = plan.geometry().cellSize() * plan.geometry().cellSize();
        int[] list = plan.patches();
        float[] y = new float[patches.length];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            for (int c = 0; c < channels; c++) {
                double f = sigmoid(scale[b * channels + c]);
                int base = (p * channels + c) * area;
                for (int e = base; e < base + area; e++) {
                    y[e] = (float) (patches[e] * f);
                }
            }
        }
        return y;
    }

    // ------------------------------------------------------------------------------------------------ checks

    private static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }

    private static void requirePointwise(String name, FoldedConv conv) {
        notNull(name, conv);
        if (conv.kernel() != 1 || conv.groups() != 1) {
            throw new IllegalArgumentException(name + " must be an ungrouped 1x1 convolution, got " + conv);
        }
    }

    /** Requires {@code a} to hold exactly the elements of {@code shape}. */
    static void requireTensor(String name, float[] a, Nchw shape) {
        if (a == null || a.length != shape.size()) {
            throw new IllegalArgumentException(name + " must hold B*C*H*W = " + shape.size() + " values for shape "
                    + describe(shape) + ", got " + (a == null ? "null" : a.length));
        }
    }

    /** Requires {@code a} to hold exactly {@code expected} elements, described as {@code what}. */
    static void requireLength(String name, float[] a, long expected, String what) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(name + " must hold " + what + " = " + expected + " values, got "
                    + (a == null ? "null" : a.length));
        }
    }

    static String describe(Nchw s) {
        return "(" + s.batch() + ", " + s.channels() + ", " + s.height() + ", " + s.width() + ")";
    }

    private static int arraySize(long n, String what) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + " of " + n + " values do not fit in a Java array");
        }
        return (int) n;
    }
}
