package org.laudnet.models.weights.torch;

import java.util.List;

/**
 * A Python tuple read from a checkpoint's pickle (also {@code torch.Size}), distinct from a list. Its items are the
 * values the {@link TorchCheckpointReader} produces: {@code null}, {@link Boolean}, {@link Long}, {@link Double},
 * {@link String}, {@code byte[]}, {@link java.util.List}, {@link java.util.Map}, {@link PickleTuple},
 * {@link TorchTensor}. Immutable.
 *
 * @param items the items, unmodifiable
 */
public record PickleTuple(List<Object> items) {

    /** Copies the items into an unmodifiable list (null items allowed). */
    public PickleTuple {
        if (items == null) {
            throw new IllegalArgumentException("items must not be null");
        }
        items = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items));
    }

    /** Returns the number of items. */
    public int size() {
        return items.size();
    }

    /**
     * One item.
     *
     * @param i the index, {@code 0 <= i < size()}
     * @return the item
     */
    public Object get(int i) {
        return items.get(i);
    }
}
