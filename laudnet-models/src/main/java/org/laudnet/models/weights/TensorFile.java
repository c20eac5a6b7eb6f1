package org.laudnet.models.weights;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable, ordered collection of {@link NamedTensor}s with unique names, plus string metadata: the content of a
 * safetensors file or of the weights of a TF.js model. Iteration order is the order of the file.
 */
public final class TensorFile {

    private final Map<String, NamedTensor> tensors;
    private final Map<String, String> metadata;

    private TensorFile(Map<String, NamedTensor> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Collects tensors without metadata.
     *
     * @param tensors the tensors, names unique
     * @return the collection, in the given order
     * @throws IllegalArgumentException if a tensor is null or a name repeats
     */
    public static TensorFile of(Collection<NamedTensor> tensors) {
        return of(tensors, Map.of());
    }

    /**
     * Collects tensors with metadata.
     *
     * @param tensors the tensors, names unique
     * @param metadata string key/value pairs (the safetensors {@code __metadata__} object); copied
     * @return the collection, in the given order
     * @throws IllegalArgumentException if a tensor is null, a name repeats, or a metadata key or value is null
     */
    public static TensorFile of(Collection<NamedTensor> tensors, Map<String, String> metadata) {
        if (tensors == null) {
            throw new IllegalArgumentException("tensors must not be null");
        }
        if (metadata == null) {
            throw new IllegalArgumentException("metadata must not be null");
        }
        Map<String, NamedTensor> map = new LinkedHashMap<>();
        int i = 0;
        for (NamedTensor t : tensors) {
            if (t == null) {
                throw new IllegalArgumentException("tensors[" + i + "] must not be null");
            }
            if (map.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("tensor names must be unique, got '" + t.name() + "' twice");
            }
            i++;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("metadata keys and values must not be null, got "
                        + e.getKey() + "=" + e.getValue());
            }
            meta.put(e.getKey(), e.getValue());
        }
        return new TensorFile(map, meta);
    }

    /**
     * Looks a tensor up.
     *
     * @param name the tensor name
     * @return the tensor, or empty if there is none of that name
     */
    public Optional<NamedTensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * Looks a tensor up that must exist.
     *
     * @param name the tensor name
     * @return the tensor
     * @throws IllegalArgumentException if there is no tensor of that name
     */
    public NamedTensor get(String name) {
        NamedTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("name must be one of the " + tensors.size()
                    + " tensors of the file, got '" + name + "'");
        }
        return t;
    }

    /**
     * Whether a tensor of this name exists.
     *
     * @param name the tensor name
     * @return true if present
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The tensor names in file order.
     *
     * @return an unmodifiable ordered set
     */
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * The tensors in file order.
     *
     * @return an unmodifiable list
     */
    public List<NamedTensor> tensors() {
        return Collections.unmodifiableList(new ArrayList<>(tensors.values()));
    }

    /**
     * The tensors whose names start with {@code prefix}, in file order (e.g. {@code "bn_conv1/"} gives the four
     * BatchNorm tensors of layer {@code bn_conv1}).
     *
     * @param prefix the name prefix
     * @return the matching tensors
     */
    public List<NamedTensor> withPrefix(String prefix) {
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : tensors.values()) {
            if (t.name().startsWith(prefix)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * The number of tensors.
     *
     * @return the count
     */
    public int size() {
        return tensors.size();
    }

    /**
     * The number of float values over all tensors, {@code sum_t prod(shape_t)}.
     *
     * @return the total element count
     */
    public long totalValues() {
        long n = 0;
        for (NamedTensor t : tensors.values()) {
            n += t.numel();
        }
        return n;
    }

    /**
     * The string metadata (empty when the file had none).
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String toString() {
        return "TensorFile[" + tensors.size() + " tensors, " + totalValues() + " values]";
    }
}
