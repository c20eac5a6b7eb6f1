package org.laudnet.models.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Class names of an image classifier, read from a JSON object mapping {@code "0" .. "n-1"} to names (the
 * {@code labels.json} of the ImageNet ResNet-50 asset, {@code n = 1000}, names such as {@code "bald_eagle"}).
 */
public final class ImageNetLabels {

    private final Path file;
    private final List<String> names;

    private ImageNetLabels(Path file, String[] names) {
        this.file = file;
        this.names = Collections.unmodifiableList(Arrays.asList(names));
    }

    /**
     * Reads a labels file.
     *
     * @param labelsJson JSON object with keys {@code "0" .. "n-1"} (each exactly once, any order) and string values
     * @return the labels
     * @throws WeightFileException if the file is missing, not a JSON object, has a key that is not an index in
     *     {@code [0, n)}, misses an index, or has a non-string or blank name
     */
    public static ImageNetLabels load(Path labelsJson) throws WeightFileException {
        if (labelsJson == null) {
            throw new IllegalArgumentException("labelsJson must not be null");
        }
        String text;
        try {
            text = Files.readString(labelsJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(labelsJson, "file not found", e);
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(labelsJson, "cannot read: " + e, e);
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new WeightFileException(labelsJson, "not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new WeightFileException(labelsJson, "must be a JSON object mapping \"0\"..\"n-1\" to names");
        }
        JsonObject o = root.getAsJsonObject();
        int n = o.size();
        if (n == 0) {
            throw new WeightFileException(labelsJson, "holds no labels");
        }
        String[] names = new String[n];
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            int index;
            try {
                index = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new WeightFileException(labelsJson, "key '" + e.getKey() + "' is not a class index", ex);
            }
            if (index < 0 || index >= n || !e.getKey().equals(Integer.toString(index))) {
                throw new WeightFileException(labelsJson, "key '" + e.getKey() + "' is not an index in [0, " + n
                        + ") written in canonical form");
            }
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString() || v.getAsString().isBlank()) {
                throw new WeightFileException(labelsJson, "label " + index + " must be a non-blank string, got " + v);
            }
            names[index] = v.getAsString();
        }
        for (int i = 0; i < n; i++) {
            if (names[i] == null) {
                throw new WeightFileException(labelsJson, "label " + i + " is missing");
            }
        }
        return new ImageNetLabels(labelsJson, names);
    }

    /**
     * The file the labels were read from.
     *
     * @return the path given to {@link #load(Path)}
     */
    public Path file() {
        return file;
    }

    /**
     * The number of classes {@code n}.
     *
     * @return the label count
     */
    public int size() {
        return names.size();
    }

    /**
     * The name of a class as stored (e.g. {@code "bald_eagle"}).
     *
     * @param index the class index, {@code 0 <= index < size()}
     * @return the stored name
     */
    public String name(int index) {
        if (index < 0 || index >= names.size()) {
            throw new IllegalArgumentException("index must be in [0, " + names.size() + "), got " + index);
        }
        return names.get(index);
    }

    /**
     * The name of a class with underscores shown as spaces (e.g. {@code "bald eagle"}).
     *
     * @param index the class index, {@code 0 <= index < size()}
     * @return the readable name
     */
    public String displayName(int index) {
        return name(index).replace('_', ' ');
    }

    /**
     * Finds a class by name, in stored form or with spaces for underscores.
     *
     * @param name e.g. {@code "bald_eagle"} or {@code "bald eagle"}
     * @return the first class index with that name, or empty
     */
    public OptionalInt indexOf(String name) {
        if (name == null) {
            return OptionalInt.empty();
        }
        String wanted = name.replace(' ', '_');
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(name) || names.get(i).equals(wanted)) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Maps names such as class directory names to class indices: a name in stored or readable form, compared
     * case-insensitively ({@code bald_eagle}, {@code Bald eagle}), or a class index written in decimal
     * ({@code 0 .. size() - 1}). A name that several classes share maps to the first of them.
     *
     * @param names the names to map
     * @return name to class index, in the given order, or empty if the list is empty or some name matches no class
     */
    public Optional<Map<String, Integer>> classIndices(List<String> names) {
        if (names == null) {
            throw new IllegalArgumentException("names must not be null");
        }
        Map<String, Integer> byName = new HashMap<>();
        for (int i = this.names.size() - 1; i >= 0; i--) {
            byName.put(this.names.get(i).toLowerCase(Locale.ROOT), i);
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String n : names) {
            if (n == null) {
                return Optional.empty();
            }
            Integer index = byName.get(n.toLowerCase(Locale.ROOT).replace(' ', '_'));
            if (index == null && n.matches("\\d{1,6}")) {
                int v = Integer.parseInt(n);
                index = v < this.names.size() ? v : null;
            }
            if (index == null) {
                return Optional.empty();
            }
            out.put(n, index);
        }
        return out.isEmpty() ? Optional.empty() : Optional.of(Collections.unmodifiableMap(out));
    }

    /**
     * All names in class order.
     *
     * @return an unmodifiable list of the stored names
     */
    public List<String> names() {
        return names;
    }
}
