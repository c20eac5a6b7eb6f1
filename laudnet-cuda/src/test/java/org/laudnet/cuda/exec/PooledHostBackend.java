package org.laudnet.cuda.exec;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.laudnet.cuda.CpuKernels;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;

/**
 * A host backend with the buffer semantics of the CUDA backend: one buffer per workspace role, reused and only grown,
 * at least as large as requested; every workspace request poisons the whole buffer with NaN (contents undefined) and
 * int workspaces keep a stale tail; persistent allocations start as NaN; kernels read index lists from the int buffers,
 * not from the host arrays. An engine that reads a role after requesting it again, relies on zeroed memory or on an
 * exact buffer length fails here as it would on the GPU.
 */
final class PooledHostBackend implements Backend<HostBackend.Tensor> {

    private final Map<String, HostBackend.Tensor> pool = new HashMap<>();
    private final Map<String, HostBackend.Tensor> intPool = new HashMap<>();
    int requests;

    @Override
    public HostBackend.Tensor persistent(float[] host) {
        return new HostBackend.Tensor(host.clone(), null);
    }

    @Override
    public HostBackend.Tensor persistent(long n) {
        float[] a = new float[Math.toIntExact(n) + 3];
        Arrays.fill(a, Float.NaN);
        return new HostBackend.Tensor(a, null);
    }

    @Override
    public HostBackend.Tensor workspace(String role, long n) {
        requests++;
        HostBackend.Tensor t = pool.get(role);
        if (t == null || t.f.length < n) {
            t = new HostBackend.Tensor(new float[Math.toIntExact(n) + 5], null);
            pool.put(role, t);
        }
        Arrays.fill(t.f, Float.NaN);
        return t;
    }

    @Override
    public HostBackend.Tensor workspaceInts(String role, int[] host) {
        HostBackend.Tensor t = intPool.get(role);
        if (t == null || t.i.length < host.length) {
            int[] a = new int[host.length + 7];
            Arrays.fill(a, -12345);
            t = new HostBackend.Tensor(null, a);
            intPool.put(role, t);
        }
        System.arraycopy(host, 0, t.i, 0, host.length);
        return t;
    }

    @Override
    public float[] read(HostBackend.Tensor t, int n) {
        return Arrays.copyOf(t.f, n);
    }

    private static float[] in(HostBackend.Tensor t, long n) {
        if (t.f.length < n) {
            throw new IllegalArgumentException("tensor holds " + t.f.length + " < " + n + " elements");
        }
        return Arrays.copyOf(t.f, (int) n);
    }

    private static int[] ints(HostBackend.Tensor t, int[] host) {
        int[] v = Arrays.copyOf(t.i, host.length);
        if (!Arrays.equals(v, host)) {
            throw new IllegalStateException("the int buffer does not hold the host list");
        }
        return v;
    }

    private static void out(float[] src, HostBackend.Tensor dst) {
        if (dst.f.length < src.length) {
            throw new IllegalArgumentException("destination holds " + dst.f.length + " < " + src.length);
        }
        System.arraycopy(src, 0, dst.f, 0, src.length);
    }

    @Override
    public void conv2d(HostBackend.Tensor x, Nchw xs, HostBackend.Tensor w, HostBackend.Tensor bias, int cout, int k,
            int stride, int pad, int groups, HostBackend.Tensor residual, boolean relu, HostBackend.Tensor y) {
        int ho = CpuKernels.outSize(xs.height(), k, stride, pad);
        int wo = CpuKernels.outSize(xs.width(), k, stride, pad);
        long ys = (long) xs.batch() * cout * ho * wo;
        float[] r = CpuKernels.conv2d(in(x, xs.size()), xs, in(w, (long) cout * (xs.channels() / groups) * k * k),
                bias == null ? null : in(bias, cout), cout, k, k, stride, pad, groups,
                residual == null ? null : in(residual, ys), relu);
        out(r, y);
    }

    @Override
    public void gatherConv1x1Relu(HostBackend.Tensor x, Nchw xs, PatchPlan plan, HostBackend.Tensor patches,
            HostBackend.Tensor w1, HostBackend.Tensor b1, int c1, HostBackend.Tensor o) {
        ints(patches, plan.patches());
        out(CpuKernels.gatherConv1x1Relu(in(x, xs.size()), xs, plan, in(w1, (long) c1 * xs.channels()), in(b1, c1),
                c1), o);
    }

    @Override
    public void patchConv3x3Relu(HostBackend.Tensor i, PatchPlan plan, int c1, int groups, HostBackend.Tensor w2,
            HostBackend.Tensor b2, int c2, HostBackend.Tensor o) {
        out(CpuKernels.patchConv3x3Relu(in(i, plan.windowElements(c1)), plan, c1, groups,
                in(w2, (long) c2 * (c1 / groups) * 9), in(b2, c2), c2), o);
    }

    @Override
    public void patchConv1x1ScatterRelu(HostBackend.Tensor i, PatchPlan plan, HostBackend.Tensor patches, int c2,
            HostBackend.Tensor w3, HostBackend.Tensor b3, int cout, HostBackend.Tensor identity,
            HostBackend.Tensor o) {
        ints(patches, plan.patches());
        Nchw os = plan.outputShape(cout);
        float[] buf = in(o, os.size());
        CpuKernels.patchConv1x1ScatterRelu(in(i, plan.patchElements(c2)), plan, c2, in(w3, (long) cout * c2),
                in(b3, cout), cout, in(identity, os.size()), buf);
        out(buf, o);
    }

    @Override
    public void fillInactiveRelu(HostBackend.Tensor identity, Nchw shape, HostBackend.Tensor mask, int[] maskHost,
            int cellSize, int gridSize, HostBackend.Tensor o) {
        float[] buf = in(o, shape.size());
        CpuKernels.fillInactiveRelu(in(identity, shape.size()), shape, ints(mask, maskHost), cellSize, gridSize, buf);
        out(buf, o);
    }

    @Override
    public void weightGather(HostBackend.Tensor w, int cout, int cin, int kk, HostBackend.Tensor outIdx,
            int[] outHost, HostBackend.Tensor inIdx, int[] inHost, HostBackend.Tensor dst) {
        out(CpuKernels.weightGather(in(w, (long) cout * cin * kk), cin, kk, ints(outIdx, outHost),
                inIdx == null ? null : ints(inIdx, inHost)), dst);
    }

    @Override
    public void gatherSamples(HostBackend.Tensor src, int batch, HostBackend.Tensor idx, int[] idxHost,
            int perSample, HostBackend.Tensor dst) {
        out(CpuKernels.gatherSamples(in(src, (long) batch * perSample), ints(idx, idxHost), perSample), dst);
    }

    @Override
    public void scatterSamplesResidualRelu(HostBackend.Tensor branch, HostBackend.Tensor idx, int[] idxHost,
            int perSample, HostBackend.Tensor identity, int batch, HostBackend.Tensor o) {
        float[] buf = in(o, (long) batch * perSample);
        CpuKernels.scatterSamplesResidualRelu(in(branch, (long) idxHost.length * perSample), ints(idx, idxHost),
                perSample, in(identity, (long) batch * perSample), buf);
        out(buf, o);
    }

    @Override
    public Nchw maxPool2d(HostBackend.Tensor x, Nchw xs, int k, int stride, int pad, HostBackend.Tensor y) {
        out(CpuKernels.maxPool2d(in(x, xs.size()), xs, k, stride, pad), y);
        return new Nchw(xs.batch(), xs.channels(), CpuKernels.outSize(xs.height(), k, stride, pad),
                CpuKernels.outSize(xs.width(), k, stride, pad));
    }

    @Override
    public void globalAvgPool(HostBackend.Tensor x, int rows, int hw, HostBackend.Tensor y) {
        out(CpuKernels.globalAvgPool(in(x, (long) rows * hw), rows, hw), y);
    }

    @Override
    public void close() {
        pool.clear();
        intPool.clear();
    }
}
