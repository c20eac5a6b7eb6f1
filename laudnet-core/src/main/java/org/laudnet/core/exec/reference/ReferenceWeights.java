package org.laudnet.core.exec.reference;

import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.plan.FoldedConv;

/**
 * The reference backend's form of an uploaded convolution: the plan's {@link FoldedConv} itself (its host arrays are
 * read directly, never copied or modified). Immutable and thread-safe.
 *
 * @param spec the convolution
 */
public record ReferenceWeights(FoldedConv spec) implements ConvWeights {

    /** Requires a convolution. */
    public ReferenceWeights {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
    }
}
