package org.laudnet.models.weights.torch;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader (protocols 2 to 5, the opcodes {@code torch.save} emits, plus the plain ones of older protocols'
 * binary forms) that builds Java values and never resolves, imports or calls anything the pickle names.
 *
 * <p>Only these globals are accepted, each interpreted by this class: {@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2}, {@code torch._utils._rebuild_parameter}, {@code torch.Size} and the storage
 * classes of {@link TorchDType} (as persistent-id tags). Any other {@code GLOBAL}/{@code STACK_GLOBAL}, and the
 * opcodes that instantiate classes ({@code INST}, {@code OBJ}, {@code NEWOBJ}, {@code NEWOBJ_EX}) or use extension
 * registries and out-of-band buffers, raise an {@link UnsafePickleException} naming the global at the opcode itself.
 * {@code BUILD} is accepted only on an {@code OrderedDict} with a dict state (a state dict's {@code _metadata}, which
 * is ignored).
 *
 * <p>Values: {@code None -> null}, bool, int (up to 64 bits) {@code -> Long}, float {@code -> Double}, str
 * {@code -> String}, bytes {@code -> byte[]}, list {@code -> ArrayList}, tuple and {@code torch.Size}
 * {@code -> PickleTuple}, dict and {@code OrderedDict -> LinkedHashMap} (keys: scalars or tuples of scalars), set
 * {@code -> ArrayList}, rebuilt tensors and parameters {@code -> TorchTensor}.
 *
 * <p>Bounds, checked before allocating: every length against the bytes left in the pickle, the stack, the memo and the
 * mark depth against fixed limits, integers to 8 bytes, and the elements of all materialised tensors against a budget
 * derived from the storage bytes. Not thread-safe; one instance reads one pickle once.
 */
final class RestrictedUnpickler {

    /** Most values on the stack (all marks together). */
    static final int MAX_STACK = 1 << 20;
    /** Most memo entries. */
    static final int MAX_MEMO = 1 << 20;
    /** Deepest nesting of marks. */
    static final int MAX_MARKS = 10_000;

    /** Resolves a persistent id's storage (the zip entry), with its size checked. */
    @FunctionalInterface
    interface StorageSource {
        TorchStorage storage(String key, TorchDType dtype, long numel) throws TorchCheckpointException;
    }

    /** An accepted global, by kind. */
    private enum Allowed { ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, SIZE, STORAGE }

    /** A global the pickle named and this reader accepts. */
    private record Global(Allowed kind, String name, TorchDType dtype) {}

    /** The mark sentinel on the stack. */
    private static final Object MARK = new Object();

    private final Path file;
    private final byte[] data;
    private final StorageSource storages;
    private final TensorViews views;
    private final List<Object> stack = new ArrayList<>();
    private final int[] marks = new int[MAX_MARKS];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private final Set<Object> orderedDicts = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, TorchStorage> storageCache = new HashMap<>();
    private int pos;
    private final boolean dryRun;

    /** What a dry run returns for a tensor: its view was checked, nothing was read or allocated. */
    static final Object CHECKED_TENSOR = new Object();

    RestrictedUnpickler(Path file, byte[] data, StorageSource storages, long elementBudget) {
        this(file, data, 0, storages, elementBudget, false);
    }

    /**
     * A reader of the pickle that starts at {@code start}.
     *
     * @param dryRun check every tensor's view against its persistent id without reading storages or allocating
     *     tensors (they become {@link #CHECKED_TENSOR}); the storages the pickle references are then known from
     *     {@link #storages()} (the legacy format stores them after the pickle)
     */
    RestrictedUnpickler(Path file, byte[] data, int start, StorageSource storages, long elementBudget,
            boolean dryRun) {
        this.file = file;
        this.data = data;
        this.pos = start;
        this.storages = storages;
        this.views = new TensorViews(file, elementBudget);
        this.dryRun = dryRun;
    }

    /** Returns the offset after the last opcode read (after {@code STOP} once {@link #read} returned). */
    int position() {
        return pos;
    }

    /** Returns the storages the pickle referenced, by key. */
    Map<String, TorchStorage> storages() {
        return Collections.unmodifiableMap(storageCache);
    }

    /**
     * Reads the pickle up to its {@code STOP}.
     *
     * @return the root value
     * @throws TorchCheckpointException for a malformed, truncated or out-of-bounds pickle
     * @throws UnsafePickleException for a refused global or opcode
     */
    Object read() throws TorchCheckpointException {
        while (true) {
            if (pos >= data.length) {
                throw error("the pickle ends without a STOP opcode (truncated)");
            }
            int at = pos;
            int op = data[pos++] & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int p = u8();
                    if (p < 2 || p > 5) {
                        throw error("pickle protocol " + p + " at offset " + at + " is not supported (2 to 5 are)");
                    }
                }
                case 0x95 -> u64("FRAME"); // FRAME: the length of the next frame; its opcodes are read one by one
                case 0x2e -> { // STOP
                    if (stack.size() != 1 || markCount != 0) {
                        throw error("STOP at offset " + at + " with " + stack.size() + " values on the stack");
                    }
                    return stack.get(0);
                }
                case 0x28 -> { // MARK
                    if (markCount == MAX_MARKS) {
                        throw error("more than " + MAX_MARKS + " nested marks at offset " + at);
                    }
                    marks[markCount++] = stack.size();
                    push(MARK);
                }
                case 0x30 -> pop(at); // POP
                case 0x31 -> popMark(at); // POP_MARK
                case 0x32 -> push(peek(at)); // DUP
                case 0x4e -> push(null); // NONE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 0x4a -> push((long) i32()); // BININT
                case 0x4b -> push((long) u8()); // BININT1
                case 0x4d -> push((long) u16()); // BININT2
                case 0x8a -> push(longN(u8(), at)); // LONG1
                case 0x8b -> push(longN(i32(), at)); // LONG4
                case 0x47 -> push(Double.longBitsToDouble(i64be())); // BINFLOAT
                case 0x58 -> push(utf8(u32(), at)); // BINUNICODE
                case 0x8c -> push(utf8(u8(), at)); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(u64("BINUNICODE8"), at)); // BINUNICODE8
                case 0x54 -> push(latin1(u32())); // BINSTRING (Python 2 str)
                case 0x55 -> push(latin1(u8())); // SHORT_BINSTRING
                case 0x42 -> push(bytes(u32())); // BINBYTES
                case 0x43 -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x8e -> push(bytes(u64("BINBYTES8"))); // BINBYTES8
                case 0x29 -> push(new PickleTuple(List.of())); // EMPTY_TUPLE
                case 0x85, 0x86, 0x87 -> { // TUPLE1..3
                    int n = op - 0x84;
                    push(new PickleTuple(popN(n, at)));
                }
                case 0x74 -> push(new PickleTuple(popToMark(at))); // TUPLE
                case 0x5d -> push(new ArrayList<>()); // EMPTY_LIST
                case 0x6c -> push(new ArrayList<>(popToMark(at))); // LIST
                case 0x61 -> { // APPEND
                    Object v = pop(at);
                    list(peek(at), at).add(v);
                }
                case 0x65 -> { // APPENDS
                    List<Object> items = popToMark(at);
                    list(peek(at), at).addAll(items);
                }
                case 0x7d -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 0x64 -> { // DICT
                    List<Object> items = popToMark(at);
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(m, items, at);
                    push(m);
                }
                case 0x73 -> { // SETITEM
                    Object v = pop(at);
                    Object k = pop(at);
                    map(peek(at), at).put(key(k, at), v);
                }
                case 0x75 -> { // SETITEMS
                    List<Object> items = popToMark(at);
                    putAll(map(peek(at), at), items, at);
                }
                case 0x8f -> push(new ArrayList<>()); // EMPTY_SET (a set of plain values: read as a list)
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popToMark(at);
                    list(peek(at), at).addAll(items);
                }
                case 0x91 -> push(new ArrayList<>(popToMark(at))); // FROZENSET
                case 0x71 -> memoPut(u8(), at); // BINPUT
                case 0x72 -> memoPut(u32(), at); // LONG_BINPUT
                case 0x94 -> memoPut(memo.size(), at); // MEMOIZE
                case 0x68 -> push(memoGet(u8(), at)); // BINGET
                case 0x6a -> push(memoGet(u32(), at)); // LONG_BINGET
                case 0x63 -> { // GLOBAL: "module\nname\n"
                    String module = line(at);
                    String name = line(at);
                    push(global(module, name, at));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL at offset " + at + " needs two strings, got " + type(module)
                                + " and " + type(name));
                    }
                    push(global(m, n, at));
                }
                case 0x51 -> push(persistent(pop(at), at)); // BINPERSID
                case 0x52 -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(reduce(callable, args, at));
                }
                case 0x62 -> { // BUILD
                    Object state = pop(at);
                    Object target = peek(at);
                    if (!orderedDicts.contains(target) || !(state instanceof Map)) {
                        throw new UnsafePickleException(file, describe(target), "BUILD at offset " + at + " with a "
                                + type(state) + " state; only an OrderedDict's attribute dict is accepted");
                    }
                }
                case 0x69 -> { // INST: "module\nname\n"
                    String module = line(at);
                    String name = line(at);
                    throw new UnsafePickleException(file, module + "." + name, "INST at offset " + at
                            + " instantiates a class");
                }
                case 0x6f -> throw new UnsafePickleException(file, describeMarked(at), "OBJ at offset " + at
                        + " instantiates a class");
                case 0x81, 0x92 -> { // NEWOBJ, NEWOBJ_EX
                    Object args = pop(at);
                    if (op == 0x92) {
                        args = pop(at);
                    }
                    throw new UnsafePickleException(file, describe(peek(at)), (op == 0x81 ? "NEWOBJ" : "NEWOBJ_EX")
                            + " at offset " + at + " instantiates a class");
                }
                case 0x82, 0x83, 0x84 -> throw new UnsafePickleException(file, "copyreg extension",
                        "EXT opcode at offset " + at + " names a registered extension");
                default -> throw error(String.format("pickle opcode 0x%02x at offset %d is not supported by this"
                        + " reader (state dicts use protocol 2 binary opcodes)", op, at));
            }
        }
    }

    private Object global(String module, String name, int at) throws TorchCheckpointException {
        String full = module + "." + name;
        Global g = switch (full) {
            case "collections.OrderedDict" -> new Global(Allowed.ORDERED_DICT, full, null);
            case "torch._utils._rebuild_tensor_v2" -> new Global(Allowed.REBUILD_TENSOR, full, null);
            case "torch._utils._rebuild_parameter" -> new Global(Allowed.REBUILD_PARAMETER, full, null);
            case "torch.Size" -> new Global(Allowed.SIZE, full, null);
            default -> module.equals("torch") ? TorchDType.ofStorageClass(name)
                    .map(t -> new Global(Allowed.STORAGE, full, t)).orElse(null) : null;
        };
        if (g == null) {
            throw new UnsafePickleException(file, full, "GLOBAL at offset " + at + " is not one a state dict needs"
                    + " (accepted: collections.OrderedDict, torch._utils._rebuild_tensor_v2,"
                    + " torch._utils._rebuild_parameter, torch.Size, torch.<Type>Storage)");
        }
        return g;
    }

    private Object reduce(Object callable, Object args, int at) throws TorchCheckpointException {
        if (!(callable instanceof Global g)) {
            throw error("REDUCE at offset " + at + " calls a " + type(callable) + ", not an accepted global");
        }
        if (!(args instanceof PickleTuple t)) {
            throw error("REDUCE of " + g.name() + " at offset " + at + " needs an argument tuple, got " + type(args));
        }
        switch (g.kind()) {
            case ORDERED_DICT -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (t.size() == 1 && t.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        List<Object> kv = p instanceof PickleTuple pt ? pt.items() : p instanceof List<?> l
                                ? new ArrayList<>(l) : null;
                        if (kv == null || kv.size() != 2) {
                            throw error("OrderedDict at offset " + at + " takes (key, value) pairs, got " + type(p));
                        }
                        m.put(key(kv.get(0), at), kv.get(1));
                    }
                } else if (t.size() != 0) {
                    throw error("OrderedDict at offset " + at + " takes () or ([pairs],), got " + t.size()
                            + " arguments");
                }
                orderedDicts.add(m);
                return m;
            }
            case SIZE -> {
                if (t.size() != 1 || !(t.get(0) instanceof PickleTuple || t.get(0) instanceof List)) {
                    throw error("torch.Size at offset " + at + " takes one tuple of ints");
                }
                List<?> dims = t.get(0) instanceof PickleTuple pt ? pt.items() : (List<?>) t.get(0);
                for (Object d : dims) {
                    if (!(d instanceof Long)) {
                        throw error("torch.Size at offset " + at + " has a " + type(d) + " dimension");
                    }
                }
                return new PickleTuple(new ArrayList<>(dims));
            }
            case REBUILD_TENSOR -> {
                if (t.size() < 6 || t.size() > 7 || !(t.get(0) instanceof TorchStorage s)
                        || !(t.get(1) instanceof Long offset) || !(t.get(4) instanceof Boolean)) {
                    throw error("_rebuild_tensor_v2 at offset " + at + " takes (storage, offset, size, stride,"
                            + " requires_grad, hooks[, metadata]), got " + describeArgs(t));
                }
                long[] size = longs(t.get(2), "size", at);
                long[] stride = longs(t.get(3), "stride", at);
                if (dryRun) {
                    views.check(s, offset, size, stride);
                    return CHECKED_TENSOR;
                }
                return views.materialize(s, offset, size, stride);
            }
            case REBUILD_PARAMETER -> {
                if (t.size() != 3 || !(t.get(0) instanceof TorchTensor || t.get(0) == CHECKED_TENSOR)
                        || !(t.get(1) instanceof Boolean)) {
                    throw error("_rebuild_parameter at offset " + at + " takes (tensor, requires_grad, hooks), got "
                            + describeArgs(t));
                }
                return t.get(0);
            }
            case STORAGE -> throw new UnsafePickleException(file, g.name(), "REDUCE at offset " + at
                    + " constructs a storage; storages come from persistent ids only");
            default -> throw new IllegalStateException("unreachable: " + g.kind());
        }
    }

    private Object persistent(Object pid, int at) throws TorchCheckpointException {
        if (pid instanceof PickleTuple legacy && legacy.size() == 6 && legacy.get(5) != null) {
            throw error("persistent id at offset " + at + " is a view of a storage (legacy view metadata); re-save the"
                    + " file with PyTorch 1.6 or later");
        }
        if (!(pid instanceof PickleTuple t) || t.size() < 5 || t.size() > 6 || !"storage".equals(t.get(0))
                || !(t.get(1) instanceof Global g) || g.kind() != Allowed.STORAGE || !(t.get(2) instanceof String key)
                || !(t.get(3) instanceof String) || !(t.get(4) instanceof Long numel)) {
            throw error("persistent id at offset " + at + " must be ('storage', torch.<Type>Storage, key, location,"
                    + " numel[, None]), got " + (pid instanceof PickleTuple t2 ? describeArgs(t2) : type(pid)));
        }
        if (!key.matches("[A-Za-z0-9_]{1,64}")) {
            throw error("storage key '" + abbreviate(key) + "' at offset " + at + " must be 1 to 64 letters, digits"
                    + " or underscores");
        }
        if (numel < 0) {
            throw error("storage " + key + " at offset " + at + " has a negative size " + numel);
        }
        TorchStorage cached = storageCache.get(key);
        if (cached != null) {
            if (cached.dtype() != g.dtype() || cached.numel() != numel) {
                throw error("storage " + key + " is referenced as " + g.dtype() + " x " + numel + " and as "
                        + cached.dtype() + " x " + cached.numel());
            }
            return cached;
        }
        TorchStorage s = storages.storage(key, g.dtype(), numel);
        storageCache.put(key, s);
        return s;
    }

    private long[] longs(Object v, String what, int at) throws TorchCheckpointException {
        List<?> items = v instanceof PickleTuple t ? t.items() : v instanceof List<?> l ? l : null;
        if (items == null || items.size() > 64) {
            throw error("tensor " + what + " at offset " + at + " must be a tuple of at most 64 ints, got "
                    + type(v));
        }
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long x)) {
                throw error("tensor " + what + "[" + i + "] at offset " + at + " is a " + type(items.get(i)));
            }
            out[i] = x;
        }
        return out;
    }

    private void putAll(Map<Object, Object> m, List<Object> items, int at) throws TorchCheckpointException {
        if (items.size() % 2 != 0) {
            throw error("dict items at offset " + at + " are not key/value pairs (" + items.size() + " values)");
        }
        for (int i = 0; i < items.size(); i += 2) {
            m.put(key(items.get(i), at), items.get(i + 1));
        }
    }

    /** Dict keys: scalars, or tuples of scalars (no containers, whose hash could recurse). */
    private Object key(Object k, int at) throws TorchCheckpointException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double) {
            return k;
        }
        if (k instanceof PickleTuple t) {
            for (Object o : t.items()) {
                if (!(o == null || o instanceof String || o instanceof Long || o instanceof Boolean
                        || o instanceof Double)) {
                    throw error("dict key at offset " + at + " is a tuple holding a " + type(o));
                }
            }
            return k;
        }
        throw error("dict key at offset " + at + " is a " + type(k) + " (keys must be str, int, float, bool or"
                + " tuples of these)");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, int at) throws TorchCheckpointException {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw error("APPEND/ADDITEMS at offset " + at + " on a " + type(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> map(Object o, int at) throws TorchCheckpointException {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw error("SETITEM at offset " + at + " on a " + type(o) + ", not a dict");
    }

    private void memoPut(long index, int at) throws TorchCheckpointException {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw error("more than " + MAX_MEMO + " memo entries at offset " + at);
        }
        memo.put(index, peek(at));
    }

    private Object memoGet(long index, int at) throws TorchCheckpointException {
        if (!memo.containsKey(index)) {
            throw error("memo GET of entry " + index + " at offset " + at + ", which was never PUT");
        }
        return memo.get(index);
    }

    private void push(Object o) throws TorchCheckpointException {
        if (stack.size() >= MAX_STACK) {
            throw error("more than " + MAX_STACK + " values on the pickle stack at offset " + pos);
        }
        stack.add(o);
    }

    private Object pop(int at) throws TorchCheckpointException {
        Object o = peek(at);
        stack.remove(stack.size() - 1);
        return o;
    }

    private Object peek(int at) throws TorchCheckpointException {
        if (stack.isEmpty() || (markCount > 0 && stack.size() - 1 < marks[markCount - 1])) {
            throw error("opcode at offset " + at + " needs a value, the stack is empty");
        }
        Object o = stack.get(stack.size() - 1);
        if (o == MARK) {
            throw error("opcode at offset " + at + " needs a value, the top of the stack is a mark");
        }
        return o;
    }

    private List<Object> popN(int n, int at) throws TorchCheckpointException {
        int base = markCount > 0 ? marks[markCount - 1] + 1 : 0;
        if (stack.size() - n < base) {
            throw error("opcode at offset " + at + " needs " + n + " values, the stack has " + (stack.size() - base));
        }
        List<Object> sub = stack.subList(stack.size() - n, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    private List<Object> popToMark(int at) throws TorchCheckpointException {
        if (markCount == 0) {
            throw error("opcode at offset " + at + " needs a mark, there is none");
        }
        int m = marks[--markCount];
        List<Object> sub = stack.subList(m + 1, stack.size());
        List<Object> items = new ArrayList<>(sub);
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void popMark(int at) throws TorchCheckpointException {
        popToMark(at);
    }

    private String describeMarked(int at) throws TorchCheckpointException {
        List<Object> items = popToMark(at);
        return items.isEmpty() ? "(nothing)" : describe(items.get(0));
    }

    private int u8() throws TorchCheckpointException {
        need(1);
        return data[pos++] & 0xff;
    }

    private int u16() throws TorchCheckpointException {
        need(2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i32() throws TorchCheckpointException {
        need(4);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
                | (data[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u32() throws TorchCheckpointException {
        return i32() & 0xffffffffL;
    }

    private long u64(String what) throws TorchCheckpointException {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (data[pos + i] & 0xff);
        }
        pos += 8;
        if (v < 0) {
            throw error(what + " length " + Long.toUnsignedString(v) + " at offset " + (pos - 8) + " is absurd");
        }
        return v;
    }

    private long i64be() throws TorchCheckpointException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (data[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private long longN(long n, int at) throws TorchCheckpointException {
        if (n < 0 || n > 8) {
            throw error("integer of " + n + " bytes at offset " + at + " does not fit 64 bits");
        }
        need(n);
        long v = 0;
        for (int i = (int) n - 1; i >= 0; i--) {
            v = v << 8 | (data[pos + i] & 0xff);
        }
        if (n > 0 && n < 8 && (data[pos + (int) n - 1] & 0x80) != 0) {
            v |= -1L << (8 * n); // sign-extend two's complement
        }
        pos += (int) n;
        return v;
    }

    private void need(long n) throws TorchCheckpointException {
        if (n < 0 || n > data.length - pos) {
            throw error("the pickle needs " + n + " more bytes at offset " + pos + " but has " + (data.length - pos)
                    + " (truncated or corrupt)");
        }
    }

    private byte[] bytes(long n) throws TorchCheckpointException {
        need(n);
        byte[] b = java.util.Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String utf8(long n, int at) throws TorchCheckpointException {
        need(n);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(data, pos, (int) n)).toString();
            pos += (int) n;
            return s;
        } catch (CharacterCodingException e) {
            throw error("string at offset " + at + " is not valid UTF-8");
        }
    }

    private String latin1(long n) throws TorchCheckpointException {
        need(n);
        String s = new String(data, pos, (int) n, StandardCharsets.ISO_8859_1);
        pos += (int) n;
        return s;
    }

    private String line(int at) throws TorchCheckpointException {
        int end = pos;
        while (end < data.length && end - pos <= 256 && data[end] != '\n') {
            end++;
        }
        if (end >= data.length || data[end] != '\n') {
            throw error("GLOBAL/INST name at offset " + at + " is not a newline-terminated name of at most 256 bytes");
        }
        String s = new String(data, pos, end - pos, StandardCharsets.ISO_8859_1);
        pos = end + 1;
        return s;
    }

    private TorchCheckpointException error(String detail) {
        return new TorchCheckpointException(file, "data.pkl", detail, null);
    }

    private static String describeArgs(PickleTuple t) {
        List<String> parts = new ArrayList<>();
        for (Object o : t.items()) {
            parts.add(type(o));
        }
        return "(" + String.join(", ", parts) + ")";
    }

    private static String describe(Object o) {
        return o instanceof Global g ? g.name() : type(o);
    }

    static String type(Object o) {
        if (o == null) {
            return "None";
        }
        if (o == MARK) {
            return "mark";
        }
        if (o instanceof Global g) {
            return "global " + g.name();
        }
        if (o instanceof TorchStorage s) {
            return "storage " + s.key();
        }
        return switch (o.getClass().getSimpleName()) {
            case "Long" -> "int";
            case "Double" -> "float";
            case "String" -> "str";
            case "Boolean" -> "bool";
            case "byte[]" -> "bytes";
            case "ArrayList" -> "list";
            case "LinkedHashMap" -> "dict";
            case "PickleTuple" -> "tuple";
            case "TorchTensor" -> "tensor";
            default -> o.getClass().getSimpleName();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
