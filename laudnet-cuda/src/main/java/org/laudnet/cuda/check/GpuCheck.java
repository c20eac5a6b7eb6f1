package org.laudnet.cuda.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.CudaTimer;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.exec.BlockDecision;
import org.laudnet.cuda.exec.CpuPlanExecutor;
import org.laudnet.cuda.exec.CudaLaudExecutor;
import org.laudnet.cuda.exec.DensityOverride;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.PlanBlock;
import org.laudnet.cuda.plan.PlanConv;
import org.laudnet.cuda.plan.SeededPlans;
import org.laudnet.cuda.plan.StageGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Self-contained GPU check (no deep-learning engine needed): every kernel against its CPU reference, the sparse
 * LAUD-ResNet-50 executor against the CPU plan executor in every gating mode, export of the static network's folded
 * weights, input and logits as {@code .npy} for the PyTorch peer, and block and network latency at densities
 * 0.25 / 0.5 / 1.0 (CUDA events, warm-up, medians). Writes a Markdown report.
 *
 * <p>Usage: {@code GpuCheck [--dry-run] [--work DIR] [--report FILE] [--input-size N] [--check-size N]
 * [--batches 1,8] [--runs N] [--warmup N] [--time-limit-s N]}. With {@code --dry-run}, or when
 * {@link CudaAvailability} finds no usable GPU, the GPU parts are reported as not run (with the reason) and only the
 * planning, plan file and CPU reference parts run. Exit status 0 when every executed comparison passed, 1 otherwise.
 */
public final class GpuCheck {

    private static final Logger LOG = LoggerFactory.getLogger(GpuCheck.class);
    private static final double[] DENSITIES = {0.25, 0.5, 1.0};

    /** Parsed command line. */
    record Options(boolean dryRun, Path work, Path report, int inputSize, int checkSize, int[] batches, int runs,
            int warmup, int timeLimitSeconds) {}

    private final Options opt;
    private final StringBuilder md = new StringBuilder();
    private final long startNanos = System.nanoTime();
    private boolean failed;

    private GpuCheck(Options opt) {
        this.opt = opt;
    }

    /**
     * Runs the check.
     *
     * @param args command line, see the class comment
     */
    public static void main(String[] args) {
        int status;
        try {
            status = run(parse(args));
        } catch (IllegalArgumentException e) {
            LOG.error("bad arguments: {}", e.getMessage());
            status = 2;
        }
        System.exit(status);
    }

    /**
     * Runs the check and writes the report.
     *
     * @param opt the options
     * @return 0 when every executed comparison passed, else 1
     */
    static int run(Options opt) {
        GpuCheck c = new GpuCheck(opt);
        try {
            Files.createDirectories(opt.work());
            c.execute();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return c.failed ? 1 : 0;
    }

    static Options parse(String[] args) {
        boolean dry = false;
        Path work = Path.of("laudnet-cuda", "target", "gpu-work");
        Path report = null;
        int input = 224;
        int check = 64;
        int[] batches = {1, 8};
        int runs = 20;
        int warmup = 5;
        int limit = 200;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dry-run" -> dry = true;
                case "--work" -> work = Path.of(value(args, ++i, a));
                case "--report" -> report = Path.of(value(args, ++i, a));
                case "--input-size" -> input = positive(value(args, ++i, a), a);
                case "--check-size" -> check = positive(value(args, ++i, a), a);
                case "--batches" -> batches = Arrays.stream(value(args, ++i, a).split(","))
                        .mapToInt(s -> positive(s.trim(), "--batches")).toArray();
                case "--runs" -> runs = positive(value(args, ++i, a), a);
                case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, a));
                case "--time-limit-s" -> limit = positive(value(args, ++i, a), a);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (report == null) {
            report = work.resolve("java-report.md");
        }
        return new Options(dry, work, report, input, check, batches, runs, warmup, limit);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int positive(String s, String name) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive integer, got " + s);
        }
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be a positive integer, got " + s);
        }
        return v;
    }

    /** The gated variants of LAUD-ResNet-50 measured and checked, in report order. */
    static List<Variant> variants() {
        return List.of(
                new Variant("static", new StageGate[] {StageGate.dense(), StageGate.dense(), StageGate.dense(),
                    StageGate.dense()}),
                new Variant("spatial S=4-4-2-1", new StageGate[] {StageGate.spatial(4), StageGate.spatial(4),
                    StageGate.spatial(2), StageGate.spatial(1)}),
                new Variant("channel G=4", new StageGate[] {StageGate.channel(4), StageGate.channel(4),
                    StageGate.channel(4), StageGate.channel(4)}),
                new Variant("both S=4-4-2-1 G=4", new StageGate[] {StageGate.both(4, 4), StageGate.both(4, 4),
                    StageGate.both(2, 4), StageGate.both(1, 4)}),
                new Variant("layer", new StageGate[] {StageGate.layer(), StageGate.layer(), StageGate.layer(),
                    StageGate.layer()}));
    }

    /** One gating configuration of the network. */
    record Variant(String name, StageGate[] gates) {
        LaudPlan plan(int inputSize) {
            return SeededPlans.resnet50(2026, inputSize, 1000, gates);
        }
    }

    private final java.util.Map<String, LaudPlan> plans = new java.util.HashMap<>();

    /** Returns the (cached) seeded plan of a variant at an input size. */
    private LaudPlan plan(Variant v, int size) {
        return plans.computeIfAbsent(v.name() + "@" + size, k -> v.plan(size));
    }

    private void execute() throws IOException {
        CudaAvailability.Status status = CudaAvailability.status();
        boolean gpu = !opt.dryRun() && status.available();
        String notRun = opt.dryRun() ? "not run (--dry-run)" : "not run (" + status.reason() + ")";
        line("## Java side (laudnet-cuda)");
        line("");
        line("- Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        line("- CUDA probe: " + status.reason());
        CudaContext context = null;
        KernelModule module = null;
        try {
            if (gpu) {
                context = CudaContext.currentOrPrimary(0);
                module = KernelModule.load(context);
                line("- Device: " + context.deviceName() + ", compute capability " + context.computeCapability()
                        + ", kernels from " + module.origin());
            } else {
                line("- GPU parts: " + notRun);
            }
            line("");
            kernels(module, notRun);
            planFile();
            equivalence(module, notRun);
            export(module);
            latency(module, notRun);
        } catch (RuntimeException e) {
            failed = true;
            line("");
            line("**Check aborted:** " + e);
            LOG.error("check aborted", e);
        } finally {
            if (module != null) {
                module.close();
            }
            if (context != null) {
                context.close();
            }
            line("");
            line(String.format(Locale.ROOT, "Java check finished in %.1f s; overall: %s", elapsed(),
                    failed ? "FAIL" : "PASS"));
            Files.createDirectories(opt.report().toAbsolutePath().getParent());
            Files.writeString(opt.report(), md.toString(), StandardCharsets.UTF_8);
            LOG.info("report written to {}", opt.report());
        }
    }

    private void kernels(KernelModule module, String notRun) {
        line("### Kernels vs CPU reference");
        line("");
        if (module == null) {
            line("Every kernel against `CpuKernels` on NaN-poisoned outputs: " + notRun + ".");
            line("");
            return;
        }
        line("Fresh random inputs, outputs poisoned with NaN before each launch; error = max|gpu - cpu| / max|cpu|.");
        line("");
        line("| kernel | shape | precision | rel. error | tolerance | result |");
        line("|---|---|---|---|---|---|");
        KernelCheck kc = new KernelCheck(module, System.nanoTime());
        for (Precision p : Precision.values()) {
            for (KernelCheck.Row r : kc.run(p)) {
                failed |= !r.pass();
                line(String.format(Locale.ROOT, "| %s | %s | %s | %.2e | %.0e | %s |", r.kernel(), r.shape(),
                        r.precision(), r.error(), r.tolerance(), r.pass() ? "pass" : "FAIL"));
            }
        }
        line("");
    }

    private void planFile() throws IOException {
        line("### Plan file");
        line("");
        LaudPlan plan = plan(variants().get(3), opt.inputSize());
        Path f = opt.work().resolve("laud-resnet50-both.laudplan");
        plan.write(f);
        LaudPlan back = LaudPlan.read(f);
        Path g = opt.work().resolve("laud-resnet50-both-copy.laudplan");
        back.write(g);
        boolean same = Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(g));
        failed |= !same;
        line(String.format(Locale.ROOT, "LAUD-ResNet-50 (both, %dx%d) written, read back and rewritten: %.1f MB, "
                + "%d blocks, %.2f GMACs dense; byte-identical: %s", opt.inputSize(), opt.inputSize(),
                Files.size(f) / 1e6, back.blocks().size(), back.denseMacs() / 1e9, same ? "yes" : "NO"));
        Files.delete(g);
        line("");
    }

    private void equivalence(KernelModule module, String notRun) {
        int batch = 2;
        int size = opt.checkSize();
        line("### LAUD-ResNet-50: GPU executor vs CPU plan executor");
        line("");
        line("Seeded weights, input " + size + "x" + size + ", batch " + batch
                + ", gate decisions fixed to density 0.5 (DensityOverride) so both sides apply the same masks;"
                + " then with the maskers' own decisions.");
        line("");
        line("| variant | precision | decisions | CPU mean density | rel. error | tolerance | result |");
        line("|---|---|---|---|---|---|---|");
        float[] x = images(batch, size, 99);
        for (Variant v : variants()) {
            LaudPlan plan = plan(v, size);
            boolean isStatic = v.name().equals("static");
            for (boolean forced : isStatic ? new boolean[] {false} : new boolean[] {true, false}) {
                float[] ref;
                double density;
                try (CpuPlanExecutor cpu = new CpuPlanExecutor(plan)) {
                    if (forced) {
                        cpu.setGateOverride(new DensityOverride(0.5, 5));
                    }
                    ref = cpu.run(x, batch);
                    density = meanDensity(cpu.lastDecisions());
                    boolean finite = allFinite(ref);
                    failed |= !finite;
                    if (module == null) {
                        line(String.format(Locale.ROOT, "| %s | CPU only | %s | %.3f | %s | - | %s |", v.name(),
                                isStatic ? "none (static)" : forced ? "fixed 0.5" : "maskers", density,
                                finite ? "logits finite" : "NON-FINITE", finite ? notRun : "FAIL"));
                        continue;
                    }
                    List<BlockDecision> cpuDecisions = cpu.lastDecisions();
                    for (Precision p : Precision.values()) {
                        try (CudaLaudExecutor gpuEx = CudaLaudExecutor.create(plan, module, p)) {
                            if (forced) {
                                gpuEx.setGateOverride(new DensityOverride(0.5, 5));
                            }
                            float[] got = gpuEx.run(x, batch);
                            double err = KernelCheck.error(ref, got);
                            double tol = p == Precision.FP32 ? KernelCheck.FP32_TOLERANCE
                                    : KernelCheck.TF32_TOLERANCE;
                            boolean sameDecisions = sameDecisions(cpuDecisions, gpuEx.lastDecisions());
                            boolean pass = err <= tol;
                            // TF32 error grows with depth: the network-level TF32 row is informative.
                            boolean counts = (forced || sameDecisions) && p == Precision.FP32;
                            failed |= counts && !pass;
                            line(String.format(Locale.ROOT, "| %s | %s | %s | %.3f | %.2e | %.0e | %s |", v.name(), p,
                                    isStatic ? "none (static)" : forced ? "fixed 0.5" : (sameDecisions
                                            ? "maskers (same on both)"
                                            : "maskers (differ at a near-tie: informative)"),
                                    density, err, tol, pass ? "pass" : (counts ? "FAIL" : "above (informative)")));
                        }
                    }
                }
            }
        }
        line("");
    }

    private void export(KernelModule module) throws IOException {
        int batch = 2;
        int size = module == null ? opt.checkSize() : opt.inputSize();
        LaudPlan plan = plan(variants().get(0), size);
        Path dir = opt.work().resolve("static");
        Files.createDirectories(dir);
        float[] x = images(batch, size, 7);
        Npy.write(dir.resolve("input.npy"), x, batch, 3, size, size);
        StringBuilder json = new StringBuilder();
        json.append("{\n  \"input_size\": ").append(size).append(",\n  \"batch\": ").append(batch)
                .append(",\n  \"max_pool_padding\": ").append(plan.maxPool() ? plan.maxPoolPadding() : -1)
                .append(",\n  \"stem\": ").append(convJson(dir, "stem", plan.stem()))
                .append(",\n  \"head\": ").append(convJson(dir, "head", plan.head()))
                .append(",\n  \"blocks\": [\n");
        for (int i = 0; i < plan.blocks().size(); i++) {
            PlanBlock b = plan.blocks().get(i);
            json.append("    {\"conv1\": ").append(convJson(dir, "b" + i + "_conv1", b.conv1()))
                    .append(", \"conv2\": ").append(convJson(dir, "b" + i + "_conv2", b.conv2()))
                    .append(", \"conv3\": ").append(convJson(dir, "b" + i + "_conv3", b.conv3()))
                    .append(", \"downsample\": ")
                    .append(b.downsample() == null ? "null" : convJson(dir, "b" + i + "_down", b.downsample()))
                    .append(i + 1 < plan.blocks().size() ? "},\n" : "}\n");
        }
        String source;
        if (module != null) {
            for (Precision p : Precision.values()) {
                try (CudaLaudExecutor ex = CudaLaudExecutor.create(plan, module, p)) {
                    Npy.write(dir.resolve("java_logits_" + p.name().toLowerCase(Locale.ROOT) + ".npy"),
                            ex.run(x, batch), batch, plan.numClasses());
                }
            }
            source = "gpu";
        } else {
            try (CpuPlanExecutor cpu = new CpuPlanExecutor(plan)) {
                Npy.write(dir.resolve("java_logits_cpu.npy"), cpu.run(x, batch), batch, plan.numClasses());
            }
            source = "cpu";
        }
        json.append("  ],\n  \"java_logits\": \"").append(source).append("\"\n}\n");
        Files.writeString(dir.resolve("plan.json"), json.toString(), StandardCharsets.UTF_8);
        line("### Export for the PyTorch peer");
        line("");
        line("Static ResNet-50 (same seeded weights, BatchNorm folded) at " + size + "x" + size + ", batch " + batch
                + ": weights, input and Java logits (" + source + ") as .npy in `" + dir + "`.");
        line("");
    }

    private static String convJson(Path dir, String name, PlanConv c) throws IOException {
        Npy.write(dir.resolve(name + "_w.npy"), c.weight(), c.outChannels(), c.inChannels() / c.groups(), c.kernel(),
                c.kernel());
        Npy.write(dir.resolve(name + "_b.npy"), c.bias(), c.outChannels());
        return "{\"name\": \"" + name + "\", \"stride\": " + c.stride() + ", \"padding\": " + c.padding()
                + ", \"groups\": " + c.groups() + "}";
    }

    private void latency(KernelModule module, String notRun) {
        line("### Latency of LAUD-ResNet-50 (" + opt.inputSize() + "x" + opt.inputSize() + ")");
        line("");
        if (module == null) {
            line("Network and block latency at densities 0.25 / 0.5 / 1.0: " + notRun + ".");
            line("");
            return;
        }
        line("CUDA events around each call (gate read-backs and host planning included), " + opt.warmup()
                + " warm-up calls, median (min) of " + opt.runs() + " runs, ms. Densities are fixed per block by"
                + " DensityOverride after the maskers ran.");
        line("");
        int[] blockIndex = {1, 4, 8, 14};
        for (Precision p : new Precision[] {Precision.TF32, Precision.FP32}) {
            StringBuilder[] net = new StringBuilder[opt.batches().length];
            double[] staticNet = new double[opt.batches().length];
            for (int i = 0; i < net.length; i++) {
                net[i] = new StringBuilder("#### Network, batch " + opt.batches()[i] + ", " + p + "\n\n"
                        + "| variant | density | median ms | min ms | vs static |\n|---|---|---|---|---|\n");
            }
            StringBuilder blocks = new StringBuilder("#### Blocks, batch 1, " + p + " (second block of each stage)"
                    + "\n\n| stage | variant | density | median ms | min ms | vs static |\n|---|---|---|---|---|---|\n");
            double[] staticBlock = new double[blockIndex.length];
            for (Variant v : variants()) {
                boolean isStatic = v.name().equals("static");
                double[] ds = isStatic ? new double[] {1.0} : DENSITIES;
                LaudPlan plan = plan(v, opt.inputSize());
                try (CudaLaudExecutor ex = CudaLaudExecutor.create(plan, module, p)) {
                    for (int bi = 0; bi < net.length; bi++) {
                        int batch = opt.batches()[bi];
                        try (DeviceBuffer in = DeviceBuffer.of(module.context(),
                                images(batch, opt.inputSize(), 3))) {
                            for (double d : ds) {
                                if (overTime()) {
                                    net[bi].append("| ").append(v.name()).append(" | ").append(d)
                                            .append(" | skipped (time limit) | | |\n");
                                    continue;
                                }
                                ex.setGateOverride(isStatic ? null : new DensityOverride(d, 11));
                                double[] t = time(module.context(), () -> ex.run(in, batch));
                                if (isStatic) {
                                    staticNet[bi] = t[0];
                                }
                                net[bi].append(String.format(Locale.ROOT, "| %s | %.2f | %.3f | %.3f | %.2f |%n",
                                        v.name(), d, t[0], t[1], t[0] / staticNet[bi]));
                            }
                        }
                    }
                    for (int s = 0; s < blockIndex.length; s++) {
                        PlanBlock b = plan.blocks().get(blockIndex[s]);
                        Random r = new Random(s);
                        float[] x = new float[b.inChannels() * b.inSize() * b.inSize()];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = Math.max(0f, (float) r.nextGaussian());
                        }
                        int idx = blockIndex[s];
                        try (DeviceBuffer in = DeviceBuffer.of(module.context(), x)) {
                            for (double d : ds) {
                                if (overTime()) {
                                    blocks.append("| ").append(s + 1).append(" | ").append(v.name()).append(" | ")
                                            .append(d).append(" | skipped (time limit) | | |\n");
                                    continue;
                                }
                                ex.setGateOverride(isStatic ? null : new DensityOverride(d, 13));
                                double[] t = time(module.context(), () -> ex.runBlock(idx, in, 1));
                                if (isStatic) {
                                    staticBlock[s] = t[0];
                                }
                                blocks.append(String.format(Locale.ROOT, "| %d | %s | %.2f | %.4f | %.4f | %.2f |%n",
                                        s + 1, v.name(), d, t[0], t[1], t[0] / staticBlock[s]));
                            }
                        }
                    }
                }
            }
            for (StringBuilder sb : net) {
                line(sb.toString());
            }
            line(blocks.toString());
        }
        calibrated(module);
    }

    /** Calibrated choice between sparse and masked dense per block (method section 4), batch 1, TF32. */
    private void calibrated(KernelModule module) {
        line("#### Calibrated sparse / masked-dense choice, batch 1, TF32");
        line("");
        line("`CudaLaudExecutor.calibrate`: per gated block, sparse at densities 0.25 / 0.5 / 0.75 / 1 and masked dense"
                + " (median of 10 after 3 warm-up calls); the block runs dense above the density where the fitted"
                + " sparse line meets the dense time. Then the whole network with those thresholds.");
        line("");
        for (Variant v : variants()) {
            if (v.name().equals("static") || v.name().startsWith("channel")) {
                continue;
            }
            if (overTime()) {
                line("- " + v.name() + ": skipped (time limit)");
                continue;
            }
            try (CudaLaudExecutor ex = CudaLaudExecutor.create(plan(v, opt.inputSize()), module, Precision.TF32);
                    DeviceBuffer in = DeviceBuffer.of(module.context(), images(1, opt.inputSize(), 3))) {
                List<CudaLaudExecutor.BlockCalibration> cal = ex.calibrate(1, 3, 10);
                StringBuilder th = new StringBuilder();
                for (CudaLaudExecutor.BlockCalibration c : cal) {
                    th.append(String.format(Locale.ROOT, " b%d:%s(dense %.3f, sparse %.3f..%.3f)", c.blockIndex(),
                            Double.isInfinite(c.denseAbove()) ? "sparse" : String.format(Locale.ROOT, "%.2f",
                                    c.denseAbove()), c.denseMillis(), c.sparseMillis()[0],
                            c.sparseMillis()[c.sparseMillis().length - 1]));
                }
                line("- " + v.name() + " thresholds (ms):" + th);
                StringBuilder t = new StringBuilder();
                for (double d : DENSITIES) {
                    ex.setGateOverride(new DensityOverride(d, 11));
                    double[] ms = time(module.context(), () -> ex.run(in, 1));
                    t.append(String.format(Locale.ROOT, " d=%.2f: %.3f ms;", d, ms[0]));
                }
                line("  - network with calibrated thresholds:" + t);
            }
        }
        line("");
    }

    private double[] time(CudaContext context, Runnable call) {
        try (CudaTimer timer = new CudaTimer(context)) {
            for (int i = 0; i < opt.warmup(); i++) {
                call.run();
            }
            context.synchronize();
            double[] ms = new double[opt.runs()];
            for (int i = 0; i < ms.length; i++) {
                timer.start();
                call.run();
                ms[i] = timer.stopMillis();
            }
            Arrays.sort(ms);
            double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
            return new double[] {median, ms[0]};
        }
    }

    private boolean overTime() {
        return elapsed() > opt.timeLimitSeconds();
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static boolean sameDecisions(List<BlockDecision> a, List<BlockDecision> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i).spatialMask(), b.get(i).spatialMask())
                    || !Arrays.equals(a.get(i).channelMask(), b.get(i).channelMask())) {
                return false;
            }
        }
        return true;
    }

    private static double meanDensity(List<BlockDecision> ds) {
        double s = 0;
        for (BlockDecision d : ds) {
            s += d.spatialDensity() * d.channelDensity();
        }
        return ds.isEmpty() ? 1.0 : s / ds.size();
    }

    private static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    static float[] images(int batch, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[batch * 3 * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private void line(String s) {
        md.append(s).append('\n');
    }
}
