package org.laudnet.models.weights.torch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TensorFile;

/**
 * The content of a PyTorch checkpoint file ({@link TorchCheckpointReader}): the unpickled root object and the state
 * dict found in it.
 *
 * <p>{@link #stateDict()} finds the state dict: the root itself when it is a dict of tensors (torchvision's
 * {@code resnet50-*.pth}), otherwise the dict of tensors under the first of {@link #STATE_DICT_KEYS} in a checkpoint
 * dict (the LAUDNet training script saves {@code {'epoch', 'model', 'state_dict', 'optimizer', ...}}). When every name
 * starts with {@code module.} (a model wrapped in {@code DataParallel} or {@code DistributedDataParallel}), the prefix
 * is removed. Immutable; safe to share between threads.
 */
public final class TorchCheckpoint {

    /** Keys of a checkpoint dict under which a state dict is looked for, in this order. */
    public static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model_state_dict", "model");

    /** The prefix {@code DataParallel} adds to every name. */
    public static final String DATA_PARALLEL_PREFIX = "module.";

    private final Path file;
    private final Object root;

    TorchCheckpoint(Path file, Object root) {
        this.file = file;
        this.root = root;
    }

    /** Returns the file the checkpoint was read from. */
    public Path file() {
        return file;
    }

    /**
     * The unpickled root object: {@code null}, {@link Boolean}, {@link Long}, {@link Double}, {@link String},
     * {@code byte[]}, {@link List}, {@link Map}, {@link PickleTuple} or {@link TorchTensor}, nested.
     *
     * @return the root
     */
    public Object root() {
        return root;
    }

    /**
     * The state dict: names (without a {@code module.} prefix common to all) to tensors, in file order.
     *
     * @return an unmodifiable map
     * @throws TorchCheckpointException if neither the root nor an entry of {@link #STATE_DICT_KEYS} is a dict of
     *     tensors with string names (the message lists the root's keys)
     */
    public Map<String, TorchTensor> stateDict() throws TorchCheckpointException {
        Map<String, TorchTensor> direct = tensors(root, "the root object", false);
        if (direct != null) {
            return stripPrefix(direct);
        }
        if (root instanceof Map<?, ?> m) {
            for (String key : STATE_DICT_KEYS) {
                Map<String, TorchTensor> nested = tensors(m.get(key), "'" + key + "'", true);
                if (nested != null) {
                    return stripPrefix(nested);
                }
            }
            List<String> keys = new ArrayList<>();
            for (Object k : m.keySet()) {
                keys.add(String.valueOf(k));
            }
            throw new TorchCheckpointException(file, "no state dict: the root is a dict with keys "
                    + abbreviate(keys) + ", none of which (" + STATE_DICT_KEYS + ") is a dict of tensors");
        }
        throw new TorchCheckpointException(file, "no state dict: the root object is a "
                + RestrictedUnpickler.type(root) + ", not a dict");
    }

    /**
     * The state dict as float tensors (integer tensors such as {@code num_batches_tracked} converted), in file order.
     *
     * @return the tensors
     * @throws TorchCheckpointException as {@link #stateDict()}
     */
    public TensorFile toTensorFile() throws TorchCheckpointException {
        List<NamedTensor> list = new ArrayList<>();
        for (Map.Entry<String, TorchTensor> e : stateDict().entrySet()) {
            list.add(e.getValue().toNamedTensor(e.getKey()));
        }
        return TensorFile.of(list);
    }

    /**
     * A dict whose keys are all strings and whose values are all tensors (at least one), or null if the value is not
     * one. When {@code strict}, a dict of strings holding a non-tensor value among tensors is an error naming it
     * (otherwise it is not a state dict, e.g. a checkpoint dict with a tensor entry).
     */
    private Map<String, TorchTensor> tensors(Object value, String where, boolean strict)
            throws TorchCheckpointException {
        if (!(value instanceof Map<?, ?> m) || m.isEmpty()) {
            return null;
        }
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        int tensors = 0;
        String odd = null;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                return null;
            }
            if (e.getValue() instanceof TorchTensor t) {
                out.put(k, t);
                tensors++;
            } else if (odd == null) {
                odd = k + " (a " + RestrictedUnpickler.type(e.getValue()) + ")";
            }
        }
        if (tensors == 0) {
            return null;
        }
        if (odd != null && !strict) {
            return null;
        }
        if (odd != null) {
            throw new TorchCheckpointException(file, "the state dict in " + where + " holds a value that is not a"
                    + " tensor: " + odd);
        }
        return out;
    }

    private static Map<String, TorchTensor> stripPrefix(Map<String, TorchTensor> dict) {
        boolean all = dict.keySet().stream().allMatch(k -> k.startsWith(DATA_PARALLEL_PREFIX)
                && k.length() > DATA_PARALLEL_PREFIX.length());
        if (!all) {
            return Collections.unmodifiableMap(dict);
        }
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TorchTensor> e : dict.entrySet()) {
            out.put(e.getKey().substring(DATA_PARALLEL_PREFIX.length()), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static String abbreviate(List<String> names) {
        List<String> first = names.subList(0, Math.min(10, names.size()));
        return first + (names.size() > 10 ? " (" + names.size() + " in all)" : "");
    }
}
