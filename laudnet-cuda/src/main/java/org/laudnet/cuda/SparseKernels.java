package org.laudnet.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Typed launchers of the LAUDNet kernels: one method per kernel, each validating buffer sizes on the host (an
 * {@link IllegalArgumentException} names the offending buffer), computing the launch from the plans, and queuing the
 * kernel on the context's stream (asynchronous; {@link DeviceBuffer#downloadFloats()} or
 * {@link CudaContext#synchronize()} waits). Semantics of every method are those of the {@link CpuKernels} method of
 * the same name.
 *
 * <p>A spatially sparse bottleneck (method section 4) is {@link #gatherConv1x1Relu} -> {@link #patchConv3x3Relu} ->
 * {@link #patchConv1x1ScatterRelu} plus {@link #fillInactiveRelu} for the positions whose cell is off. Channel skipping
 * slices the weights with {@link #weightGather} and runs the same kernels with fewer channels. Layer skipping is
 * {@link #gatherSamples}, the dense branch on the compact batch ({@link #conv2d}), and
 * {@link #scatterSamplesResidualRelu}.
 */
public final class SparseKernels {

    private final KernelModule module;
    private final Precision precision;

    /**
     * Creates the launchers.
     *
     * @param module the loaded kernels
     * @param precision arithmetic of the GEMM kernels
     */
    public SparseKernels(KernelModule module, Precision precision) {
        if (module == null) {
            throw new IllegalArgumentException("module must not be null");
        }
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        this.module = module;
        this.precision = precision;
    }

    /** Returns the GEMM arithmetic in use. */
    public Precision precision() {
        return precision;
    }

    /**
     * Patch gather with halo fused with conv1 1x1 + bias + ReLU + out-of-image re-zero.
     *
     * @param x block input {@code (B, Cin, H, W)}
     * @param xShape shape of {@code x}, matching the plan
     * @param plan the patch plan
     * @param patches the plan's patch list on the device ({@code 3 P} ints)
     * @param w1 {@code (C1, Cin)}
     * @param b1 {@code (C1)}
     * @param c1 {@code C1}
     * @param out {@code (P, C1, T, T)}
     */
    public void gatherConv1x1Relu(DeviceBuffer x, Nchw xShape, PatchPlan plan, DeviceBuffer patches, DeviceBuffer w1,
            DeviceBuffer b1, int c1, DeviceBuffer out) {
        SpatialGeometry g = plan.geometry();
        if (xShape.batch() != plan.batch() || xShape.height() != g.inHeight() || xShape.width() != g.inWidth()) {
            throw new IllegalArgumentException("xShape must be (" + plan.batch() + ", C, " + g.inHeight() + ", "
                    + g.inWidth() + "), got " + xShape);
        }
        need("x", x, xShape.size());
        need("patches", patches, 3L * plan.patchCount());
        need("w1", w1, (long) c1 * xShape.channels());
        need("b1", b1, c1);
        need("out", out, plan.windowElements(c1));
        Args a = new Args().buf(x).buf(patches).i(plan.patchCount()).i(xShape.channels()).i(g.inHeight())
                .i(g.inWidth()).i(g.cellSize()).i(g.stride()).buf(w1).buf(b1).i(c1).buf(out);
        module.launch(Kernel.select(Kernel.GATHER_CONV1X1_RELU_F32, Kernel.GATHER_CONV1X1_RELU_TC, precision),
                plan.gatherConv1x1Launch(c1), a.pointer());
    }

    /**
     * conv2 3x3 (no padding, stride s, groups) + bias + ReLU on gathered windows.
     *
     * @param in {@code (P, C1, T, T)}
     * @param plan the patch plan
     * @param c1 {@code C1}
     * @param groups {@code g}
     * @param w2 {@code (C2, C1 / g, 3, 3)}
     * @param b2 {@code (C2)}
     * @param c2 {@code C2}
     * @param out {@code (P, C2, S, S)}
     */
    public void patchConv3x3Relu(DeviceBuffer in, PatchPlan plan, int c1, int groups, DeviceBuffer w2,
            DeviceBuffer b2, int c2, DeviceBuffer out) {
        requireGroups(c1, c2, groups);
        need("in", in, plan.windowElements(c1));
        need("w2", w2, (long) c2 * (c1 / groups) * 9);
        need("b2", b2, c2);
        need("out", out, plan.patchElements(c2));
        SpatialGeometry g = plan.geometry();
        Args a = new Args().buf(in).i(plan.patchCount()).i(c1).i(g.cellSize()).i(g.stride()).i(groups).buf(w2)
                .buf(b2).i(c2).buf(out);
        module.launch(Kernel.select(Kernel.PATCH_CONV3X3_RELU_F32, Kernel.PATCH_CONV3X3_RELU_TC, precision),
                plan.patchConv3x3Launch(c2, groups), a.pointer());
    }

    /**
     * conv3 1x1 + bias fused with scatter-add into the identity and ReLU at the patches' output positions.
     *
     * @param in {@code (P, C2, S, S)}
     * @param plan the patch plan
     * @param patches the plan's patch list on the device
     * @param c2 {@code C2}
     * @param w3 {@code (Cout, C2)}
     * @param b3 {@code (Cout)}
     * @param cout {@code Cout}
     * @param identity {@code (B, Cout, Hout, Wout)}
     * @param out {@code (B, Cout, Hout, Wout)}; may be the same buffer as {@code identity}
     */
    public void patchConv1x1ScatterRelu(DeviceBuffer in, PatchPlan plan, DeviceBuffer patches, int c2,
            DeviceBuffer w3, DeviceBuffer b3, int cout, DeviceBuffer identity, DeviceBuffer out) {
        Nchw os = plan.outputShape(cout);
        need("in", in, plan.patchElements(c2));
        need("patches", patches, 3L * plan.patchCount());
        need("w3", w3, (long) cout * c2);
        need("b3", b3, cout);
        need("identity", identity, os.size());
        need("out", out, os.size());
        Args a = new Args().buf(in).buf(patches).i(plan.patchCount()).i(c2).i(plan.geometry().cellSize()).buf(w3)
                .buf(b3).i(cout).buf(identity).i(os.height()).i(os.width()).buf(out);
        module.launch(
                Kernel.select(Kernel.PATCH_CONV1X1_SCATTER_RELU_F32, Kernel.PATCH_CONV1X1_SCATTER_RELU_TC, precision),
                plan.patchConv1x1ScatterLaunch(cout), a.pointer());
    }

    /**
     * {@code out = ReLU(identity)} at the positions whose mask cell is 0.
     *
     * @param identity {@code (B, C, H, W)}
     * @param shape shape of {@code identity} and {@code out}
     * @param mask {@code (B, m, m)} ints on the device
     * @param cellSize {@code S}
     * @param gridSize {@code m}; {@code S m} must cover {@code H} and {@code W}
     * @param out {@code (B, C, H, W)}; may be the same buffer as {@code identity}
     */
    public void fillInactiveRelu(DeviceBuffer identity, Nchw shape, DeviceBuffer mask, int cellSize, int gridSize,
            DeviceBuffer out) {
        if (cellSize <= 0 || gridSize <= 0 || (long) cellSize * gridSize < Math.max(shape.height(), shape.width())) {
            throw new IllegalArgumentException("cellSize * gridSize must cover H and W of " + shape + ", got cellSize "
                    + cellSize + ", gridSize " + gridSize);
        }
        need("identity", identity, shape.size());
        need("mask", mask, (long) shape.batch() * gridSize * gridSize);
        need("out", out, shape.size());
        Args a = new Args().buf(identity).buf(mask).i(shape.batch()).i(shape.channels()).i(shape.height())
                .i(shape.width()).i(cellSize).i(gridSize).buf(out);
        module.launch(Kernel.FILL_INACTIVE_RELU, LaunchConfig.elementwise(shape.size()), a.pointer());
    }

    /**
     * Channel-group weight slice {@code dst[o, i, r] = w[outIdx[o], inIdx[i], r]}.
     *
     * @param w {@code (Cout, Cin, kk)}
     * @param cout {@code Cout}
     * @param cin {@code Cin}
     * @param kk kernel area
     * @param outIdx {@code nOut} ints on the device
     * @param nOut number of gathered output channels
     * @param inIdx {@code nIn} ints on the device, or {@code null} for all input channels ({@code nIn = Cin})
     * @param nIn number of gathered input channels
     * @param dst {@code (nOut, nIn, kk)}
     */
    public void weightGather(DeviceBuffer w, int cout, int cin, int kk, DeviceBuffer outIdx, int nOut,
            DeviceBuffer inIdx, int nIn, DeviceBuffer dst) {
        need("w", w, (long) cout * cin * kk);
        need("outIdx", outIdx, nOut);
        if (inIdx == null && nIn != cin) {
            throw new IllegalArgumentException("nIn must equal cin = " + cin + " when inIdx is null, got " + nIn);
        }
        if (inIdx != null) {
            need("inIdx", inIdx, nIn);
        }
        need("dst", dst, (long) nOut * nIn * kk);
        Args a = new Args().buf(w).i(cin).i(kk).buf(outIdx).i(nOut);
        if (inIdx == null) {
            a.nullBuf();
        } else {
            a.buf(inIdx);
        }
        a.i(nIn).buf(dst);
        module.launch(Kernel.WEIGHT_GATHER, ChannelSelection.weightGatherLaunch(nOut, nIn, kk), a.pointer());
    }

    /**
     * Layer skipping: {@code dst[i] = src[idx[i]]} per sample.
     *
     * @param src {@code (B, perSample)}
     * @param batch {@code B}
     * @param idx {@code n} sample indices on the device
     * @param n number of gathered samples
     * @param perSample elements per sample
     * @param dst {@code (n, perSample)}
     */
    public void gatherSamples(DeviceBuffer src, int batch, DeviceBuffer idx, int n, int perSample, DeviceBuffer dst) {
        need("src", src, (long) batch * perSample);
        need("idx", idx, n);
        need("dst", dst, (long) n * perSample);
        Args a = new Args().buf(src).buf(idx).i(n).i(perSample).buf(dst);
        module.launch(Kernel.GATHER_SAMPLES, LaunchConfig.elementwise((long) n * perSample), a.pointer());
    }

    /**
     * Layer skipping: {@code out[idx[i]] = ReLU(identity[idx[i]] + branch[i])} per sample.
     *
     * @param branch {@code (n, perSample)}
     * @param idx {@code n} sample indices on the device
     * @param n number of samples
     * @param perSample elements per sample
     * @param identity {@code (B, perSample)}
     * @param batch {@code B}
     * @param out {@code (B, perSample)}; may be the same buffer as {@code identity}
     */
    public void scatterSamplesResidualRelu(DeviceBuffer branch, DeviceBuffer idx, int n, int perSample,
            DeviceBuffer identity, int batch, DeviceBuffer out) {
        need("branch", branch, (long) n * perSample);
        need("idx", idx, n);
        need("identity", identity, (long) batch * perSample);
        need("out", out, (long) batch * perSample);
        Args a = new Args().buf(branch).buf(idx).i(n).i(perSample).buf(identity).buf(out);
        module.launch(Kernel.SCATTER_SAMPLES_RESIDUAL_RELU, LaunchConfig.elementwise((long) n * perSample),
                a.pointer());
    }

    /**
     * Dense convolution {@code y = act(conv(x, w, stride, pad, groups) + bias + residual)}.
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
     * @param y {@code (B, Cout, Ho, Wo)}
     * @return the output shape {@code (B, Cout, Ho, Wo)}
     */
    public Nchw conv2d(DeviceBuffer x, Nchw xShape, DeviceBuffer w, DeviceBuffer bias, int cout, int kh, int kw,
            int stride, int pad, int groups, DeviceBuffer residual, boolean relu, DeviceBuffer y) {
        requireGroups(xShape.channels(), cout, groups);
        Nchw ys = new Nchw(xShape.batch(), cout, CpuKernels.outSize(xShape.height(), kh, stride, pad),
                CpuKernels.outSize(xShape.width(), kw, stride, pad));
        need("x", x, xShape.size());
        need("w", w, (long) cout * (xShape.channels() / groups) * kh * kw);
        if (bias != null) {
            need("bias", bias, cout);
        }
        if (residual != null) {
            need("residual", residual, ys.size());
        }
        need("y", y, ys.size());
        Args a = new Args().buf(x).i(xShape.batch()).i(xShape.channels()).i(xShape.height()).i(xShape.width()).buf(w);
        if (bias == null) {
            a.nullBuf();
        } else {
            a.buf(bias);
        }
        a.i(cout).i(kh).i(kw).i(stride).i(pad).i(groups);
        if (residual == null) {
            a.nullBuf();
        } else {
            a.buf(residual);
        }
        a.i(relu ? 1 : 0).buf(y).i(ys.height()).i(ys.width());
        module.launch(Kernel.select(Kernel.CONV2D_F32, Kernel.CONV2D_TC, precision),
                LaunchConfig.gemm(cout / groups, (long) ys.batch() * ys.height() * ys.width(), groups), a.pointer());
        return ys;
    }

    /**
     * Fully connected layer {@code y[b, n] = bias[n] + sum_k w[n, k] x[b, k]}, run as a 1x1 convolution.
     *
     * @param x {@code (B, K)}
     * @param batch {@code B}
     * @param k {@code K}
     * @param w {@code (N, K)}
     * @param bias {@code (N)} or {@code null}
     * @param n {@code N}
     * @param y {@code (B, N)}
     */
    public void linear(DeviceBuffer x, int batch, int k, DeviceBuffer w, DeviceBuffer bias, int n, DeviceBuffer y) {
        conv2d(x, new Nchw(batch, k, 1, 1), w, bias, n, 1, 1, 1, 0, 1, null, false, y);
    }

    /**
     * Max pooling with {@code -inf} padding.
     *
     * @param x {@code (B, C, H, W)}
     * @param xShape shape of {@code x}
     * @param k window side
     * @param stride stride
     * @param pad padding
     * @param y {@code (B, C, Ho, Wo)}
     * @return the output shape
     */
    public Nchw maxPool2d(DeviceBuffer x, Nchw xShape, int k, int stride, int pad, DeviceBuffer y) {
        Nchw ys = new Nchw(xShape.batch(), xShape.channels(), CpuKernels.outSize(xShape.height(), k, stride, pad),
                CpuKernels.outSize(xShape.width(), k, stride, pad));
        need("x", x, xShape.size());
        need("y", y, ys.size());
        Args a = new Args().buf(x).i(xShape.batch()).i(xShape.channels()).i(xShape.height()).i(xShape.width()).i(k)
                .i(stride).i(pad).buf(y).i(ys.height()).i(ys.width());
        module.launch(Kernel.MAXPOOL2D, LaunchConfig.elementwise(ys.size()), a.pointer());
        return ys;
    }

    /**
     * Global average pooling {@code y[r] = mean_e x[r, e]}.
     *
     * @param x {@code (rows, hw)}
     * @param rows rows, e.g. {@code B C}
     * @param hw elements per row, e.g. {@code H W}
     * @param y {@code (rows)}
     */
    public void globalAvgPool(DeviceBuffer x, int rows, int hw, DeviceBuffer y) {
        if (rows <= 0 || hw <= 0) {
            throw new IllegalArgumentException("rows and hw must be positive, got " + rows + ", " + hw);
        }
        need("x", x, (long) rows * hw);
        need("y", y, rows);
        Args a = new Args().buf(x).i(rows).i(hw).buf(y);
        module.launch(Kernel.GLOBAL_AVG_POOL, LaunchConfig.warpPerRow(rows), a.pointer());
    }

    private void need(String name, DeviceBuffer b, long elements) {
        if (b == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (b.context() != module.context()) {
            throw new IllegalArgumentException(name + " belongs to another CudaContext");
        }
        if (b.elements() < elements) {
            throw new IllegalArgumentException(
                    name + " must hold at least " + elements + " elements, got " + b.elements());
        }
    }

    private static void requireGroups(int cin, int cout, int groups) {
        if (groups <= 0 || cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException("groups must divide input channels " + cin + " and output channels "
                    + cout + ", got " + groups);
        }
    }

    /** Kernel parameter list in declaration order. */
    private static final class Args {
        private final List<Pointer> list = new ArrayList<>();

        Args buf(DeviceBuffer b) {
            list.add(Pointer.to(b.pointer()));
            return this;
        }

        Args nullBuf() {
            list.add(Pointer.to(new CUdeviceptr()));
            return this;
        }

        Args i(int v) {
            list.add(Pointer.to(new int[] {v}));
            return this;
        }

        Pointer pointer() {
            return Pointer.to(list.toArray(new Pointer[0]));
        }
    }
}
