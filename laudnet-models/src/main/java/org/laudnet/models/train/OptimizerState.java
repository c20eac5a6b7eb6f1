package org.laudnet.models.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A host copy of a {@link StatefulOptimizer}'s state, keyed by parameter <em>name</em> (the block's parameter path,
 * e.g. {@code stage1_block0_conv1_weight}), so that it survives a restart of the JVM, unlike DJL's random parameter
 * ids.
 *
 * <p>Per parameter: the number of updates it has received and the optimizer's state slots (SGD: the momentum buffer;
 * AdamW: the first and second moment estimates), each with the parameter's shape.
 *
 * @param algorithm the optimizer that wrote the state ({@link OptimizerKind} name)
 * @param parameters per-parameter state in the block's parameter order
 */
public record OptimizerState(String algorithm, Map<String, ParameterSlots> parameters) {

    /** Upper bound on the element count of one slot, guarding against corrupt length fields. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8L;

    /**
     * The state of one parameter.
     *
     * @param updates updates the parameter has received (drives AdamW's bias correction)
     * @param shape the parameter's shape
     * @param slots the state arrays, row-major, each of {@code prod(shape)} elements
     */
    public record ParameterSlots(int updates, long[] shape, List<float[]> slots) {

        /** Validates the counts and lengths. */
        public ParameterSlots {
            if (updates < 0) {
                throw new IllegalArgumentException("updates must be non-negative, got " + updates);
            }
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("shape must be non-negative, got " + Arrays.toString(shape));
                }
                n *= d;
            }
            for (float[] s : slots) {
                if (s.length != n) {
                    throw new IllegalArgumentException("slot of " + s.length + " elements does not fit shape "
                            + Arrays.toString(shape));
                }
            }
            shape = shape.clone();
            slots = List.copyOf(slots);
        }
    }

    /** Makes the map unmodifiable and keeps its order. */
    public OptimizerState {
        if (algorithm == null || algorithm.isEmpty()) {
            throw new IllegalArgumentException("algorithm must be non-empty, got " + algorithm);
        }
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * Writes the state: algorithm (UTF), parameter count (int32); per parameter its name (UTF), updates (int32), rank
     * (int32) and dimensions (int64 each), slot count (int32) and the slots' float32 values.
     *
     * @param out the stream
     * @throws IOException if writing fails
     */
    public void write(DataOutputStream out) throws IOException {
        out.writeUTF(algorithm);
        out.writeInt(parameters.size());
        for (Map.Entry<String, ParameterSlots> e : parameters.entrySet()) {
            ParameterSlots p = e.getValue();
            out.writeUTF(e.getKey());
            out.writeInt(p.updates());
            out.writeInt(p.shape().length);
            for (long d : p.shape()) {
                out.writeLong(d);
            }
            out.writeInt(p.slots().size());
            for (float[] s : p.slots()) {
                for (float v : s) {
                    out.writeFloat(v);
                }
            }
        }
    }

    /**
     * Reads a state written by {@link #write}.
     *
     * @param in the stream
     * @return the state
     * @throws IOException if the stream ends early or holds impossible counts (the message names the field)
     */
    public static OptimizerState read(DataInputStream in) throws IOException {
        return read(in, Long.MAX_VALUE);
    }

    /**
     * Reads a state written by {@link #write} from a stream that holds at most {@code maxBytes} bytes of it: no slot is
     * allocated before it is checked to fit in the bytes that remain.
     *
     * @param in the stream
     * @param maxBytes the most bytes the state can occupy (e.g. its length in a checkpoint)
     * @return the state
     * @throws IOException if the stream ends early or holds impossible counts, or a slot would need more bytes than
     *     remain (the message names the field)
     */
    public static OptimizerState read(DataInputStream in, long maxBytes) throws IOException {
        long left = maxBytes;
        String algorithm = in.readUTF();
        left -= utfBytes(algorithm);
        int count = in.readInt();
        left -= 4;
        if (count < 0) {
            throw new IOException("optimizer state: negative parameter count " + count);
        }
        Map<String, ParameterSlots> params = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            int updates = in.readInt();
            int rank = in.readInt();
            left -= utfBytes(name) + 8;
            if (rank < 0 || rank > 8) {
                throw new IOException("optimizer state of " + name + ": impossible rank " + rank);
            }
            long[] shape = new long[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = in.readLong();
                if (shape[d] < 0 || shape[d] > MAX_ELEMENTS) {
                    throw new IOException("optimizer state of " + name + ": impossible dimension " + shape[d]);
                }
                n *= shape[d];
                if (n > MAX_ELEMENTS) {
                    throw new IOException("optimizer state of " + name + ": " + Arrays.toString(shape)
                            + " is too large");
                }
            }
            int slotCount = in.readInt();
            if (slotCount < 0 || slotCount > 4) {
                throw new IOException("optimizer state of " + name + ": impossible slot count " + slotCount);
            }
            left -= 8L * rank + 4;
            if (4L * slotCount * n > left) {
                throw new IOException("optimizer state of " + name + ": " + slotCount + " slots of shape "
                        + Arrays.toString(shape) + " need " + 4L * slotCount * n + " bytes, only " + Math.max(0, left)
                        + " remain");
            }
            left -= 4L * slotCount * n;
            float[][] slots = new float[slotCount][];
            for (int s = 0; s < slotCount; s++) {
                slots[s] = new float[(int) n];
                for (int k = 0; k < n; k++) {
                    slots[s][k] = in.readFloat();
                }
            }
            try {
                params.put(name, new ParameterSlots(updates, shape, List.of(slots)));
            } catch (IllegalArgumentException e) {
                throw new IOException("optimizer state of " + name + ": " + e.getMessage(), e);
            }
        }
        return new OptimizerState(algorithm, params);
    }

    /** The bytes {@code writeUTF} writes for a string: a 2-byte length and the modified UTF-8 encoding. */
    private static long utfBytes(String s) {
        long n = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
        }
        return n;
    }
}
