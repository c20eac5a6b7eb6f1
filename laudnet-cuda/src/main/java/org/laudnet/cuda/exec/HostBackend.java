package org.laudnet.cuda.exec;

import java.util.Arrays;
import org.laudnet.cuda.CpuKernels;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;

/**
 * The plain-Java backend: every operation is the {@link CpuKernels} reference (double accumulation). Workspaces are
 * fresh arrays of exactly the requested size, so no role is ever shared.
 */
final class HostBackend implements Backend<HostBackend.Tensor> {

    /** A host tensor: floats, or ints for masks and index lists. */
    static final class Tensor {
        final float[] f;
        final int[] i;

        Tensor(float[] f, int[] i) {
            this.f = f;
            this.i = i;
        }
    }

    @Override
    public Tensor persistent(float[] host) {
        return new Tensor(host.clone(), null);
    }

    @Override
    public Tensor persistent(long n) {
        return new Tensor(new float[Math.toIntExact(n)], null);
    }

    @Override
    public Tensor workspace(String role, long n) {
        float[] a = new float[Math.toIntExact(n)];
        Arrays.fill(a, Float.NaN);
        return new Tensor(a, null);
    }

    @Override
    public Tensor workspaceInts(String role, int[] host) {
        return new Tensor(null, host.clone());
    }

    @Override
    public float[] read(Tensor t, int n) {
        return Arrays.copyOf(t.f, n);
    }

    @Override
    public void conv2d(Tensor x, Nchw xs, Tensor w, Tensor bias, int cout, int k, int stride, int pad, int groups,
            Tensor residual, boolean relu, Tensor y) {
        float[] r = CpuKernels.conv2d(x.f, xs, w.f, bias == null ? null : bias.f, cout, k, k, stride, pad, groups,
                residual == null ? null : residual.f, relu);
        copy(r, y);
    }

    @Override
    public void gatherConv1x1Relu(Tensor x, Nchw xs, PatchPlan plan, Tensor patches, Tensor w1, Tensor b1, int c1,
            Tensor out) {
        copy(CpuKernels.gatherConv1x1Relu(x.f, xs, plan, w1.f, b1.f, c1), out);
    }

    @Override
    public void patchConv3x3Relu(Tensor in, PatchPlan plan, int c1, int groups, Tensor w2, Tensor b2, int c2,
            Tensor out) {
        copy(CpuKernels.patchConv3x3Relu(in.f, plan, c1, groups, w2.f, b2.f, c2), out);
    }

    @Override
    public void patchConv1x1ScatterRelu(Tensor in, PatchPlan plan, Tensor patches, int c2, Tensor w3, Tensor b3,
            int cout, Tensor identity, Tensor out) {
        CpuKernels.patchConv1x1ScatterRelu(in.f, plan, c2, w3.f, b3.f, cout, identity.f, out.f);
    }

    @Override
    public void fillInactiveRelu(Tensor identity, Nchw shape, Tensor mask, int[] maskHost, int cellSize,
            int gridSize, Tensor out) {
        CpuKernels.fillInactiveRelu(identity.f, shape, maskHost, cellSize, gridSize, out.f);
    }

    @Override
    public void weightGather(Tensor w, int cout, int cin, int kk, Tensor outIdx, int[] outHost, Tensor inIdx,
            int[] inHost, Tensor dst) {
        copy(CpuKernels.weightGather(w.f, cin, kk, outHost, inHost), dst);
    }

    @Override
    public void gatherSamples(Tensor src, int batch, Tensor idx, int[] idxHost, int perSample, Tensor dst) {
        copy(CpuKernels.gatherSamples(src.f, idxHost, perSample), dst);
    }

    @Override
    public void scatterSamplesResidualRelu(Tensor branch, Tensor idx, int[] idxHost, int perSample, Tensor identity,
            int batch, Tensor out) {
        CpuKernels.scatterSamplesResidualRelu(branch.f, idxHost, perSample, identity.f, out.f);
    }

    @Override
    public Nchw maxPool2d(Tensor x, Nchw xs, int k, int stride, int pad, Tensor y) {
        copy(CpuKernels.maxPool2d(x.f, xs, k, stride, pad), y);
        return new Nchw(xs.batch(), xs.channels(), CpuKernels.outSize(xs.height(), k, stride, pad),
                CpuKernels.outSize(xs.width(), k, stride, pad));
    }

    @Override
    public void globalAvgPool(Tensor x, int rows, int hw, Tensor y) {
        copy(CpuKernels.globalAvgPool(x.f, rows, hw), y);
    }

    private static void copy(float[] src, Tensor dst) {
        if (dst.f.length < src.length) {
            throw new IllegalArgumentException("destination must hold " + src.length + " elements, got "
                    + dst.f.length);
        }
        System.arraycopy(src, 0, dst.f, 0, src.length);
    }

    @Override
    public void close() {
        // Host arrays are reclaimed by the garbage collector.
    }
}
