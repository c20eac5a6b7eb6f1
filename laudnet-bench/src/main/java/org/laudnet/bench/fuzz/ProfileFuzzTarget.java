package org.laudnet.bench.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.latency.cpu.CpuTerm;
import org.laudnet.core.latency.cpu.LinearTerm;
import org.laudnet.core.latency.cpu.ProfileFormatException;

/**
 * Fuzzes CPU latency profiles through {@link CpuLatencyProfile#read}: the seed is a profile of the DJL backend with
 * seeded coefficients for every {@link CpuTerm} but the spatial schedule of the other backends (HALO). Being JSON, its
 * structure is edited rather than its bytes' fields: versions are rewritten ({@code formatVersion} 1, 3, 4, negative,
 * fractional, a string, huge), header edits apply {@link JsonMutator}, tensor edits drop a required term, duplicate or
 * rename terms and change a term's coefficient count or feature names, and non-finite cases
 * write {@code NaN}, {@code Infinity} or an overflowing literal into a coefficient (which must be refused). Used by one
 * thread at a time.
 */
public final class ProfileFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "cpu-profile.json";
    private static final String[] VERSIONS = {"1", "3", "4", "-2", "2.5", "\"2\"", "1e10", "null", "2147483648",
        "[2]"};
    private static final String[] NON_FINITE = {"NaN", "Infinity", "-Infinity", "1e999", "-1e400"};

    private final Seed seed;
    private final JsonObject profile;

    /** Generates the seed. */
    public ProfileFuzzTarget() {
        SplittableRandom r = new SplittableRandom(41);
        Map<CpuTerm, LinearTerm> terms = new EnumMap<>(CpuTerm.class);
        for (CpuTerm t : CpuTerm.values()) {
            if (t == CpuTerm.SPATIAL_HALO) {
                continue;
            }
            double[] c = new double[t.features().size() + 1];
            for (int i = 0; i < c.length; i++) {
                c[i] = i == 0 ? 0.01 + r.nextDouble() * 0.05 : r.nextDouble() * 1e-6;
            }
            terms.put(t, new LinearTerm(t.features(), c, 12, 0.05));
        }
        CpuLatencyProfile p = new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, new CpuLatencyProfile.Machine(
                "fuzz CPU", 2, 2, "unset", "OpenJDK 17", "0.36.0", "PyTorch 2.7.1", "djl-cpu", "DJL PyTorch 2.7.1",
                "2026-01-01T00:00:00Z", "quick"),
                terms);
        String json = p.toJson();
        profile = JsonParser.parseString(json).getAsJsonObject();
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        seed = new Seed(List.of(new SeedFile(FILE, bytes, TfjsFuzzTarget.jsonLayout(bytes))), FILE);
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.PROFILE;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return ProfileFormatException.class;
    }

    @Override
    public List<Seed> seeds() {
        return List.of(seed);
    }

    @Override
    public Set<MutationKind> kinds() {
        return EnumSet.of(MutationKind.TRUNCATE_BOUNDARY, MutationKind.TRUNCATE_RANDOM, MutationKind.BIT_FLIP,
                MutationKind.VERSION, MutationKind.HEADER_EDIT, MutationKind.TENSOR_EDIT, MutationKind.NON_FINITE,
                MutationKind.EMPTY_FILE, MutationKind.DIRECTORY);
    }

    @Override
    public FuzzCase mutate(MutationKind kind, int index, SplittableRandom random) throws java.io.IOException {
        JsonObject p = profile.deepCopy();
        JsonMutator.Writer w = new JsonMutator.Writer();
        String what;
        boolean refuse = false;
        switch (kind) {
            case VERSION -> {
                String v = VERSIONS[random.nextInt(VERSIONS.length)];
                JsonPrimitive marker = new JsonPrimitive(0);
                p.add("formatVersion", marker);
                w.raw.put(marker, v);
                what = "formatVersion -> " + v;
                refuse = true;
            }
            case HEADER_EDIT -> {
                JsonMutator.Edit e = JsonMutator.mutate(profile, random);
                return FuzzCase.from(seed, kind).file(FILE, e.json().getBytes(StandardCharsets.UTF_8))
                        .build(FILE + ": " + e.description());
            }
            case TENSOR_EDIT -> {
                JsonObject terms = p.getAsJsonObject("terms");
                List<String> names = new ArrayList<>(terms.keySet());
                String name = names.get(random.nextInt(names.size()));
                JsonObject t = terms.getAsJsonObject(name);
                switch (random.nextInt(5)) {
                    case 0 -> {
                        // a spatial schedule term is optional (a backend without that schedule): drop a required one
                        List<String> required = names.stream()
                                .filter(n -> !CpuTerm.valueOf(n).isSpatialSchedule()).toList();
                        name = required.get(random.nextInt(required.size()));
                        terms.remove(name);
                        what = "term " + name + " missing";
                    }
                    case 1 -> {
                        w.duplicates.put(terms, name);
                        what = "term " + name + " written twice";
                    }
                    case 2 -> {
                        terms.add(name + "_X", terms.remove(name));
                        what = "term " + name + " renamed to an unknown term";
                    }
                    case 3 -> {
                        JsonArray c = t.getAsJsonArray("coefficients");
                        if (random.nextBoolean()) {
                            c.add(0.5);
                        } else {
                            c.remove(c.size() - 1);
                        }
                        what = "term " + name + " has " + c.size() + " coefficients";
                    }
                    default -> {
                        JsonArray f = t.getAsJsonArray("features");
                        f.set(0, new JsonPrimitive("fuzz"));
                        what = "term " + name + " feature 0 renamed";
                    }
                }
                refuse = true;
            }
            case NON_FINITE -> {
                JsonObject terms = p.getAsJsonObject("terms");
                List<String> names = new ArrayList<>(terms.keySet());
                String name = names.get(random.nextInt(names.size()));
                JsonArray c = terms.getAsJsonObject(name).getAsJsonArray("coefficients");
                int i = random.nextInt(c.size());
                String v = NON_FINITE[random.nextInt(NON_FINITE.length)];
                JsonPrimitive marker = new JsonPrimitive(0);
                c.set(i, marker);
                w.raw.put(marker, v);
                what = "term " + name + " coefficient " + i + " -> " + v;
                refuse = true;
            }
            default -> {
                return super.mutate(kind, index, random);
            }
        }
        FuzzCase.Builder b = FuzzCase.from(seed, kind).file(FILE, w.write(p).getBytes(StandardCharsets.UTF_8));
        if (refuse) {
            b.mustRefuse();
        }
        return b.build(FILE + ": " + what);
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        CpuLatencyProfile p = CpuLatencyProfile.read(entry);
        String summary = "profile of '" + p.machine().cpu() + "', backend " + p.machine().backend() + ", "
                + p.terms().size() + " terms";
        for (Map.Entry<CpuTerm, LinearTerm> e : p.terms().entrySet()) {
            for (double x : e.getValue().coefficients()) {
                if (!Double.isFinite(x)) {
                    return LoadResult.defective(summary, "term " + e.getKey() + " has the coefficient " + x);
                }
            }
        }
        for (CpuTerm t : CpuTerm.values()) {
            if (!t.isSpatialSchedule() && !p.has(t)) {
                return LoadResult.defective(summary, "the required term " + t + " is missing");
            }
        }
        return LoadResult.valid(summary);
    }
}
