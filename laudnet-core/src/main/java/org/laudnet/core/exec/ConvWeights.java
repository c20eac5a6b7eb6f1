package org.laudnet.core.exec;

import org.laudnet.core.plan.FoldedConv;

/**
 * A folded convolution uploaded to a backend: the backend's own form of its weights (device buffers, engine arrays,
 * host arrays) behind the plan's {@link FoldedConv}. Created by {@link Backend#upload} (shared by every executor of a
 * model, read concurrently) or {@link Kernels#temporary} (one executor's call). Each backend implements its own type
 * and accepts only its own.
 */
public interface ConvWeights {

    /** Returns the convolution these weights hold (shape, stride, padding, groups, host arrays). */
    FoldedConv spec();
}
