package org.laudnet.onednn;

import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc;

/**
 * The shape of a oneDNN primitive that reads a convolution's weights in a layout of oneDNN's choosing
 * ({@code format_tag::any}): a convolution ({@link ConvShape}) or a matmul on rows ({@link MatmulShape}). The kernels'
 * primitive cache ({@link Primitives}) and {@link OneDnnBackend#prepare} both make the primitive descriptor of a shape
 * through it, so that a layout prepared when the plan is loaded is exactly the one a primitive of the same shape,
 * created on a thread with the same OpenMP thread count, asks for.
 *
 * <p>Implementations are immutable value records, thread-safe.
 */
sealed interface WeightShape permits ConvShape, MatmulShape {

    /**
     * Returns the weights layout the primitive of this shape asks for, its descriptor created on the calling thread
     * (whose OpenMP thread count oneDNN may take into account) and freed.
     *
     * @param eng the engine
     * @return the layout
     */
    default memory.desc weightsLayout(engine eng) {
        try (primitive_desc pd = descriptor(eng)) {
            return pd.weights_desc();
        }
    }

    /**
     * Creates the primitive descriptor on the calling thread (whose OpenMP thread count oneDNN may take into account),
     * weights in {@code format_tag::any}; the caller closes it.
     *
     * @param eng the engine
     * @return the descriptor; its {@code weights_desc()} is the layout the primitive wants
     */
    primitive_desc descriptor(engine eng);

    /** Returns the source descriptor. */
    memory.desc src();

    /** Returns the destination descriptor, also the residual's. */
    memory.desc dst();

    /** Returns the bias descriptor. */
    memory.desc bias();

    /** Returns whether the primitive adds a residual (a binary add post-op on the destination's descriptor). */
    boolean residual();

    /**
     * Returns whether the residual is a separate tensor bound at execution (the binary add post-op's second input);
     * false without a residual or when the destination itself is the residual.
     */
    default boolean residualTensor() {
        return residual();
    }

    /**
     * Returns the descriptor of the plain weights that this primitive's layout is reordered from.
     *
     * @param w the weights
     * @return {@link OneDnnWeights#plainConvDesc()} or {@link OneDnnWeights#plainMatmulDesc()}
     */
    memory.desc plainWeights(OneDnnWeights w);
}
