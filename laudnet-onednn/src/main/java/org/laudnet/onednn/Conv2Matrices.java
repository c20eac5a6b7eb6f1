package org.laudnet.onednn;

import java.util.Map;
import java.util.WeakHashMap;
import org.laudnet.core.plan.FoldedConv;

/**
 * The weights of an ungrouped 3x3 conv2 as the {@code (9 C1, C2)} matrix that multiplies an im2col of the active output
 * positions (the {@link org.laudnet.core.exec.SpatialSchedule#ROWS ROWS} schedule): input column
 * {@code (3 dy + dx) C1 + c} holds {@code w[o, c, dy, dx]}, so that each im2col row ({@code 9} taps of {@code C1}
 * channels, tap-major) meets its weights. The matrix is a {@link FoldedConv} 1x1 convolution with {@code 9 C1} inputs
 * and conv2's bias, run by the same 1x1 convolution over rows as conv1 ({@link OneDnnKernels#convRows}).
 *
 * <p>Sharing: the matrix of a model's conv2 is built once, when {@link OneDnnBackend#prepare} prepares the ROWS
 * schedule's layouts (on first use for a channel pattern's slice), uploaded to the backend (freed when it closes) and
 * shared by every executor: one copy per model whatever the number of workers. The table holds its
 * sources weakly, so the entries of a dropped model go with it.
 *
 * <p>Thread-safe: {@link #shared} synchronizes on the table; the weights it returns are thread-safe.
 */
final class Conv2Matrices {

    private static final Map<OneDnnWeights, OneDnnWeights> SHARED = new WeakHashMap<>();

    private Conv2Matrices() {}

    /**
     * Returns the matrix of a model's conv2, uploading it to {@code backend} the first time.
     *
     * @param c2 the conv2 weights, uploaded to {@code backend}
     * @param backend the backend that owns them
     * @return the matrix weights (owned by the backend)
     */
    static OneDnnWeights shared(OneDnnWeights c2, OneDnnBackend backend) {
        synchronized (SHARED) {
            OneDnnWeights m = SHARED.get(c2);
            if (m == null) {
                m = (OneDnnWeights) backend.upload(matrixOf(c2.spec()));
                SHARED.put(c2, m);
            }
            return m;
        }
    }

    /**
     * Permutes an ungrouped 3x3 convolution {@code (C2, C1, 3, 3)} into the 1x1 convolution {@code (C2, 9 C1)} whose
     * input channel {@code (3 dy + dx) C1 + c} is tap {@code (dy, dx)} of channel {@code c}.
     *
     * @param c2 the convolution
     * @return the matrix as a 1x1 convolution, with the same bias
     * @throws IllegalArgumentException if {@code c2} is not an ungrouped 3x3 convolution
     */
    static FoldedConv matrixOf(FoldedConv c2) {
        if (c2.kernel() != 3 || c2.groups() != 1) {
            throw new IllegalArgumentException("c2 must be an ungrouped 3x3 convolution, got kernel " + c2.kernel()
                    + ", groups " + c2.groups());
        }
        int out = c2.outChannels();
        int in = c2.inChannels();
        float[] w = c2.weight();
        float[] m = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                for (int tap = 0; tap < 9; tap++) {
                    m[(o * 9 + tap) * in + c] = w[(o * in + c) * 9 + tap];
                }
            }
        }
        return new FoldedConv(out, 9 * in, 1, 1, 0, 1, m, c2.bias().clone());
    }
}
