package org.laudnet.core.latency.cpu;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.laudnet.core.util.LaudnetHome;

/**
 * A calibrated CPU latency profile: the machine it was measured on and one fitted {@link LinearTerm} per {@link
 * CpuTerm}. Stored as versioned JSON; {@link #read(Path)} rejects other format versions.
 *
 * @param formatVersion the file format version, {@link #FORMAT_VERSION}
 * @param machine where and with what the timings were taken
 * @param terms one term per {@link CpuTerm}, each with that term's features
 */
public record CpuLatencyProfile(int formatVersion, Machine machine, Map<CpuTerm, LinearTerm> terms) {

    /**
     * The format version this code reads and writes. Version 2: the spatial terms' features describe the engine's
     * gather-conv-scatter paths (conv2 and conv3 on the active patches only); version-1 profiles were fitted to an
     * earlier executor and must be recalibrated.
     */
    public static final int FORMAT_VERSION = 2;

    /** File name of the profile in the LAUDNet home ({@link #defaultLocation()}). */
    public static final String DEFAULT_FILE_NAME = "cpu-profile.json";

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
            String date,
            String mode) {}

    /** Validates the version and that every term is present with its term's feature names; copies the map. */
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
     */
    public LinearTerm term(CpuTerm t) {
        return terms.get(t);
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
     * @throws ProfileFormatException for malformed JSON, a missing or unknown {@code formatVersion}, or invalid terms
     */
    public static CpuLatencyProfile fromJson(String json, String source) throws ProfileFormatException {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new ProfileFormatException(source, "a CPU latency profile must be a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new ProfileFormatException(source, "not valid JSON: " + e.getMessage(), e);
        }
        JsonElement v = root.get("formatVersion");
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new ProfileFormatException(source, "formatVersion is missing; not a CPU latency profile");
        }
        int version = v.getAsInt();
        if (version != FORMAT_VERSION) {
            throw new ProfileFormatException(source, "formatVersion " + version + " is not supported (this build"
                    + " reads version " + FORMAT_VERSION + "); recalibrate with 'laudnet calibrate'");
        }
        try {
            return GSON.fromJson(root, CpuLatencyProfile.class);
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new ProfileFormatException(source, "invalid profile: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a profile file.
     *
     * @param file the JSON file
     * @return the profile
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws ProfileFormatException if it is not a valid profile of this format version
     * @throws IOException if reading fails
     */
    public static CpuLatencyProfile read(Path file) throws IOException {
        return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
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
