package org.laudnet.onednn;

import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.laudnet.core.plan.FoldedConv;

/**
 * The shape of one convolution primitive of the oneDNN backend, and how its descriptor is made: the key of a kernels
 * object's primitive cache, and what {@link OneDnnBackend#prepare} creates descriptors of to learn the weight layouts
 * the convolution primitives will ask for (dense, over gathered windows, or over a column of gathered rows). Both go
 * through {@link #descriptor}, so that a prepared layout is exactly the one a primitive of the same shape (created on a
 * thread with the same OpenMP thread count) asks for.
 *
 * <p>The primitive: {@code nhwc} source and destination, weights in {@code format_tag::any} (oneDNN picks a blocked
 * layout, which may depend on the batch, the spatial size and the thread count), bias, and as post-ops the residual
 * sum then ReLU. The residual is either a tensor of the destination's shape read by a binary add post-op, or, for an
 * accumulating shape, the destination itself: a sum post-op adds the convolution to what the destination holds, in
 * place (measured on AVX-512 about 10-20% faster for the bottleneck's conv3 than the binary add into a new tensor).
 *
 * <p>Immutable and thread-safe.
 *
 * @param out output channels
 * @param in input channels
 * @param kernel kernel side
 * @param stride stride
 * @param padding padding on every side
 * @param groups groups
 * @param batch batch
 * @param height input height
 * @param width input width
 * @param residual whether a residual is added
 * @param relu whether a ReLU follows
 * @param accumulate whether the residual is the destination itself (a sum post-op in place; implies residual)
 */
record ConvShape(int out, int in, int kernel, int stride, int padding, int groups, int batch, int height, int width,
        boolean residual, boolean relu, boolean accumulate) implements WeightShape {

    /** Validates that an accumulating shape adds a residual. */
    ConvShape {
        if (accumulate && !residual) {
            throw new IllegalArgumentException("an accumulating convolution adds a residual");
        }
    }

    /**
     * The shape of a convolution's primitive on an input.
     *
     * @param c the convolution (channels, kernel, stride, groups)
     * @param padding the padding (the convolution's own, or 0 for windows that carry their halo)
     * @param batch the batch
     * @param height the input height
     * @param width the input width
     * @param residual whether a residual is added
     * @param relu whether a ReLU follows
     * @return the shape
     */
    static ConvShape of(FoldedConv c, int padding, int batch, int height, int width, boolean residual,
            boolean relu) {
        return new ConvShape(c.outChannels(), c.inChannels(), c.kernel(), c.stride(), padding, c.groups(), batch,
                height, width, residual, relu, false);
    }

    /**
     * The shape of a convolution's primitive that adds its result to the destination in place
     * ({@code y = [ReLU](conv(x) + b + y)}, a sum post-op), with the convolution's own padding.
     *
     * @param c the convolution
     * @param batch the batch
     * @param height the input height
     * @param width the input width
     * @param relu whether a ReLU follows
     * @return the shape
     */
    static ConvShape accumulating(FoldedConv c, int batch, int height, int width, boolean relu) {
        return new ConvShape(c.outChannels(), c.inChannels(), c.kernel(), c.stride(), c.padding(), c.groups(), batch,
                height, width, true, relu, true);
    }

    /** Returns whether the residual is a separate tensor, bound as the binary add post-op's second input. */
    @Override
    public boolean residualTensor() {
        return residual && !accumulate;
    }

    /** Returns the output height. */
    int outHeight() {
        return (height + 2 * padding - kernel) / stride + 1;
    }

    /** Returns the output width. */
    int outWidth() {
        return (width + 2 * padding - kernel) / stride + 1;
    }

    /** Returns the source descriptor ({@code nhwc}). */
    @Override
    public memory.desc src() {
        return nhwc(batch, in, height, width);
    }

    /** Returns the destination descriptor ({@code nhwc}), also the residual's. */
    @Override
    public memory.desc dst() {
        return nhwc(batch, out, outHeight(), outWidth());
    }

    /** Returns the bias descriptor. */
    @Override
    public memory.desc bias() {
        return new memory.desc(new long[] {out}, memory.data_type.f32, memory.format_tag.x);
    }

    /**
     * Creates the primitive descriptor on the calling thread (whose OpenMP thread count oneDNN may take into account).
     *
     * @param eng the engine
     * @return the descriptor; its {@code weights_desc()} is the layout the primitive wants
     */
    @Override
    public convolution_forward.primitive_desc descriptor(engine eng) {
        long[] wdims = groups == 1 ? new long[] {out, in, kernel, kernel}
                : new long[] {groups, out / groups, in / groups, kernel, kernel};
        memory.desc wany = new memory.desc(wdims, memory.data_type.f32, memory.format_tag.any);
        memory.desc dst = dst();
        primitive_attr attr = postOps(dst, residual, relu, accumulate);
        long[] strides = {stride, stride};
        long[] pad = {padding, padding};
        return new convolution_forward.primitive_desc(eng, dnnl.prop_kind.forward_inference,
                dnnl.algorithm.convolution_direct, src(), wany, bias(), dst, strides, pad, pad, attr, false);
    }

    @Override
    public memory.desc plainWeights(OneDnnWeights w) {
        return w.plainConvDesc();
    }

    /** Returns an {@code nhwc} fp32 descriptor. */
    static memory.desc nhwc(int b, int c, int h, int w) {
        return new memory.desc(new long[] {b, c, h, w}, memory.data_type.f32, memory.format_tag.nhwc);
    }

    /**
     * Returns the attributes of a primitive whose output gets the residual added and then a ReLU, each when asked; the
     * residual is a binary add of a separate tensor, or with {@code inPlace} a sum post-op that adds what the
     * destination already holds.
     *
     * @param dst the primitive's output descriptor (the residual has the same)
     * @param residual whether to add a residual
     * @param relu whether to apply a ReLU after it
     * @param inPlace whether the residual is the destination itself
     * @return the attributes
     */
    static primitive_attr postOps(memory.desc dst, boolean residual, boolean relu, boolean inPlace) {
        post_ops ops = new post_ops();
        if (residual && inPlace) {
            ops.append_sum(1f, 0, memory.data_type.undef);
        } else if (residual) {
            ops.append_binary(dnnl.algorithm.binary_add, dst);
        }
        if (relu) {
            ops.append_eltwise(dnnl.algorithm.eltwise_relu, 0f, 0f);
        }
        primitive_attr attr = new primitive_attr();
        attr.set_post_ops(ops);
        return attr;
    }
}
