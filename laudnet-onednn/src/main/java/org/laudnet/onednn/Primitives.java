package org.laudnet.onednn;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.reorder;

/**
 * The primitive cache of one {@link OneDnnKernels}: every oneDNN primitive it runs, created once per shape with its
 * argument memories ({@link Prim}) and kept until {@link #clear()} or {@link #close()}. Each method returns the cached
 * primitive of a shape, creating it on the first request; the argument order of {@link Prim#run} is given per method.
 *
 * <p>Primitives are created on the calling thread, whose OpenMP thread count oneDNN bakes into some of them (how work
 * is split): the kernels clear the cache when their thread count changes.
 *
 * <p>Not thread-safe: owned by one {@link OneDnnKernels}.
 */
final class Primitives implements AutoCloseable {

    static final int ARG_SRC = dnnl.DNNL_ARG_SRC;
    static final int ARG_DST = dnnl.DNNL_ARG_DST;
    static final int ARG_WEIGHTS = dnnl.DNNL_ARG_WEIGHTS;
    static final int ARG_BIAS = dnnl.DNNL_ARG_BIAS;
    static final int ARG_SRC_1 = dnnl.DNNL_ARG_SRC_1;
    /** The second input of the first post-op (the binary add of a residual). */
    static final int ARG_POST_OP_0_SRC_1 = dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | dnnl.DNNL_ARG_SRC_1;

    /** A pooling primitive's shape. */
    record PoolKey(boolean max, int batch, int channels, int height, int width, int kernel, int stride, int padding) {

        int outHeight() {
            return (height + 2 * padding - kernel) / stride + 1;
        }

        int outWidth() {
            return (width + 2 * padding - kernel) / stride + 1;
        }
    }

    /** An element-wise ReLU's size. */
    private record ReluKey(long size) {}

    /** A per-channel multiply's shape. */
    private record ScaleKey(int batch, int channels, int height, int width) {}

    /** The size of one sample's copy or residual sum with ReLU. */
    private record SampleKey(boolean sum, long size) {}

    private final engine eng;
    private final Map<Object, Prim> cache = new HashMap<>();

    Primitives(engine eng) {
        this.eng = eng;
    }

    /**
     * A convolution with bias and optional residual sum and ReLU ({@link ConvShape#descriptor}). Arguments: source,
     * weights (in {@link Prim#weightsDesc}), bias, destination[, residual].
     */
    Prim conv(ConvShape k) {
        return withWeights(k);
    }

    /** A max or average (padding excluded) pooling on {@code nhwc}. Arguments: source, destination. */
    Prim pool(PoolKey k) {
        return cached(k, () -> {
            memory.desc src = ConvShape.nhwc(k.batch, k.channels, k.height, k.width);
            memory.desc dst = ConvShape.nhwc(k.batch, k.channels, k.outHeight(), k.outWidth());
            pooling_forward.primitive_desc pd = new pooling_forward.primitive_desc(eng,
                    dnnl.prop_kind.forward_inference,
                    k.max ? dnnl.algorithm.pooling_max : dnnl.algorithm.pooling_avg_exclude_padding, src, dst,
                    new long[] {k.stride, k.stride}, new long[] {k.kernel, k.kernel}, new long[] {0, 0},
                    new long[] {k.padding, k.padding}, new long[] {k.padding, k.padding});
            return new Prim(Prim.create(pd), null, eng, new int[] {ARG_SRC, ARG_DST}, new memory.desc[] {src, dst});
        });
    }

    /** A ReLU on {@code size} contiguous values. Arguments: source, destination (may be the source). */
    Prim relu(long size) {
        ReluKey k = new ReluKey(size);
        return cached(k, () -> {
            memory.desc d = new memory.desc(new long[] {size}, memory.data_type.f32, memory.format_tag.x);
            eltwise_forward.primitive_desc pd = new eltwise_forward.primitive_desc(eng,
                    dnnl.prop_kind.forward_inference, dnnl.algorithm.eltwise_relu, d, d, 0f, 0f);
            return new Prim(Prim.create(pd), null, eng, new int[] {ARG_SRC, ARG_DST}, new memory.desc[] {d, d});
        });
    }

    /**
     * One sample's residual sum and ReLU over {@code size} contiguous values, {@code dst = ReLU(src0 + src1)}: the
     * write-back of a sub-batch's branch output to its samples, split over the backend's threads. Arguments: src0 (the
     * identity), src1 (the branch), destination (may be src0: oneDNN computes a binary operation in place on its first
     * source).
     */
    Prim sampleResidualRelu(long size) {
        SampleKey k = new SampleKey(true, size);
        return cached(k, () -> {
            memory.desc d = new memory.desc(new long[] {size}, memory.data_type.f32, memory.format_tag.x);
            post_ops ops = new post_ops();
            ops.append_eltwise(dnnl.algorithm.eltwise_relu, 0f, 0f);
            primitive_attr attr = new primitive_attr();
            attr.set_post_ops(ops);
            binary.primitive_desc pd = new binary.primitive_desc(eng, dnnl.algorithm.binary_add, d, d, d, attr,
                    false);
            return new Prim(Prim.create(pd), null, eng, new int[] {dnnl.DNNL_ARG_SRC_0, ARG_SRC_1, ARG_DST},
                    new memory.desc[] {d, d, d});
        });
    }

    /**
     * A copy of {@code size} contiguous values (a reorder between equal layouts, split over the backend's threads):
     * one sample of a sub-batch gathered. Arguments: source, destination.
     */
    Prim sampleCopy(long size) {
        SampleKey k = new SampleKey(false, size);
        return cached(k, () -> {
            memory.desc d = new memory.desc(new long[] {size}, memory.data_type.f32, memory.format_tag.x);
            reorder.primitive_desc pd = new reorder.primitive_desc(eng, d, eng, d);
            return new Prim(new reorder(pd), null, eng, new int[] {ARG_SRC, ARG_DST}, new memory.desc[] {d, d});
        });
    }

    /**
     * A multiply of an {@code nhwc} tensor by per-sample, per-channel factors {@code (B, C, 1, 1)}. Arguments: source,
     * factors, destination (may be the source).
     */
    Prim scale(int batch, int channels, int height, int width) {
        ScaleKey k = new ScaleKey(batch, channels, height, width);
        return cached(k, () -> {
            memory.desc src0 = ConvShape.nhwc(batch, channels, height, width);
            memory.desc src1 = ConvShape.nhwc(batch, channels, 1, 1);
            binary.primitive_desc pd = new binary.primitive_desc(eng, dnnl.algorithm.binary_mul, src0, src1, src0);
            return new Prim(Prim.create(pd), null, eng, new int[] {ARG_SRC, ARG_SRC_1, ARG_DST},
                    new memory.desc[] {src0, src1, src0});
        });
    }

    /**
     * {@code y = [ReLU](x W + b [+ r])} on {@code rows} rows ({@link MatmulShape#descriptor}): a 1x1 convolution's
     * weights as the {@code (in, out)} operand, in the layout oneDNN picks. Arguments: source {@code (rows, in)},
     * weights (in {@link Prim#weightsDesc}), bias, destination {@code (rows, out)}[, residual rows
     * {@code (rows, out)}].
     */
    Prim matmul(MatmulShape k) {
        return withWeights(k);
    }

    /** The cached primitive of a shape with weights: arguments source, weights, bias, destination[, residual]. */
    private Prim withWeights(WeightShape k) {
        return cached(k, () -> {
            primitive_desc pd = k.descriptor(eng);
            memory.desc wd = pd.weights_desc();
            memory.desc src = k.src();
            memory.desc dst = k.dst();
            memory.desc bias = k.bias();
            int[] args = k.residualTensor()
                    ? new int[] {ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST, ARG_POST_OP_0_SRC_1}
                    : new int[] {ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST};
            memory.desc[] descs = k.residualTensor() ? new memory.desc[] {src, wd, bias, dst, dst}
                    : new memory.desc[] {src, wd, bias, dst};
            return new Prim(Prim.create(pd), wd, eng, args, descs);
        });
    }

    /** Returns the cached primitive of a key, creating it on the first request. */
    private Prim cached(Object key, Supplier<Prim> create) {
        Prim p = cache.get(key);
        if (p == null) {
            p = create.get();
            cache.put(key, p);
        }
        return p;
    }

    /** Returns the number of cached primitives. */
    int size() {
        return cache.size();
    }

    /** Frees every cached primitive; later requests create them afresh. */
    void clear() {
        for (Prim p : cache.values()) {
            p.close();
        }
        cache.clear();
    }

    @Override
    public void close() {
        clear();
    }
}
