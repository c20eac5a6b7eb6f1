package org.laudnet.core.latency.cpu;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.laudnet.core.util.LaudnetHome;

/**
 * A calibrated CPU latency profile: the machine and the engine backend it was measured on, and one fitted
 * {@link LinearTerm} per {@link CpuTerm} that the backend can take. Every term is required except the spatial schedule
 * terms ({@link CpuTerm#isSpatialSchedule()}), of which a profile holds exactly those of its backend's schedules (the
 * model considers no other). Stored as versioned JSON; {@link #read(Path)} rejects other format versions, and
 * {@link #requireBackend} a profile of another backend than the one a caller runs.
 *
 * <p>Immutable and thread-safe.
 *
 * @param formatVersion the file format version, {@link #FORMAT_VERSION}
 * @param machine where and with what the timings were taken
 * @param terms the fitted terms, each with that term's features
 */
public record CpuLatencyProfile(int formatVersion, Machine machine, Map<CpuTerm, LinearTerm> terms) {

    /**
     * The format version this code reads and writes. Version 2: the spatial terms' features describe the engine's
     * gather-conv-scatter paths (conv2 and conv3 on the active patches only); version-1 profiles were fitted to an
     * earlier executor and must be recalibrated. Version 3 added the SPATIAL_ROWS term, version 4 the CHANNEL_UNION
     * term; older profiles lack a term and are refused with their version. Version 5: the profile names the backend
     * it was measured on ({@link Machine#backend()}) and holds the spatial schedule terms of that backend only (the
     * SPATIAL_HALO term added); the path terms include the maskers' evaluation as an inference call does, the
     * masker terms' prediction subtracted; timings follow {@link TimingProtocol}. Version 6: the block terms are
     * timed as a block runs inside a network, on a non-negative input already in the backend's layout and handed over
     * to the call; version-5 terms also held the conversion of the input and output between DJL arrays and the
     * backend's layout (for the oneDNN backend most of a small block's time) and are refused.
     */
    public static final int FORMAT_VERSION = 6;

    /** File name of the profile in the LAUDNet home ({@link #defaultLocation()}). */
    public static final String DEFAULT_FILE_NAME = "cpu-profile.json";

    /** The largest profile file read, in bytes (a profile takes a few KiB). */
    public static final long MAX_FILE_BYTES = 1L << 20;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    /**
     * The measurement environment.
     *
     * @param cpu the CPU model name ({@code /proc/cpuinfo})
     * @param cores available processors
     * @param threads intra-op threads of the engine ({@code ai.djl.pytorch.num_threads})
     * @param ompWaitPolicy the {@code OMP_WAIT_POLICY} environment variable of the process ({@code unset} if none):
     *     with more runnable threads than cores, {@code PASSIVE} avoids OpenMP spin-waiting, which changes latency
     * @param jvm JVM name and version
     * @param djl DJL version
     * @param engine engine name and version (PyTorch)
     * @param backend the id of the engine backend the blocks and operators were timed on ({@code djl-cpu},
     *     {@code onednn}, ...; {@link org.laudnet.core.exec.Backend#id()}): the profile predicts that backend only
     * @param backendDescription the backend's own description (its runtime and threads)
     * @param date ISO-8601 time of the calibration
     * @param mode calibration grid ({@code full} or {@code quick})
     */
    public record Machine(
            String cpu,
            int cores,
            int threads,
            String ompWaitPolicy,
            String jvm,
            String djl,
            String engine,
            String backend,
            String backendDescription,
            String date,
            String mode) {
        /** Validates that the backend is named. */
        public Machine {
            if (backend == null || backend.isBlank()) {
                throw new IllegalArgumentException("machine.backend must name the backend the profile was measured on,"
                        + " got " + (backend == null ? "none" : "'" + backend + "'"));
            }
        }
    }

    /**
     * Validates the version and that every required term is present, each term with its feature names; copies the
     * map.
     */
    public CpuLatencyProfile {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    "formatVersion must be " + FORMAT_VERSION + ", got " + formatVersion);
        }
        if (machine == null) {
            throw new IllegalArgumentException("machine must not be null");
        }
        if (terms == null) {
            throw new IllegalArgumentException("terms must not be null");
        }
        EnumMap<CpuTerm, LinearTerm> copy = new EnumMap<>(CpuTerm.class);
        for (CpuTerm t : CpuTerm.values()) {
            LinearTerm lt = terms.get(t);
            if (lt == null && t.isSpatialSchedule()) {
                continue;
            }
            if (lt == null) {
                throw new IllegalArgumentException("terms must hold " + t + ", missing");
            }
            if (!lt.features().equals(t.features())) {
                throw new IllegalArgumentException("terms." + t + " must have features " + t.features() + ", got "
                        + lt.features());
            }
            copy.put(t, lt);
        }
        terms = java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * Returns one term.
     *
     * @param t the term
     * @return its fitted costs
     * @throws IllegalArgumentException for a spatial schedule term the profile's backend does not have
     */
    public LinearTerm term(CpuTerm t) {
        LinearTerm lt = terms.get(t);
        if (lt == null) {
            throw new IllegalArgumentException("the profile of backend '" + machine.backend() + "' has no term " + t
                    + "; its spatial schedules are " + spatialSchedules());
        }
        return lt;
    }

    /**
     * Returns whether the profile holds a term (every term but the spatial schedules of other backends).
     *
     * @param t the term
     * @return whether {@link #term} answers it
     */
    public boolean has(CpuTerm t) {
        return terms.containsKey(t);
    }

    /**
     * Returns the spatial schedule terms the profile holds: those of its backend, in {@link CpuTerm} order.
     *
     * @return the terms (empty: spatial gates run masked dense on that backend)
     */
    public List<CpuTerm> spatialSchedules() {
        return terms.keySet().stream().filter(CpuTerm::isSpatialSchedule).toList();
    }

    /**
     * Refuses a profile measured on another backend than the one a caller runs or measures: its terms describe that
     * backend's primitives and paths only.
     *
     * @param backendId the id of the backend the caller uses ({@link org.laudnet.core.exec.Backend#id()})
     * @param source the profile's file, for the message
     * @throws ProfileBackendMismatchException naming both backends when they differ
     */
    public void requireBackend(String backendId, String source) throws ProfileBackendMismatchException {
        if (backendId == null) {
            throw new IllegalArgumentException("backendId must not be null");
        }
        if (!machine.backend().equalsIgnoreCase(backendId)) {
            throw new ProfileBackendMismatchException(source, machine.backend(), backendId);
        }
    }

    /** Returns the profile as pretty-printed JSON. */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Parses a profile.
     *
     * @param json the JSON text
     * @param source a name for messages (the file)
     * @return the profile
     * @throws ProfileFormatException for malformed JSON, a name repeated within an object, a missing or unknown
     *     {@code formatVersion}, or invalid terms
     */
    public static CpuLatencyProfile fromJson(String json, String source) throws ProfileFormatException {
        JsonObject root;
        try {
            String duplicate = duplicateName(json);
            if (duplicate != null) {
                throw new ProfileFormatException(source, "the name " + duplicate + " appears twice in one object "
                        + "(which value holds is ambiguous)");
            }
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new ProfileFormatException(source, "a CPU latency profile must be a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (ProfileFormatException e) {
            throw e;
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new ProfileFormatException(source, "not valid JSON: " + e.getMessage(), e);
        }
        JsonElement v = root.get("formatVersion");
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new ProfileFormatException(source, "formatVersion is missing; not a CPU latency profile");
        }
        int version;
        try {
            version = v.getAsBigDecimal().intValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ProfileFormatException(source, "formatVersion must be an integer, got " + v, e);
        }
        if (version != FORMAT_VERSION) {
            throw new ProfileFormatException(source, "formatVersion " + version + " is not supported (this build"
                    + " reads version " + FORMAT_VERSION + "); recalibrate with 'laudnet calibrate'");
        }
        JsonElement terms = root.get("terms");
        if (terms != null && terms.isJsonObject()) {
            // a term of an unknown name would be dropped silently (the spatial schedule terms are optional)
            for (String name : terms.getAsJsonObject().keySet()) {
                if (java.util.Arrays.stream(CpuTerm.values()).noneMatch(t -> t.name().equals(name))) {
                    throw new ProfileFormatException(source, "unknown term " + name + " in terms (known: "
                            + java.util.Arrays.toString(CpuTerm.values()) + ")");
                }
            }
        }
        try {
            CpuLatencyProfile p = GSON.fromJson(root, CpuLatencyProfile.class);
            if (p == null) {
                throw new ProfileFormatException(source, "invalid profile: empty");
            }
            return p;
        } catch (RuntimeException e) {
            // Gson reports a record's IllegalArgumentException wrapped in its own RuntimeException; what the records do
            // not validate themselves (a null map key, a null list element) is refused alike
            throw new ProfileFormatException(source, "invalid profile: " + reason(e), e);
        }
    }

    /** The message of the innermost IllegalArgumentException in a cause chain (a record's validation), else e's. */
    private static String reason(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NumberFormatException) {
                return "a malformed number (" + t.getMessage() + ")";
            }
            if (t instanceof IllegalArgumentException && t.getMessage() != null) {
                return t.getMessage();
            }
        }
        return e instanceof JsonParseException ? e.getMessage() : e.toString();
    }

    /**
     * Returns the first member name that appears twice in one object of a JSON text (as its path), or null: a JSON
     * parser keeps one of the values silently, so a profile with a repeated term or field is ambiguous.
     */
    private static String duplicateName(String json) throws IOException {
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(Strictness.LENIENT);
            Deque<Set<String>> names = new ArrayDeque<>();
            while (true) {
                JsonToken t = r.peek();
                switch (t) {
                    case BEGIN_OBJECT -> {
                        r.beginObject();
                        names.push(new HashSet<>());
                    }
                    case END_OBJECT -> {
                        r.endObject();
                        names.pop();
                    }
                    case BEGIN_ARRAY -> r.beginArray();
                    case END_ARRAY -> r.endArray();
                    case NAME -> {
                        if (!names.peek().add(r.nextName())) {
                            return r.getPath();
                        }
                    }
                    case END_DOCUMENT -> {
                        return null;
                    }
                    default -> r.skipValue();
                }
            }
        }
    }

    /**
     * Reads a profile file.
     *
     * @param file the JSON file
     * @return the profile
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws ProfileFormatException if it is a directory, larger than {@value #MAX_FILE_BYTES} bytes, not UTF-8 text, or
     *     not a valid profile of this format version
     * @throws IOException if reading fails
     */
    public static CpuLatencyProfile read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new ProfileFormatException(file.toString(), "is a directory, not a CPU latency profile");
        }
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new ProfileFormatException(file.toString(), "has " + size + " bytes, more than the limit of "
                    + MAX_FILE_BYTES + " for a CPU latency profile");
        }
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ProfileFormatException(file.toString(), "is not valid UTF-8 text", e);
        }
        return fromJson(json, file.toString());
    }

    /**
     * Writes the profile as JSON, creating parent directories.
     *
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }

    /**
     * Returns the default profile location: {@value #DEFAULT_FILE_NAME} in the LAUDNet home
     * ({@link LaudnetHome#current()}: {@code -Dlaudnet.home}, else {@code $LAUDNET_HOME}, else
     * {@code $HOME/.laudnet}).
     *
     * @return the default profile file
     * @throws IllegalStateException if the LAUDNet home setting is a relative path (the message names the setting)
     */
    public static Path defaultLocation() {
        return LaudnetHome.current().file(DEFAULT_FILE_NAME);
    }
}
