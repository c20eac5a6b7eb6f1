package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.laudnet.core.plan.FoldedConv;

/**
 * A backend's uploaded weights, one per {@link FoldedConv} object (the plan's convolutions are shared, so identity is
 * the right key): {@link Backend#upload} implementations create each once and hand out the same weights afterwards.
 * Thread-safe.
 *
 * @param <W> the backend's weights type
 */
public final class UploadCache<W extends ConvWeights> {

    private final Map<FoldedConv, W> uploaded = new IdentityHashMap<>();
    private boolean closed;

    /**
     * Returns the weights of a convolution, creating them at its first upload.
     *
     * @param conv the convolution
     * @param create how the backend uploads it
     * @return the weights
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the cache was cleared by {@link #drain()}
     */
    public synchronized W get(FoldedConv conv, Function<FoldedConv, W> create) {
        KernelArgs.notNull("conv", conv);
        if (closed) {
            throw new IllegalStateException("the backend is closed");
        }
        W w = uploaded.get(conv);
        if (w == null) {
            w = create.apply(conv);
            uploaded.put(conv, w);
        }
        return w;
    }

    /** Returns how many convolutions have been uploaded. */
    public synchronized int size() {
        return uploaded.size();
    }

    /**
     * Closes the cache and returns every uploaded weight, for the backend to free; later uploads are refused.
     *
     * @return the weights
     */
    public synchronized List<W> drain() {
        closed = true;
        List<W> all = new ArrayList<>(uploaded.values());
        uploaded.clear();
        return all;
    }
}
