package org.laudnet.bench.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Structural edits of JSON documents (model headers, safetensors headers, {@code model.json}, profiles): a member or
 * element removed, a value replaced by another type, a number set to an extreme (huge, negative, fractional, beyond
 * double, NaN), an array emptied or blown up, a value nested beyond parsers' depth limits, a very long string, a
 * member written twice, an unknown member added. The edited document is written by this class, so that it can hold
 * what a JSON library would not write (duplicate names, {@code NaN}). Stateless and thread-safe.
 */
public final class JsonMutator {

    /** Numbers written in place of a number. */
    private static final String[] EXTREME_NUMBERS = {"0", "-1", "-2147483648", "2147483647", "2147483648",
        "9223372036854775807", "18446744073709551616", "1e308", "1e999", "-1e999", "0.5", "-0.0", "1e-320", "NaN",
        "Infinity", "-Infinity", "1e99999999"};

    private JsonMutator() {}

    /**
     * An edited document.
     *
     * @param json the document's text
     * @param description what was changed, with the JSON path
     */
    public record Edit(String json, String description) {}

    /** A node of the tree and where it hangs. */
    private record Node(JsonElement parent, String key, int index, JsonElement value, String path) {}

    /**
     * Applies one random edit to a copy of a document.
     *
     * @param root the document (not modified)
     * @param random the random source
     * @return the edited document
     */
    public static Edit mutate(JsonElement root, SplittableRandom random) {
        return mutate(root, random, n -> true);
    }

    /**
     * Applies one random edit to a copy of a document, at a node whose path satisfies a condition (or the root).
     *
     * @param root the document (not modified)
     * @param random the random source
     * @param where which JSON paths (e.g. {@code $.stages[0].width}) may be edited
     * @return the edited document
     */
    public static Edit mutate(JsonElement root, SplittableRandom random, Predicate<String> where) {
        JsonElement copy = root.deepCopy();
        List<Node> nodes = new ArrayList<>();
        collect(copy, null, null, -1, "$", nodes);
        List<Node> eligible = nodes.stream().filter(n -> where.test(n.path())).toList();
        Writer w = new Writer();
        if (eligible.isEmpty()) {
            return new Edit(w.write(copy), "nothing to edit");
        }
        Node n = eligible.get(random.nextInt(eligible.size()));
        String what;
        int op = random.nextInt(9);
        switch (op) {
            case 0 -> {
                remove(n);
                what = "removed";
            }
            case 1 -> {
                JsonElement other = otherType(n.value(), random);
                replace(n, other);
                what = "retyped to " + abbreviate(other.toString());
            }
            case 2 -> {
                String number = EXTREME_NUMBERS[random.nextInt(EXTREME_NUMBERS.length)];
                JsonPrimitive marker = new JsonPrimitive(0);
                replace(n, marker);
                w.raw.put(marker, number);
                what = "set to " + number;
            }
            case 3 -> {
                JsonArray big = new JsonArray();
                JsonElement item = n.value().isJsonArray() && !n.value().getAsJsonArray().isEmpty()
                        ? n.value().getAsJsonArray().get(0) : new JsonPrimitive(1);
                int count = 1 + random.nextInt(20_000);
                for (int i = 0; i < count; i++) {
                    big.add(item);
                }
                replace(n, big);
                what = "replaced by an array of " + count + " copies of " + abbreviate(item.toString());
            }
            case 4 -> {
                JsonElement empty = n.value().isJsonArray() ? new JsonArray() : n.value().isJsonObject()
                        ? new JsonObject() : new JsonPrimitive("");
                replace(n, empty);
                what = "emptied";
            }
            case 5 -> {
                int depth = 200 + random.nextInt(400);
                JsonPrimitive marker = new JsonPrimitive(0);
                replace(n, marker);
                w.raw.put(marker, "[".repeat(depth) + "1" + "]".repeat(depth));
                what = "nested " + depth + " arrays deep";
            }
            case 6 -> {
                int length = 1 + random.nextInt(200_000);
                replace(n, new JsonPrimitive("x".repeat(length)));
                what = "replaced by a string of " + length + " characters";
            }
            case 7 -> {
                if (n.parent() instanceof JsonObject o) {
                    w.duplicates.put(o, n.key());
                    what = "written twice";
                } else {
                    n.parent().getAsJsonArray().add(n.value().deepCopy());
                    what = "appended once more";
                }
            }
            default -> {
                if (n.value() instanceof JsonObject o) {
                    o.add("fuzz" + random.nextInt(1000), otherType(JsonNull.INSTANCE, random));
                    what = "given an unknown member";
                } else {
                    JsonPrimitive marker = new JsonPrimitive(0);
                    replace(n, marker);
                    w.raw.put(marker, "\"\\ud800\\u0000\u00ff\"");
                    what = "replaced by a string with a lone surrogate and NUL";
                }
            }
        }
        return new Edit(w.write(copy), n.path() + " " + what);
    }

    private static void collect(JsonElement e, JsonElement parent, String key, int index, String path,
            List<Node> out) {
        if (parent != null) {
            out.add(new Node(parent, key, index, e, path));
        }
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                collect(m.getValue(), e, m.getKey(), -1, path + "." + m.getKey(), out);
            }
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            // long arrays (weights, labels) contribute their first and last elements only
            for (int i = 0; i < a.size(); i++) {
                if (i < 4 || i == a.size() - 1) {
                    collect(a.get(i), e, null, i, path + "[" + i + "]", out);
                }
            }
        }
    }

    private static void remove(Node n) {
        if (n.parent() instanceof JsonObject o) {
            o.remove(n.key());
        } else {
            n.parent().getAsJsonArray().remove(n.index());
        }
    }

    private static void replace(Node n, JsonElement value) {
        if (n.parent() instanceof JsonObject o) {
            o.add(n.key(), value);
        } else {
            n.parent().getAsJsonArray().set(n.index(), value);
        }
    }

    private static JsonElement otherType(JsonElement current, SplittableRandom random) {
        for (int attempt = 0; attempt < 8; attempt++) {
            JsonElement e = switch (random.nextInt(6)) {
                case 0 -> new JsonPrimitive("fuzz");
                case 1 -> new JsonPrimitive(random.nextInt(-5, 100));
                case 2 -> new JsonPrimitive(random.nextBoolean());
                case 3 -> JsonNull.INSTANCE;
                case 4 -> {
                    JsonArray a = new JsonArray();
                    a.add(1);
                    yield a;
                }
                default -> {
                    JsonObject o = new JsonObject();
                    o.addProperty("a", 1);
                    yield o;
                }
            };
            if (!sameType(e, current)) {
                return e;
            }
        }
        return JsonNull.INSTANCE;
    }

    private static boolean sameType(JsonElement a, JsonElement b) {
        if (a.isJsonPrimitive() && b.isJsonPrimitive()) {
            JsonPrimitive p = a.getAsJsonPrimitive();
            JsonPrimitive q = b.getAsJsonPrimitive();
            return p.isNumber() == q.isNumber() && p.isString() == q.isString() && p.isBoolean() == q.isBoolean();
        }
        return a.isJsonArray() == b.isJsonArray() && a.isJsonObject() == b.isJsonObject()
                && a.isJsonNull() == b.isJsonNull();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /**
     * Writes a tree as JSON text, with raw text in place of marked values and marked object members written twice.
     */
    static final class Writer {
        final Map<JsonElement, String> raw = new IdentityHashMap<>();
        final Map<JsonObject, String> duplicates = new IdentityHashMap<>();

        String write(JsonElement e) {
            StringBuilder s = new StringBuilder();
            write(e, s);
            return s.toString();
        }

        private void write(JsonElement e, StringBuilder s) {
            String r = raw.get(e);
            if (r != null) {
                s.append(r);
            } else if (e.isJsonObject()) {
                s.append('{');
                boolean first = true;
                String dup = duplicates.get(e.getAsJsonObject());
                for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                    for (int k = 0; k < (m.getKey().equals(dup) ? 2 : 1); k++) {
                        if (!first) {
                            s.append(',');
                        }
                        first = false;
                        s.append(new JsonPrimitive(m.getKey())).append(':');
                        write(m.getValue(), s);
                    }
                }
                s.append('}');
            } else if (e.isJsonArray()) {
                s.append('[');
                JsonArray a = e.getAsJsonArray();
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) {
                        s.append(',');
                    }
                    write(a.get(i), s);
                }
                s.append(']');
            } else {
                s.append(e);
            }
        }
    }
}
