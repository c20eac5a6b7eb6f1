package org.laudnet.onednn;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.laudnet.core.exec.Nchw;

/**
 * A tensor of the oneDNN backend: fp32 values in native memory in {@code nhwc} order (channels last: each position's
 * {@code C} values are contiguous), with the logical NCHW shape beside them. Per-channel tensors {@code (B, C, 1, 1)}
 * are the same in both orders. The buffer may be larger than the shape (a pooled buffer of a bucketed row count).
 *
 * <p>Not thread-safe: owned by one {@link OneDnnKernels}.
 */
public final class DnnlTensor {

    final FloatPointer data;
    final FloatBuffer buf;
    final Nchw shape;
    final long capacity;
    /** The scope depth that owns the tensor, or -1 once released. */
    int owner;
    /** For a spatial accumulator between spatialBegin and spatialEnd: the block's identity; else null. */
    DnnlTensor identity;

    DnnlTensor(FloatPointer data, Nchw shape, int owner) {
        this.data = data;
        this.capacity = data.capacity();
        this.buf = data.asBuffer();
        this.shape = shape;
        this.owner = owner;
    }

    /** Returns the rows {@code B H W} of the nhwc view. */
    int rows() {
        return shape.batch() * shape.height() * shape.width();
    }

    /** Copies NCHW row-major values into this nhwc tensor. */
    void putNchw(float[] nchw) {
        int b = shape.batch();
        int c = shape.channels();
        int hw = shape.height() * shape.width();
        if (hw == 1 || c == 1) {
            buf.put(0, nchw, 0, shape.size());
            return;
        }
        float[] out = new float[shape.size()];
        for (int n = 0; n < b; n++) {
            int base = n * c * hw;
            for (int ch = 0; ch < c; ch++) {
                int src = base + ch * hw;
                for (int p = 0; p < hw; p++) {
                    out[base + p * c + ch] = nchw[src + p];
                }
            }
        }
        buf.put(0, out, 0, out.length);
    }

    /** Returns the values in NCHW row-major order. */
    float[] toNchw() {
        int n = shape.size();
        float[] nhwc = new float[n];
        buf.get(0, nhwc, 0, n);
        int c = shape.channels();
        int hw = shape.height() * shape.width();
        if (hw == 1 || c == 1) {
            return nhwc;
        }
        float[] out = new float[n];
        for (int b = 0; b < shape.batch(); b++) {
            int base = b * c * hw;
            for (int p = 0; p < hw; p++) {
                int src = base + p * c;
                for (int ch = 0; ch < c; ch++) {
                    out[base + ch * hw + p] = nhwc[src + ch];
                }
            }
        }
        return out;
    }

    /**
     * Returns the first {@code count} values in NCHW order, reading only those from the {@code nhwc} buffer (a
     * read-back that only confirms a result exists costs nothing beyond it).
     *
     * @param count how many values, in {@code [0, shape.size()]}
     * @return the values
     */
    float[] toNchw(int count) {
        if (count == shape.size()) {
            return toNchw();
        }
        int c = shape.channels();
        int hw = shape.height() * shape.width();
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            int b = i / (c * hw);
            int ch = i / hw % c;
            int p = i % hw;
            out[i] = buf.get(b * c * hw + p * c + ch);
        }
        return out;
    }

    /** Returns the nhwc values (the first {@code shape.size()}). */
    float[] values() {
        float[] v = new float[shape.size()];
        buf.get(0, v, 0, v.length);
        return v;
    }

    @Override
    public String toString() {
        return "DnnlTensor" + shape;
    }
}
