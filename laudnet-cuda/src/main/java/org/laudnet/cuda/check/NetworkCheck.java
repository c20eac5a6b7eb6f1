package org.laudnet.cuda.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.exec.CudaBackend;

/**
 * The network parts of the GPU check: every seeded network variant ({@link Networks}) run through
 * {@link PlanRuntime} on the CUDA backend against the pure-Java reference backend, and the CUDA latency at imposed
 * densities. Not thread-safe (the reference runs use a thread pool internally).
 */
final class NetworkCheck {

    /** Densities of the latency measurements. */
    static final double[] DENSITIES = {0.25, 0.5, 1.0};
    /** Batches from this size on are timed with {@code --runs-large} runs after {@value #LARGE_WARMUP} warm-ups. */
    static final int LARGE_BATCH = 16;
    /** Warm-up calls before the timed runs of a large batch. */
    static final int LARGE_WARMUP = 2;
    /** The density imposed in the equivalence runs with fixed decisions. */
    static final double FORCED_DENSITY = 0.5;
    private static final long OVERRIDE_SEED = 5;

    private final GpuCheck.Options opt;
    private final Report md;
    private final long startNanos;
    private final Map<String, InferencePlan> latencyPlans = new LinkedHashMap<>();

    NetworkCheck(GpuCheck.Options opt, Report md, long startNanos) {
        this.opt = opt;
        this.md = md;
        this.startNanos = startNanos;
    }

    /** One equivalence run: a variant at a batch size, with decisions imposed or the maskers' own. */
    private record Case(Networks.Variant variant, int batch, boolean forced) {
        String decisions() {
            return variant.isStatic() ? "none (static)" : forced ? "fixed " + FORCED_DENSITY : "maskers";
        }

        float[] images(int size) {
            return Networks.images(batch, size, 99 + batch);
        }
    }

    /** The reference backend's logits under the DENSE (masked-dense) and the SPARSE policy. */
    private record Reference(HostExecution dense, HostExecution sparse) {}

    /**
     * Runs a plan once on a runtime.
     *
     * @param rt the runtime
     * @param x the images
     * @param batch the batch size
     * @param policy the path policy
     * @param override an imposed density, or NaN for the maskers' own decisions
     * @return the logits and report
     */
    static HostExecution run(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, double override) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(policy))) {
            if (!Double.isNaN(override)) {
                ex.setGateOverride(GateOverride.density(override, OVERRIDE_SEED));
            }
            return ex.run(x, batch);
        }
    }

    /**
     * Compares variants on the CUDA backend (FP32 and TF32, SPARSE and DENSE policies) with the reference backend's
     * masked-dense logits; without a module only the reference runs (both policies, compared with each other).
     *
     * @param module the loaded kernels, or null
     * @param notRun why the CUDA parts do not run (when {@code module} is null)
     * @param title the section's title
     * @param variants the variants
     * @param size the input side
     * @param batches the batch sizes
     * @param maskerDecisions whether to run with the maskers' own decisions too (else only imposed ones)
     * @throws InterruptedException if interrupted while waiting for the reference runs
     */
    void equivalence(KernelModule module, String notRun, String title, List<Networks.Variant> variants, int size,
            int[] batches, boolean maskerDecisions) throws InterruptedException {
        md.line("### " + title);
        md.line("");
        md.line("Input " + size + "x" + size + ", batches " + Arrays.toString(batches)
                + "; every network through `PlanRuntime`. Reference: `ReferenceBackend` (double accumulation) under"
                + " the DENSE policy (the masked-dense forward) and the SPARSE policy. CUDA: `CudaBackend` under SPARSE"
                + " (the mode's sparse path: spatial HALO, channel slices, layer gather/scatter) and DENSE, FP32 and"
                + " TF32. Decisions fixed with `GateOverride.density(" + FORCED_DENSITY + ", " + OVERRIDE_SEED + ")`"
                + " (identical on both sides; these rows must pass)"
                + (maskerDecisions ? ", then the maskers' own (they count when both sides decided alike; a near-tie"
                        + " flip is informative)" : "")
                + ". Error: max |logit - reference| / max |reference|;"
                + " FP32 tolerance " + KernelCheck.FP32_TOLERANCE + " (counts), TF32 " + KernelCheck.TF32_TOLERANCE
                + " (informative).");
        if (module == null) {
            md.line("");
            md.line("CUDA columns: " + notRun + ".");
        }
        md.line("");
        md.line("| network / variant | batch | decisions | MACs ratio | paths (sparse policy) | ref. sparse vs dense "
                + "| CUDA FP32 sparse | CUDA FP32 dense | CUDA TF32 sparse | CUDA TF32 dense | result |");
        md.line("|---|---|---|---|---|---|---|---|---|---|---|");
        List<Case> cases = new ArrayList<>();
        for (Networks.Variant v : variants) {
            for (int batch : batches) {
                for (boolean forced : v.isStatic() ? new boolean[] {false}
                        : maskerDecisions ? new boolean[] {true, false} : new boolean[] {true}) {
                    cases.add(new Case(v, batch, forced));
                }
            }
        }
        Map<Networks.Variant, InferencePlan> plans = new LinkedHashMap<>();
        for (Networks.Variant v : variants) {
            plans.put(v, v.plan(size));
        }
        Map<Case, Future<Reference>> refs = new LinkedHashMap<>();
        Map<Networks.Variant, PlanRuntime<float[]>> refRuntimes = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(opt.threads());
        try {
            for (Networks.Variant v : plans.keySet()) {
                refRuntimes.put(v, PlanRuntime.create(plans.get(v), new ReferenceBackend()));
            }
            for (Case c : cases) {
                PlanRuntime<float[]> rt = refRuntimes.get(c.variant());
                double d = c.forced() ? FORCED_DENSITY : Double.NaN;
                float[] x = c.images(size);
                refs.put(c, pool.submit(() -> new Reference(run(rt, x, c.batch(), PathPolicy.DENSE, d),
                        run(rt, x, c.batch(), PathPolicy.SPARSE, d))));
            }
            Networks.Variant open = null;
            Map<Precision, PlanRuntime<?>> cuda = new EnumMap<>(Precision.class);
            try {
                for (Case c : cases) {
                    if (module != null && c.variant() != open) {
                        closeAll(cuda);
                        open = c.variant();
                        for (Precision p : Precision.values()) {
                            cuda.put(p, PlanRuntime.create(plans.get(open), CudaBackend.on(module, p)));
                        }
                    }
                    row(c, refs.get(c).get(), cuda, size);
                }
            } finally {
                closeAll(cuda);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("a reference run failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
            for (PlanRuntime<float[]> rt : refRuntimes.values()) {
                rt.close();
            }
        }
        md.line("");
    }

    private void row(Case c, Reference ref, Map<Precision, PlanRuntime<?>> cuda, int size) {
        float[] want = ref.dense().logits();
        boolean finite = allFinite(want) && allFinite(ref.sparse().logits());
        boolean refSame = c.forced() || sameDecisions(ref.dense().report(), ref.sparse().report());
        double refErr = KernelCheck.error(want, ref.sparse().logits());
        boolean counted = true;
        boolean informative = false;
        counted &= md.check(finite);
        if (refSame) {
            counted &= md.check(refErr <= KernelCheck.FP32_TOLERANCE);
        } else {
            informative |= refErr > KernelCheck.FP32_TOLERANCE;
        }
        String paths = paths(ref.sparse().report());
        List<String> cells = new ArrayList<>();
        if (cuda.isEmpty()) {
            for (int i = 0; i < 4; i++) {
                cells.add("-");
            }
        } else {
            float[] x = c.images(size);
            double d = c.forced() ? FORCED_DENSITY : Double.NaN;
            for (Precision p : Precision.values()) {
                for (PathPolicy policy : new PathPolicy[] {PathPolicy.SPARSE, PathPolicy.DENSE}) {
                    HostExecution got = run(cuda.get(p), x, c.batch(), policy, d);
                    double err = KernelCheck.error(want, got.logits());
                    boolean same = c.forced() || sameDecisions(ref.dense().report(), got.report());
                    boolean counts = same && p == Precision.FP32;
                    double tol = p == Precision.FP32 ? KernelCheck.FP32_TOLERANCE : KernelCheck.TF32_TOLERANCE;
                    if (counts) {
                        counted &= md.check(err <= tol);
                    } else {
                        informative |= err > tol;
                    }
                    if (p == Precision.FP32 && policy == PathPolicy.SPARSE) {
                        paths = paths(got.report());
                    }
                    cells.add(String.format(Locale.ROOT, "%.2e%s", err, same ? "" : " (decisions differ)"));
                }
            }
        }
        String result = !counted ? "FAIL" : cuda.isEmpty() ? "reference pass; CUDA not run"
                : informative ? "pass (informative rows above tolerance)" : "pass";
        md.line(String.format(Locale.ROOT, "| %s | %d | %s | %.3f | %s | %s | %s | %s | %s | %s | %s |",
                c.variant().label(), c.batch(), c.decisions(), ref.dense().report().macsRatio(), paths,
                finite ? String.format(Locale.ROOT, "%.2e%s", refErr, refSame ? "" : " (decisions differ)")
                        : "NON-FINITE", cells.get(0), cells.get(1), cells.get(2), cells.get(3), result));
    }

    /**
     * The networks of the latency part in measuring order, each as its static, layer, channel and spatial variants:
     * ResNet-101, then ResNet-50.
     *
     * @return the networks
     */
    static List<List<Networks.Variant>> latencyNetworks() {
        List<List<Networks.Variant>> r = new ArrayList<>();
        for (List<Networks.Variant> network : List.of(Networks.resnet101(), Networks.resnet50())) {
            r.add(network.stream().filter(v -> v.mode() != GateMode.BOTH).toList());
        }
        return r;
    }

    /**
     * Measures the CUDA latency of ResNet-101 and ResNet-50 ({@link #latencyNetworks()}): per batch size (the largest
     * first), network and arithmetic (TF32, then FP32) the static network, then the layer, channel and spatial
     * variants at {@link #DENSITIES} under the AUTO policy (after {@link PlanRuntime#calibrate}) and the forced
     * SPARSE path. Writes the tables and {@code java-latency.csv} in the work folder (rewritten after every table, so
     * that a run stopped by its time limit keeps what it measured).
     *
     * @param module the loaded kernels, or null
     * @param notRun why the measurements do not run (when {@code module} is null)
     * @throws IOException if the CSV cannot be written
     */
    void latency(KernelModule module, String notRun) throws IOException {
        int size = opt.inputSize();
        md.line("### Latency at " + size + "x" + size);
        md.line("");
        if (module == null) {
            md.line("CUDA latency of static and LAUD ResNet-101 / ResNet-50 (layer, channel, spatial S=4-4-2-1) at"
                    + " densities 0.25 / 0.5 / 1.0, batches " + Arrays.toString(opt.latencyBatches()) + ", TF32 and"
                    + " FP32: " + notRun + ".");
            md.line("");
            return;
        }
        md.line("Host-to-host wall-clock time of `NetworkExecutor.run(float[], batch)` (input upload, gates with their "
                + "read-backs, host planning, logits download), median (min) in ms of " + opt.runs() + " runs after "
                + opt.warmup() + " warm-up calls (batches of " + LARGE_BATCH + " or more: " + opt.runsLarge()
                + " runs after " + LARGE_WARMUP + "). Densities imposed by `GateOverride.density(d, 11)` (the same"
                + " decisions in every run). AUTO: the runtime's calibrated choice per block (`PlanRuntime.calibrate`"
                + " first); SPARSE: the mode's sparse path forced. Measurements stop " + opt.timeLimitSeconds()
                + " s after the check started; later rows read `skipped (time limit)`.");
        md.line("");
        List<String> csv = new ArrayList<>();
        csv.add("network,batch,precision,variant,mode,density,auto_ms,auto_min_ms,sparse_ms,paths");
        Path file = opt.work().resolve("java-latency.csv");
        for (int batch : opt.latencyBatches()) {
            for (List<Networks.Variant> network : latencyNetworks()) {
                for (Precision p : new Precision[] {Precision.TF32, Precision.FP32}) {
                    latencyTable(module, network, p, batch, size, csv);
                    Files.write(file, csv, StandardCharsets.UTF_8);
                }
            }
        }
    }

    private void latencyTable(KernelModule module, List<Networks.Variant> network, Precision p, int batch, int size,
            List<String> csv) {
        String name = network.get(0).network();
        StringBuilder t = new StringBuilder("#### " + name + ", batch " + batch + ", " + p + "\n\n| variant | density"
                + " | AUTO ms | AUTO paths | SPARSE ms | AUTO vs static |\n|---|---|---|---|---|---|\n");
        int runs = batch >= LARGE_BATCH ? opt.runsLarge() : opt.runs();
        int warmup = batch >= LARGE_BATCH ? LARGE_WARMUP : opt.warmup();
        double staticMs = Double.NaN;
        float[] x = Networks.images(batch, size, 3);
        for (Networks.Variant v : network) {
            if (overTime()) {
                t.append("| ").append(v.name()).append(" | | skipped (time limit) | | | |\n");
                continue;
            }
            InferencePlan plan = latencyPlans.computeIfAbsent(v.label(), k -> v.plan(size));
            try (PlanRuntime<?> rt = PlanRuntime.create(plan, CudaBackend.on(module, p))) {
                if (v.isStatic()) {
                    double[] ms = time(rt, x, batch, PathPolicy.DENSE, Double.NaN, runs, warmup);
                    staticMs = ms[0];
                    t.append(String.format(Locale.ROOT, "| static | 1 | %.3f (%.3f) | DENSE | - | 1.00 |%n", ms[0],
                            ms[1]));
                    csv.add(String.format(Locale.ROOT, "%s,%d,%s,static,NONE,1,%.4f,%.4f,,DENSE", name, batch, p,
                            ms[0], ms[1]));
                    continue;
                }
                long c0 = System.nanoTime();
                rt.calibrate(batch);
                double calibration = (System.nanoTime() - c0) / 1e9;
                for (double d : DENSITIES) {
                    if (overTime()) {
                        t.append("| ").append(v.name()).append(" | ").append(d)
                                .append(" | skipped (time limit) | | | |\n");
                        continue;
                    }
                    double[] auto = time(rt, x, batch, PathPolicy.AUTO, d, runs, warmup);
                    String paths = paths(run(rt, x, batch, PathPolicy.AUTO, d).report());
                    double[] sparse = time(rt, x, batch, PathPolicy.SPARSE, d, runs, warmup);
                    t.append(String.format(Locale.ROOT, "| %s | %.2f | %.3f (%.3f) | %s | %.3f (%.3f) | %.2f |%n",
                            v.name(), d, auto[0], auto[1], paths, sparse[0], sparse[1], auto[0] / staticMs));
                    csv.add(String.format(Locale.ROOT, "%s,%d,%s,%s,%s,%.2f,%.4f,%.4f,%.4f,%s", name, batch, p,
                            v.name(), v.mode(), d, auto[0], auto[1], sparse[0], paths.replace(",", ";")));
                }
                t.append(String.format(Locale.ROOT, "| %s | | calibrated in %.1f s | | | |%n", v.name(),
                        calibration));
            }
        }
        md.line(t.toString());
    }

    /** Median and minimum of {@code runs} timed calls after {@code warmup} untimed ones, ms. */
    private static double[] time(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, double density, int runs,
            int warmup) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(policy))) {
            double[] ms = new double[runs];
            for (int i = -warmup; i < ms.length; i++) {
                ex.setGateOverride(Double.isNaN(density) ? null : GateOverride.density(density, 11));
                long t0 = System.nanoTime();
                ex.run(x, batch);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    ms[i] = (t1 - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
            return new double[] {median, ms[0]};
        }
    }

    private boolean overTime() {
        return (System.nanoTime() - startNanos) / 1e9 > opt.timeLimitSeconds();
    }

    /** The paths of a call, counted: e.g. {@code "SPATIAL_HALO x10, DENSE x6"}. */
    static String paths(GateReport report) {
        Map<ExecutionPath, Integer> counts = new EnumMap<>(ExecutionPath.class);
        for (ExecutionPath p : report.paths()) {
            counts.merge(p, 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((p, n) -> parts.add(p + " x" + n));
        return String.join(", ", parts);
    }

    /** Whether two calls' gates decided alike: per block the same open units and per-sample densities. */
    static boolean sameDecisions(GateReport a, GateReport b) {
        if (a.blocks().size() != b.blocks().size()) {
            return false;
        }
        for (int i = 0; i < a.blocks().size(); i++) {
            ExecutionReport x = a.blocks().get(i);
            ExecutionReport y = b.blocks().get(i);
            if (x.activeUnits() != y.activeUnits() || !x.sampleDensities().equals(y.sampleDensities())) {
                return false;
            }
        }
        return true;
    }

    static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static void closeAll(Map<Precision, PlanRuntime<?>> runtimes) {
        for (PlanRuntime<?> rt : runtimes.values()) {
            rt.close();
        }
        runtimes.clear();
    }
}
