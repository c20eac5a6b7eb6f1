package org.laudnet.onednn;

import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;

/**
 * The shape of one matmul primitive of the oneDNN backend, {@code y = [ReLU](x W + b [+ r])} on {@code rows}
 * contiguous rows with a 1x1 convolution's weights as the {@code (in, out)} operand: the key of a kernels object's
 * primitive cache, and what {@link OneDnnBackend#prepare} creates descriptors of to learn the weight layouts of the
 * sparse paths' matmuls (conv1 on the gathered window rows, conv3 on the patch rows).
 *
 * <p>The primitive: {@code ab} source and destination, weights in {@code format_tag::any} (oneDNN picks a packed
 * layout), bias {@code (1, out)}, and as post-ops the residual sum then ReLU ({@link ConvShape#postOps}). The residual
 * rows are the destination itself: a sum post-op adds the product to what the destination holds, in place.
 *
 * <p>Immutable and thread-safe.
 *
 * @param rows rows of the source and destination
 * @param in input width (the convolution's input channels)
 * @param out output width (its output channels)
 * @param residual whether residual rows are added (those the destination holds)
 * @param relu whether a ReLU follows
 */
record MatmulShape(int rows, int in, int out, boolean residual, boolean relu) implements WeightShape {

    /** Returns the source descriptor {@code (rows, in)}. */
    @Override
    public memory.desc src() {
        return new memory.desc(new long[] {rows, in}, memory.data_type.f32, memory.format_tag.ab);
    }

    /** Returns the destination descriptor {@code (rows, out)}, also the residual's. */
    @Override
    public memory.desc dst() {
        return new memory.desc(new long[] {rows, out}, memory.data_type.f32, memory.format_tag.ab);
    }

    /** Returns the bias descriptor {@code (1, out)}. */
    @Override
    public memory.desc bias() {
        return new memory.desc(new long[] {1, out}, memory.data_type.f32, memory.format_tag.ab);
    }

    /**
     * Creates the primitive descriptor on the calling thread.
     *
     * @param eng the engine
     * @return the descriptor; its {@code weights_desc()} is the layout the primitive wants
     */
    @Override
    public matmul.primitive_desc descriptor(engine eng) {
        memory.desc wany = new memory.desc(new long[] {in, out}, memory.data_type.f32, memory.format_tag.any);
        memory.desc dst = dst();
        primitive_attr attr = ConvShape.postOps(dst, residual, relu, true);
        return new matmul.primitive_desc(eng, src(), wany, bias(), dst, attr, false);
    }

    /** The residual, when added, is the destination itself: no separate tensor is bound. */
    @Override
    public boolean residualTensor() {
        return false;
    }

    @Override
    public memory.desc plainWeights(OneDnnWeights w) {
        return w.plainMatmulDesc();
    }
}
