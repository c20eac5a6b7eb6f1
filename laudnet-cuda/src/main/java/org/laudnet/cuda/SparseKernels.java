package org.laudnet.cuda;

import static org.laudnet.core.util.Checks.positive;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.reference.ReferenceOps;

/**
 * Typed launchers of the LAUDNet kernels ({@code laudnet_kernels.cu}): one method per kernel, each validating buffer
 * sizes on the host (an {@link IllegalArgumentException} names the offending buffer or parameter), computing the
 * launch, and queuing the kernel on the context's stream (asynchronous; {@link DeviceBuffer#downloadFloats(int)} or
 * {@link CudaContext#synchronize()} waits). Buffers may be larger than the launch needs (pooled workspaces); only the
 * leading elements are read and written.
 *
 * <p>The semantics of every launcher are those of the {@code org.laudnet.core.exec.reference.ReferenceOps} operation
 * named in its documentation (fp32 arithmetic instead of double accumulation). Index data (patch lists, sample lists,
 * mask cells) are int32 buffers on the device.
 *
 * <p>Thread safety: the launchers hold no mutable state; calls from several threads queue on the same stream (the
 * context's), in the order they are made.
 */
public final class SparseKernels {

    private final KernelModule module;
    private final Precision precision;

    /**
     * Creates the launchers.
     *
     * @param module the loaded kernels
     * @param precision arithmetic of the GEMM kernels
     * @throws IllegalArgumentException if an argument is null
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

    // ------------------------------------------------------------------------------------------------ spatial

    /**
     * Patch gather with halo fused with conv1 1x1 + bias + ReLU + out-of-image re-zero ({@code
     * ReferenceOps.gatherConv1x1Relu}).
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
                    + g.inWidth() + ") to match the plan, got " + xShape);
        }
        positive("c1", c1);
        need("x", x, xShape.size());
        need("patches", patches, 3L * plan.patchCount());
        need("w1", w1, (long) c1 * xShape.channels());
        need("b1", b1, c1);
        need("out", out, plan.windowElements(c1));
        long t = g.windowSize();
        Args a = new Args().buf(x).buf(patches).i(plan.patchCount()).i(xShape.channels()).i(g.inHeight())
                .i(g.inWidth()).i(g.cellSize()).i(g.stride()).buf(w1).buf(b1).i(c1).buf(out);
        module.launch(Kernel.select(Kernel.GATHER_CONV1X1_RELU_F32, Kernel.GATHER_CONV1X1_RELU_TC, precision),
                LaunchConfig.gemm(c1, plan.patchCount() * t * t, 1), a.pointer());
    }

    /**
     * conv2 3x3 (no padding, stride s, groups) + bias + ReLU on gathered windows ({@code
     * ReferenceOps.patchConv3x3Relu}).
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
        long s = g.cellSize();
        Args a = new Args().buf(in).i(plan.patchCount()).i(c1).i(g.cellSize()).i(g.stride()).i(groups).buf(w2)
                .buf(b2).i(c2).buf(out);
        module.launch(Kernel.select(Kernel.PATCH_CONV3X3_RELU_F32, Kernel.PATCH_CONV3X3_RELU_TC, precision),
                LaunchConfig.gemm(c2 / groups, plan.patchCount() * s * s, groups), a.pointer());
    }

    /**
     * conv3 1x1 + bias fused with the residual and ReLU, written at the patches' output positions:
     * {@code out[b, m, Y, X] = ReLU(identity[b, m, Y, X] + b3[m] + sum_c w3[m, c] in[p, c, oy, ox])} (positions
     * outside the output skipped, all other elements of {@code out} untouched).
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
        positive("c2", c2);
        Nchw os = plan.outputShape(cout);
        need("in", in, plan.patchElements(c2));
        need("patches", patches, 3L * plan.patchCount());
        need("w3", w3, (long) cout * c2);
        need("b3", b3, cout);
        need("identity", identity, os.size());
        need("out", out, os.size());
        long s = plan.geometry().cellSize();
        Args a = new Args().buf(in).buf(patches).i(plan.patchCount()).i(c2).i(plan.geometry().cellSize()).buf(w3)
                .buf(b3).i(cout).buf(identity).i(os.height()).i(os.width()).buf(out);
        module.launch(
                Kernel.select(Kernel.PATCH_CONV1X1_SCATTER_RELU_F32, Kernel.PATCH_CONV1X1_SCATTER_RELU_TC, precision),
                LaunchConfig.gemm(cout, plan.patchCount() * s * s, 1), a.pointer());
    }

    /**
     * Per sample, the mean of the patch outputs over their output positions inside the map ({@code
     * ReferenceOps.patchMeans}); 0 for a sample without patches.
     *
     * @param in {@code (P, C, S, S)}
     * @param plan the patch plan (patches listed sample-major, as {@link PatchPlan} lists them)
     * @param patches the plan's patch list on the device
     * @param channels {@code C}
     * @param y {@code (B, C)}
     */
    public void patchMeans(DeviceBuffer in, PatchPlan plan, DeviceBuffer patches, int channels, DeviceBuffer y) {
        positive("channels", channels);
        need("in", in, plan.patchElements(channels));
        need("patches", patches, 3L * plan.patchCount());
        need("y", y, (long) plan.batch() * channels);
        SpatialGeometry g = plan.geometry();
        Args a = new Args().buf(in).buf(patches).i(plan.patchCount()).i(channels).i(g.cellSize()).i(g.outHeight())
                .i(g.outWidth()).i(plan.batch()).buf(y);
        module.launch(Kernel.PATCH_MEANS, LaunchConfig.warpPerRow((long) plan.batch() * channels), a.pointer());
    }

    /**
     * Multiplies each patch's outputs by the sigmoid of its sample's factors ({@code
     * ReferenceOps.scalePatchesSigmoid}).
     *
     * @param in {@code (P, C, S, S)}
     * @param plan the patch plan
     * @param patches the plan's patch list on the device
     * @param channels {@code C}
     * @param scale the logits of the factors {@code (B, C)}
     * @param y {@code (P, C, S, S)}; may be the same buffer as {@code in}
     */
    public void scalePatchesSigmoid(DeviceBuffer in, PatchPlan plan, DeviceBuffer patches, int channels,
            DeviceBuffer scale, DeviceBuffer y) {
        positive("channels", channels);
        long n = plan.patchElements(channels);
        need("in", in, n);
        need("patches", patches, 3L * plan.patchCount());
        need("scale", scale, (long) plan.batch() * channels);
        need("y", y, n);
        Args a = new Args().buf(in).buf(patches).i(plan.patchCount()).i(channels).i(plan.geometry().cellSize())
                .buf(scale).buf(y);
        module.launch(Kernel.SCALE_PATCHES_SIGMOID, LaunchConfig.elementwise(n), a.pointer());
    }

    // ------------------------------------------------------------------------------------------------ masks

    /**
     * {@code out = ReLU(identity)} at every element whose cell is closed ({@code ReferenceOps.fillInactiveRelu}):
     * element {@code (b, c, y, x)} reads cell {@code (b, c / (C / gs), y / S, x / S)}.
     *
     * @param identity {@code (B, C, H, W)}
     * @param shape shape of {@code identity} and {@code out}
     * @param cells {@code (B, gs, m, m)} 0/1 ints on the device
     * @param groups {@code gs}, positive and dividing {@code C} (not checked here: the caller validates the cells
     *     with {@code KernelArgs.requireCells})
     * @param cellSize {@code S}, positive
     * @param gridSize {@code m}, positive; {@code S m} must cover {@code H} and {@code W}
     * @param out {@code (B, C, H, W)}; may be the same buffer as {@code identity}
     */
    public void fillInactiveRelu(DeviceBuffer identity, Nchw shape, DeviceBuffer cells, int groups, int cellSize,
            int gridSize, DeviceBuffer out) {
        need("identity", identity, shape.size());
        need("cells", cells, (long) shape.batch() * groups * gridSize * gridSize);
        need("out", out, shape.size());
        Args a = new Args().buf(identity).buf(cells).i(shape.batch()).i(shape.channels()).i(shape.height())
                .i(shape.width()).i(cellSize).i(gridSize).i(groups).buf(out);
        module.launch(Kernel.FILL_INACTIVE_RELU, LaunchConfig.elementwise(shape.size()), a.pointer());
    }

    /**
     * The mean over the positions any mask group keeps ({@code ReferenceOps.maskedMean}).
     *
     * @param h {@code (B, C, H, W)}
     * @param shape its shape
     * @param cells {@code (B, gs, m, m)} 0/1 ints on the device
     * @param groups {@code gs}, positive (not checked here: the caller validates the cells with
     *     {@code KernelArgs.requireCells})
     * @param cellSize {@code S}, positive
     * @param gridSize {@code m}, positive; {@code S m} must cover {@code H} and {@code W}
     * @param y {@code (B, C)}
     */
    public void maskedMean(DeviceBuffer h, Nchw shape, DeviceBuffer cells, int groups, int cellSize, int gridSize,
            DeviceBuffer y) {
        need("h", h, shape.size());
        need("cells", cells, (long) shape.batch() * groups * gridSize * gridSize);
        need("y", y, (long) shape.batch() * shape.channels());
        Args a = new Args().buf(h).i(shape.batch()).i(shape.channels()).i(shape.height()).i(shape.width()).buf(cells)
                .i(groups).i(gridSize).i(cellSize).buf(y);
        module.launch(Kernel.MASKED_MEAN, LaunchConfig.warpPerRow((long) shape.batch() * shape.channels()),
                a.pointer());
    }

    // ------------------------------------------------------------------------------------------------ samples

    /**
     * Layer skipping: {@code dst[i] = src[idx[i]]} per sample ({@code ReferenceOps.gatherSamples}).
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
     * Layer skipping: {@code out[idx[i]] = ReLU(identity[idx[i]] + branch[i])} per sample ({@code
     * ReferenceOps.scatterSamplesResidualRelu}).
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

    // ------------------------------------------------------------------------------------------------ dense

    /**
     * Dense convolution {@code y = act(conv(x, w, stride, pad, groups) + bias + residual)} ({@code
     * ReferenceOps.conv2d}).
     *
     * @param x {@code (B, Cin, H, W)}
     * @param xShape shape of {@code x}
     * @param w {@code (Cout, Cin / g, kh, kw)}
     * @param bias {@code (Cout)}
     * @param cout {@code Cout}
     * @param kh kernel height
     * @param kw kernel width
     * @param stride stride
     * @param pad zero padding
     * @param groups {@code g}
     * @param residual {@code (B, Cout, Ho, Wo)} or {@code null}
     * @param relu whether to apply ReLU
     * @param y {@code (B, Cout, Ho, Wo)}
     */
    public void conv2d(DeviceBuffer x, Nchw xShape, DeviceBuffer w, DeviceBuffer bias, int cout, int kh, int kw,
            int stride, int pad, int groups, DeviceBuffer residual, boolean relu, DeviceBuffer y) {
        requireGroups(xShape.channels(), cout, groups);
        Nchw ys = new Nchw(xShape.batch(), cout, ReferenceOps.outSize(xShape.height(), kh, stride, pad),
                ReferenceOps.outSize(xShape.width(), kw, stride, pad));
        need("x", x, xShape.size());
        need("w", w, (long) cout * (xShape.channels() / groups) * kh * kw);
        need("bias", bias, cout);
        if (residual != null) {
            need("residual", residual, ys.size());
        }
        need("y", y, ys.size());
        Args a = new Args().buf(x).i(xShape.batch()).i(xShape.channels()).i(xShape.height()).i(xShape.width()).buf(w)
                .buf(bias);
        a.i(cout).i(kh).i(kw).i(stride).i(pad).i(groups);
        if (residual == null) {
            a.nullBuf();
        } else {
            a.buf(residual);
        }
        a.i(relu ? 1 : 0).buf(y).i(ys.height()).i(ys.width());
        module.launch(Kernel.select(Kernel.CONV2D_F32, Kernel.CONV2D_TC, precision),
                LaunchConfig.gemm(cout / groups, (long) ys.batch() * ys.height() * ys.width(), groups), a.pointer());
    }

    /**
     * Max pooling with {@code -inf} padding ({@code ReferenceOps.maxPool2d}).
     *
     * @param x {@code (B, C, H, W)}
     * @param xShape shape of {@code x}
     * @param k window side
     * @param stride stride
     * @param pad padding, at most {@code k / 2}
     * @param y {@code (B, C, Ho, Wo)}
     */
    public void maxPool2d(DeviceBuffer x, Nchw xShape, int k, int stride, int pad, DeviceBuffer y) {
        if (pad < 0 || pad > k / 2) {
            throw new IllegalArgumentException("pad must be in [0, k / 2 = " + k / 2 + "], got " + pad);
        }
        Nchw ys = new Nchw(xShape.batch(), xShape.channels(), ReferenceOps.outSize(xShape.height(), k, stride, pad),
                ReferenceOps.outSize(xShape.width(), k, stride, pad));
        need("x", x, xShape.size());
        need("y", y, ys.size());
        Args a = new Args().buf(x).i(xShape.batch()).i(xShape.channels()).i(xShape.height()).i(xShape.width()).i(k)
                .i(stride).i(pad).buf(y).i(ys.height()).i(ys.width());
        module.launch(Kernel.MAXPOOL2D, LaunchConfig.elementwise(ys.size()), a.pointer());
    }

    /**
     * Average pooling over non-overlapping {@code k x k} windows ({@code ReferenceOps.avgPool2d}).
     *
     * @param x {@code (B, C, H, W)}
     * @param xShape shape of {@code x}
     * @param k window side and stride, positive and dividing {@code H} and {@code W} (not checked here: the caller
     *     validates it)
     * @param y {@code (B, C, H / k, W / k)}
     */
    public void avgPool2d(DeviceBuffer x, Nchw xShape, int k, DeviceBuffer y) {
        Nchw ys = new Nchw(xShape.batch(), xShape.channels(), xShape.height() / k, xShape.width() / k);
        need("x", x, xShape.size());
        need("y", y, ys.size());
        Args a = new Args().buf(x).i(xShape.batch()).i(xShape.channels()).i(xShape.height()).i(xShape.width()).i(k)
                .buf(y);
        module.launch(Kernel.AVGPOOL2D, LaunchConfig.elementwise(ys.size()), a.pointer());
    }

    /**
     * Global average pooling {@code y[r] = mean_e x[r, e]} ({@code ReferenceOps.globalAvgPool} with
     * {@code rows = B C}).
     *
     * @param x {@code (rows, hw)}
     * @param rows rows, e.g. {@code B C}
     * @param hw elements per row, e.g. {@code H W}
     * @param y {@code (rows)}
     */
    public void globalAvgPool(DeviceBuffer x, int rows, int hw, DeviceBuffer y) {
        positive("rows", rows);
        positive("hw", hw);
        need("x", x, (long) rows * hw);
        need("y", y, rows);
        Args a = new Args().buf(x).i(rows).i(hw).buf(y);
        module.launch(Kernel.GLOBAL_AVG_POOL, LaunchConfig.warpPerRow(rows), a.pointer());
    }

    /**
     * {@code y = max(x, 0)} element-wise ({@code ReferenceOps.relu}).
     *
     * @param x {@code n} values
     * @param n element count
     * @param y {@code n} values; may be the same buffer as {@code x}
     */
    public void relu(DeviceBuffer x, int n, DeviceBuffer y) {
        positive("n", n);
        need("x", x, n);
        need("y", y, n);
        Args a = new Args().buf(x).i(n).buf(y);
        module.launch(Kernel.RELU, LaunchConfig.elementwise(n), a.pointer());
    }

    /**
     * Per-channel scaling {@code y[r, e] = h[r, e] f(scale[r])}, {@code f} the identity or the sigmoid ({@code
     * ReferenceOps.scaleChannels} with {@code rows = B C}, {@code hw = H W}).
     *
     * @param h {@code (rows, hw)}
     * @param rows rows
     * @param hw elements per row
     * @param scale {@code (rows)}
     * @param sigmoid whether to apply the sigmoid to the factors
     * @param y {@code (rows, hw)}; may be the same buffer as {@code h}
     */
    public void scaleChannels(DeviceBuffer h, int rows, int hw, DeviceBuffer scale, boolean sigmoid,
            DeviceBuffer y) {
        positive("rows", rows);
        positive("hw", hw);
        long n = (long) rows * hw;
        need("h", h, n);
        need("scale", scale, rows);
        need("y", y, n);
        Args a = new Args().buf(h).i(rows).i(hw).buf(scale).i(sigmoid ? 1 : 0).buf(y);
        module.launch(Kernel.SCALE_CHANNELS, LaunchConfig.elementwise(n), a.pointer());
    }

    // ------------------------------------------------------------------------------------------------ checks

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
