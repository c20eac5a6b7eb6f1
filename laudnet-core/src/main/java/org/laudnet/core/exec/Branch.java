package org.laudnet.core.exec;

/**
 * The residual branch of a block on a (sub-)batch, with given branch weights (method section 1):
 *
 * <pre>
 *   bottleneck: h1 = ReLU(conv1(x)) [* cm];  h2 = ReLU(conv2(h1)) [* cm];  [h2 = h2 * sigmoid(se2(ReLU(se1(pool(h2)))))]
 *               y = [ReLU](conv3(h2) [+ residual])
 *   basic:      h1 = ReLU(conv1(x)) [* cm];  y = [ReLU](conv2(h1) [+ residual])
 * </pre>
 *
 * {@code cm} is the masked-dense form's channel mask {@code (B, w, 1, 1)} (null on sliced weights); {@code pool} is the
 * mean over the computed positions of {@code cells} ({@code M2}), or over every position when {@code cells} is null.
 */
final class Branch {

    private Branch() {}

    static <T> T run(BlockCall<T> c, T x, Nchw xs, BranchWeights bw, T channelMask, SpatialCells cells, T residual,
            boolean relu) {
        return run(c, x, xs, bw, channelMask, channelMask, cells, residual, relu, false);
    }

    /**
     * As {@link #run(BlockCall, Object, Nchw, BranchWeights, Object, SpatialCells, Object, boolean)}; with
     * {@code accumulate} the residual is no longer needed after the call, and the last convolution may add into it in
     * place ({@link Kernels#convAccumulate}), so that the result may be the residual's tensor.
     */
    static <T> T run(BlockCall<T> c, T x, Nchw xs, BranchWeights bw, T channelMask, SpatialCells cells, T residual,
            boolean relu, boolean accumulate) {
        return run(c, x, xs, bw, channelMask, channelMask, cells, residual, relu, accumulate);
    }

    /**
     * As {@link #run(BlockCall, Object, Nchw, BranchWeights, Object, SpatialCells, Object, boolean)} with separate
     * factors for conv1's and conv2's activated outputs ({@code (B, inner, 1, 1)} and {@code (B, conv2 outputs, 1,
     * 1)}, or null), for branches whose two activations differ in width ({@link BranchWeights#unionBeforeNorm});
     * {@code accumulate} as in the overload with one channel mask.
     */
    static <T> T run(BlockCall<T> c, T x, Nchw xs, BranchWeights bw, T mask1, T mask2, SpatialCells cells,
            T residual, boolean relu, boolean accumulate) {
        Kernels<T> k = c.k;
        T h1 = k.conv(x, xs, bw.c1(), null, true);
        Nchw s1 = new Nchw(xs.batch(), bw.inner(), bw.c1().spec().outSize(xs.height()),
                bw.c1().spec().outSize(xs.width()));
        if (mask1 != null) {
            h1 = k.scaleChannels(h1, s1, mask1, false);
        }
        c.lap("conv1");
        if (bw.c3() == null) {
            T y = last(k, h1, s1, bw.c2(), residual, relu, accumulate);
            c.lap("conv2");
            return y;
        }
        T h2 = k.conv(h1, s1, bw.c2(), null, true);
        Nchw s2 = new Nchw(xs.batch(), bw.c2().spec().outChannels(), bw.c2().spec().outSize(s1.height()),
                bw.c2().spec().outSize(s1.width()));
        if (mask2 != null) {
            h2 = k.scaleChannels(h2, s2, mask2, false);
        }
        c.lap("conv2");
        if (bw.se1() != null) {
            T pooled = cells == null ? k.mean(h2, s2) : k.maskedMean(h2, s2, cells);
            h2 = k.scaleChannels(h2, s2, excitation(k, pooled, s2.batch(), bw), true);
            c.lap("se");
        }
        T y = last(k, h2, s2, bw.c3(), residual, relu, accumulate);
        c.lap("conv3");
        return y;
    }

    /** The branch's last convolution, with the residual added into it in place where the caller allows. */
    private static <T> T last(Kernels<T> k, T h, Nchw hs, ConvWeights w, T residual, boolean relu,
            boolean accumulate) {
        return accumulate && residual != null ? k.convAccumulate(h, hs, w, residual, relu)
                : k.conv(h, hs, w, residual, relu);
    }

    /** The squeeze-excitation's logits {@code se2(ReLU(se1(pooled)))}: {@code (B, w, 1, 1)}. */
    static <T> T excitation(Kernels<T> k, T pooled, int batch, BranchWeights bw) {
        int w = bw.se1().spec().inChannels();
        int q = bw.se1().spec().outChannels();
        T z = k.conv(pooled, new Nchw(batch, w, 1, 1), bw.se1(), null, true);
        return k.conv(z, new Nchw(batch, q, 1, 1), bw.se2(), null, false);
    }
}
