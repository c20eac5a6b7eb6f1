package org.laudnet.cuda.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;
import org.laudnet.cuda.SparseKernels;

/**
 * The CUDA backend: every operation is one kernel launch through {@link SparseKernels} on the context's stream.
 * Workspaces are device buffers kept per role and grown when a request exceeds them, so that after the first call of
 * a given batch size no allocation happens. Index lists are uploaded into their role's buffer (the copy waits for the
 * stream, which is idle at that point because the engine reads the gate logits back first).
 */
final class CudaBackend implements Backend<DeviceBuffer> {

    private final CudaContext context;
    private final SparseKernels kernels;
    private final List<DeviceBuffer> persistent = new ArrayList<>();
    private final Map<String, DeviceBuffer> workspaces = new HashMap<>();

    CudaBackend(CudaContext context, SparseKernels kernels) {
        this.context = context;
        this.kernels = kernels;
    }

    @Override
    public DeviceBuffer persistent(float[] host) {
        DeviceBuffer b = DeviceBuffer.of(context, host);
        persistent.add(b);
        return b;
    }

    @Override
    public DeviceBuffer persistent(long n) {
        DeviceBuffer b = DeviceBuffer.allocate(context, n);
        persistent.add(b);
        return b;
    }

    @Override
    public DeviceBuffer workspace(String role, long n) {
        DeviceBuffer b = workspaces.get(role);
        if (b == null || b.elements() < n) {
            if (b != null) {
                // Queued kernels may still read the old buffer: drain the stream before freeing it.
                context.synchronize();
                b.close();
            }
            b = DeviceBuffer.allocate(context, Math.max(n, 1));
            workspaces.put(role, b);
        }
        return b;
    }

    @Override
    public DeviceBuffer workspaceInts(String role, int[] host) {
        DeviceBuffer b = workspace(role, host.length);
        b.uploadPrefix(host);
        return b;
    }

    /** Returns the bytes held by persistent tensors and workspaces. */
    long deviceBytes() {
        long n = 0;
        for (DeviceBuffer b : persistent) {
            n += b.elements();
        }
        for (DeviceBuffer b : workspaces.values()) {
            n += b.elements();
        }
        return n * Float.BYTES;
    }

    @Override
    public float[] read(DeviceBuffer t, int n) {
        return t.downloadFloats(n);
    }

    @Override
    public void conv2d(DeviceBuffer x, Nchw xs, DeviceBuffer w, DeviceBuffer bias, int cout, int k, int stride,
            int pad, int groups, DeviceBuffer residual, boolean relu, DeviceBuffer y) {
        kernels.conv2d(x, xs, w, bias, cout, k, k, stride, pad, groups, residual, relu, y);
    }

    @Override
    public void gatherConv1x1Relu(DeviceBuffer x, Nchw xs, PatchPlan plan, DeviceBuffer patches, DeviceBuffer w1,
            DeviceBuffer b1, int c1, DeviceBuffer out) {
        kernels.gatherConv1x1Relu(x, xs, plan, patches, w1, b1, c1, out);
    }

    @Override
    public void patchConv3x3Relu(DeviceBuffer in, PatchPlan plan, int c1, int groups, DeviceBuffer w2,
            DeviceBuffer b2, int c2, DeviceBuffer out) {
        kernels.patchConv3x3Relu(in, plan, c1, groups, w2, b2, c2, out);
    }

    @Override
    public void patchConv1x1ScatterRelu(DeviceBuffer in, PatchPlan plan, DeviceBuffer patches, int c2,
            DeviceBuffer w3, DeviceBuffer b3, int cout, DeviceBuffer identity, DeviceBuffer out) {
        kernels.patchConv1x1ScatterRelu(in, plan, patches, c2, w3, b3, cout, identity, out);
    }

    @Override
    public void fillInactiveRelu(DeviceBuffer identity, Nchw shape, DeviceBuffer mask, int[] maskHost, int cellSize,
            int gridSize, DeviceBuffer out) {
        kernels.fillInactiveRelu(identity, shape, mask, cellSize, gridSize, out);
    }

    @Override
    public void weightGather(DeviceBuffer w, int cout, int cin, int kk, DeviceBuffer outIdx, int[] outHost,
            DeviceBuffer inIdx, int[] inHost, DeviceBuffer dst) {
        kernels.weightGather(w, cout, cin, kk, outIdx, outHost.length, inIdx, inHost == null ? cin : inHost.length,
                dst);
    }

    @Override
    public void gatherSamples(DeviceBuffer src, int batch, DeviceBuffer idx, int[] idxHost, int perSample,
            DeviceBuffer dst) {
        kernels.gatherSamples(src, batch, idx, idxHost.length, perSample, dst);
    }

    @Override
    public void scatterSamplesResidualRelu(DeviceBuffer branch, DeviceBuffer idx, int[] idxHost, int perSample,
            DeviceBuffer identity, int batch, DeviceBuffer out) {
        kernels.scatterSamplesResidualRelu(branch, idx, idxHost.length, perSample, identity, batch, out);
    }

    @Override
    public Nchw maxPool2d(DeviceBuffer x, Nchw xs, int k, int stride, int pad, DeviceBuffer y) {
        return kernels.maxPool2d(x, xs, k, stride, pad, y);
    }

    @Override
    public void globalAvgPool(DeviceBuffer x, int rows, int hw, DeviceBuffer y) {
        kernels.globalAvgPool(x, rows, hw, y);
    }

    @Override
    public void close() {
        for (DeviceBuffer b : persistent) {
            b.close();
        }
        for (DeviceBuffer b : workspaces.values()) {
            b.close();
        }
        persistent.clear();
        workspaces.clear();
    }
}
