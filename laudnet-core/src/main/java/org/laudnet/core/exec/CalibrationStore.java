package org.laudnet.core.exec;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's path-cost calibrations on one backend and machine, per batch size: one {@link BlockCalibration} per block.
 * Computed once per batch size (concurrent first callers wait for one computation), bounded (the least recently used
 * batch size is dropped beyond the capacity), and saved to / loaded from a small JSON file, so that a service can
 * calibrate ahead of time and reuse the result across restarts. A file is only accepted for the same backend, machine
 * fingerprint ({@link #machineFingerprint}), model structure ({@link #structureFingerprint}: what the measured costs
 * depend on besides the machine, e.g. the gates) and block count. Thread-safe.
 */
public final class CalibrationStore {

    private static final Logger LOG = LoggerFactory.getLogger(CalibrationStore.class);

    /** Default number of batch sizes kept. */
    public static final int DEFAULT_CAPACITY = 16;

    /**
     * The file format: 2 since the channel paths' cost models changed ({@link ExecutionPath#CHANNEL_UNION} and its
     * features); files of format 1 are refused (recalibrate).
     */
    static final int FORMAT_VERSION = 2;
    private static final long MAX_FILE_BYTES = 16L << 20;

    private final String backendId;
    private final String machine;
    private final String structure;
    private final int blocks;
    private final int capacity;
    private final Map<Integer, CompletableFuture<List<BlockCalibration>>> entries;
    private final AtomicInteger computations = new AtomicInteger();

    /**
     * Creates an empty store.
     *
     * @param backendId the backend the calibrations are measured on
     * @param machine the machine fingerprint (backend description, processor, threads)
     * @param structure the model's structure fingerprint ({@link #structureFingerprint})
     * @param blocks the number of blocks of the model
     * @param capacity the most batch sizes kept, positive
     */
    public CalibrationStore(String backendId, String machine, String structure, int blocks, int capacity) {
        if (backendId == null || machine == null || structure == null) {
            throw new IllegalArgumentException("backendId, machine and structure must not be null");
        }
        Checks.nonNegative("blocks", blocks);
        Checks.positive("capacity", capacity);
        this.backendId = backendId;
        this.machine = machine;
        this.structure = structure;
        this.blocks = blocks;
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true);
    }

    /**
     * Returns a fingerprint of the machine a CPU calibration is valid on: the backend's description (which names its
     * threads), the processor model and the number of available processors.
     *
     * @param backend the backend
     * @return the fingerprint
     */
    public static String machineFingerprint(Backend<?> backend) {
        String cpu = "unknown processor";
        try {
            Path info = Path.of("/proc/cpuinfo");
            if (Files.isReadable(info)) {
                for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
                    if (line.startsWith("model name")) {
                        cpu = line.substring(line.indexOf(':') + 1).trim();
                        break;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the fingerprint stays generic
        }
        return backend.description() + "; " + cpu + "; " + Runtime.getRuntime().availableProcessors()
                + " processors; " + System.getProperty("os.arch");
    }

    /**
     * Returns a fingerprint of what a plan's path costs depend on besides the machine: per block its geometry, its gate
     * (mode, granularity, groups, masker), its squeeze-excitation width and the sparse paths it has on the backend; not
     * the weights. Plans with the same fingerprint can share calibrations; the same network gated otherwise cannot.
     *
     * @param plan the plan
     * @param schedules the backend's spatial schedules ({@link Backend#spatialSchedules()})
     * @return the fingerprint (a SHA-256 hex digest)
     * @throws IllegalArgumentException if an argument is null
     */
    public static String structureFingerprint(InferencePlan plan, Set<SpatialSchedule> schedules) {
        if (plan == null || schedules == null) {
            throw new IllegalArgumentException("plan and schedules must not be null");
        }
        StringBuilder sb = new StringBuilder();
        for (BlockPlan b : plan.blocks()) {
            sb.append(b.geometry()).append(';').append(b.gate()).append(";se ")
                    .append(b.squeezeExcitation() == null ? 0 : b.squeezeExcitation().squeezeChannels()).append(';')
                    .append(PathSelector.candidates(b, schedules)).append('\n');
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Returns the machine fingerprint. */
    public String machine() {
        return machine;
    }

    /**
     * Returns the calibration of a batch size if it has been computed (or loaded).
     *
     * @param batch the batch size
     * @return the per-block calibrations
     */
    public Optional<List<BlockCalibration>> get(int batch) {
        CompletableFuture<List<BlockCalibration>> f;
        synchronized (entries) {
            f = entries.get(batch);
        }
        return f != null && f.isDone() && !f.isCompletedExceptionally() ? Optional.of(f.join()) : Optional.empty();
    }

    /**
     * Returns the calibration of a batch size, computing it once: the first caller runs {@code compute}, concurrent
     * callers for the same batch size wait for its result. A failed computation is forgotten (the next call retries).
     *
     * @param batch the batch size
     * @param compute computes one calibration per block
     * @return the per-block calibrations
     */
    public List<BlockCalibration> getOrCompute(int batch, Supplier<List<BlockCalibration>> compute) {
        CompletableFuture<List<BlockCalibration>> mine = new CompletableFuture<>();
        CompletableFuture<List<BlockCalibration>> existing;
        synchronized (entries) {
            existing = entries.get(batch);
            if (existing == null) {
                entries.put(batch, mine);
                trim();
            }
        }
        if (existing != null) {
            try {
                return existing.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        try {
            List<BlockCalibration> r = checked(compute.get());
            computations.incrementAndGet();
            mine.complete(r);
            return r;
        } catch (RuntimeException | Error e) {
            synchronized (entries) {
                entries.remove(batch, mine);
            }
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /**
     * Stores a calibration (replacing one of the same batch size).
     *
     * @param batch the batch size, positive
     * @param calibrations one per block
     */
    public void put(int batch, List<BlockCalibration> calibrations) {
        Checks.positive("batch", batch);
        List<BlockCalibration> c = checked(calibrations);
        synchronized (entries) {
            entries.put(batch, CompletableFuture.completedFuture(c));
            trim();
        }
    }

    private List<BlockCalibration> checked(List<BlockCalibration> c) {
        if (c == null || c.size() != blocks) {
            throw new IllegalArgumentException("a calibration must have one entry per block (" + blocks + "), got "
                    + (c == null ? "null" : c.size()));
        }
        return List.copyOf(c);
    }

    private void trim() {
        while (entries.size() > capacity) {
            Integer eldest = entries.keySet().iterator().next();
            entries.remove(eldest);
        }
    }

    /**
     * Returns the calibration a call under a policy uses at a batch size: under {@link PathPolicy#AUTO} the
     * calibration, computed once ({@link #getOrCompute}) when missing; under {@link PathPolicy#SPARSE} and
     * {@link PathPolicy#CHANNEL_UNION} one already known (it orders the sparse paths, and gives the union path its
     * clustering), else null; null under the other policies or when no block has a sparse path.
     *
     * @param batch the batch size
     * @param policy the call's policy
     * @param anySparsePath whether some block has a sparse path
     * @param compute computes one calibration per block
     * @return the per-block calibrations, or null
     */
    List<BlockCalibration> forCall(int batch, PathPolicy policy, boolean anySparsePath,
            Supplier<List<BlockCalibration>> compute) {
        if (!anySparsePath) {
            return null;
        }
        if (policy == PathPolicy.AUTO) {
            return getOrCompute(batch, compute);
        }
        return policy == PathPolicy.SPARSE || policy == PathPolicy.CHANNEL_UNION ? get(batch).orElse(null) : null;
    }

    /** Returns the batch sizes with a finished calibration, ascending. */
    public List<Integer> batchSizes() {
        return List.copyOf(finished().keySet());
    }

    /** One consistent snapshot of the finished calibrations, by ascending batch size. */
    private TreeMap<Integer, List<BlockCalibration>> finished() {
        TreeMap<Integer, List<BlockCalibration>> r = new TreeMap<>();
        synchronized (entries) {
            entries.forEach((b, f) -> {
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    r.put(b, f.join());
                }
            });
        }
        return r;
    }

    /** Returns how many calibrations this store has computed (loaded and put ones excluded). */
    public int computations() {
        return computations.get();
    }

    /**
     * Writes the finished calibrations as JSON (atomically: a temporary file moved over the target).
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT_VERSION);
        root.addProperty("backend", backendId);
        root.addProperty("machine", machine);
        root.addProperty("structure", structure);
        root.addProperty("blocks", blocks);
        JsonArray batches = new JsonArray();
        for (Map.Entry<Integer, List<BlockCalibration>> entry : finished().entrySet()) {
            JsonObject b = new JsonObject();
            b.addProperty("batch", entry.getKey());
            JsonArray list = new JsonArray();
            for (BlockCalibration c : entry.getValue()) {
                JsonObject o = new JsonObject();
                o.addProperty("denseMillis", Double.isNaN(c.denseMillis()) ? null : c.denseMillis());
                JsonObject models = new JsonObject();
                c.models().forEach((p, m) -> {
                    JsonArray coeffs = new JsonArray();
                    for (double v : m.coefficients()) {
                        coeffs.add(v);
                    }
                    models.add(p.name(), coeffs);
                });
                o.add("models", models);
                list.add(o);
            }
            b.add("blocks", list);
            batches.add(b);
        }
        root.add("calibrations", batches);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
        byte[] json = gson.toJson(root).getBytes(StandardCharsets.UTF_8);
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        AtomicFiles.write(target, out -> out.write(json));
    }

    /**
     * Loads calibrations saved by {@link #save} into this store, if the file was written for the same backend, machine,
     * model structure and block count.
     *
     * @param file the file
     * @return the number of batch sizes loaded, or -1 when the file belongs to another backend, machine or model (a
     *     file without a structure fingerprint counts as another model's)
     * @throws IOException if the file cannot be read, is larger than 16 MiB, or is not a valid calibration file (the
     *     message names the file and the problem)
     */
    public int load(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + ": calibration file larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            JsonObject root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            int format = root.get("format").getAsInt();
            if (format != FORMAT_VERSION) {
                throw new IOException(file + ": calibration format " + format + " is not supported (this build reads"
                        + " format " + FORMAT_VERSION + (format < FORMAT_VERSION ? ", whose channel path cost models"
                        + " differ" : "") + "); calibrate again to replace it");
            }
            JsonElement st = root.get("structure");
            String mismatch = !backendId.equals(root.get("backend").getAsString()) ? "backend"
                    : !machine.equals(root.get("machine").getAsString()) ? "machine"
                    : blocks != root.get("blocks").getAsInt() ? "block count"
                    : st == null || !st.isJsonPrimitive() || !structure.equals(st.getAsString())
                            ? "model structure (gates or sparse paths)"
                    : null;
            if (mismatch != null) {
                LOG.debug("{}: not loaded, written for another {}", file, mismatch);
                return -1;
            }
            int n = 0;
            for (JsonElement e : root.getAsJsonArray("calibrations")) {
                JsonObject b = e.getAsJsonObject();
                int batch = b.get("batch").getAsInt();
                List<BlockCalibration> list = new ArrayList<>();
                for (JsonElement be : b.getAsJsonArray("blocks")) {
                    JsonObject o = be.getAsJsonObject();
                    JsonElement dense = o.get("denseMillis");
                    Map<ExecutionPath, LinearCostModel> models = new EnumMap<>(ExecutionPath.class);
                    for (Map.Entry<String, JsonElement> m : o.getAsJsonObject("models").entrySet()) {
                        JsonArray a = m.getValue().getAsJsonArray();
                        double[] coeffs = new double[a.size()];
                        for (int i = 0; i < coeffs.length; i++) {
                            coeffs[i] = a.get(i).getAsDouble();
                        }
                        models.put(ExecutionPath.valueOf(m.getKey()), new LinearCostModel(coeffs));
                    }
                    list.add(new BlockCalibration(dense == null || dense.isJsonNull() ? Double.NaN
                            : dense.getAsDouble(), models));
                }
                put(batch, list);
                n++;
            }
            return n;
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException | NullPointerException
                | UnsupportedOperationException | ClassCastException e) {
            throw new IOException(file + ": not a valid calibration file: " + e.getMessage(), e);
        }
    }
}
