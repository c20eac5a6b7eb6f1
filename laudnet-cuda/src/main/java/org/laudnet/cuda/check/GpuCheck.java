package org.laudnet.cuda.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.PlanFile;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.exec.CudaBackend;
import org.laudnet.cuda.exec.CudaBackendProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Self-contained GPU check of the CUDA backend (needs no deep-learning engine native library: plans are generated from
 * a seed and the reference is the pure-Java backend). Parts, in report order:
 *
 * <ol>
 *   <li>every CUDA primitive against {@code ReferenceOps} on random data ({@link KernelCheck}), FP32 and TF32;
 *   <li>the plan file: seeded gated networks written, read back and rewritten byte-identically ({@link PlanFile});
 *   <li>the seeded LAUD ResNet-50 and RegNetY-800MF ({@link Networks}) in every gate mode through {@link PlanRuntime}
 *       on the CUDA backend against the reference backend ({@link NetworkCheck#equivalence}), then ResNet-18/34/101
 *       and RegNetY-400MF at imposed densities;
 *   <li>the static ResNet-50 and ResNet-101 exported as {@code .npy} for the PyTorch peer ({@link PeerExport});
 *   <li>CUDA latency of static and LAUD ResNet-101 / ResNet-50 at densities 0.25 / 0.5 / 1.0
 *       ({@link NetworkCheck#latency}).
 * </ol>
 *
 * <p>Usage: {@code GpuCheck [--dry-run] [--work DIR] [--report FILE] [--input-size N] [--check-size N]
 * [--batches 1,8] [--latency-batches 64,1] [--runs N] [--runs-large N] [--warmup N] [--time-limit-s N]
 * [--threads N] [--main-architectures-only]}. With {@code --dry-run}, or when the CUDA
 * probe finds no usable GPU, the GPU parts are reported as not run (with the reason) and the reference parts, the plan
 * file and the export run. Exit status 0 when every comparison that counts passed, 1 otherwise, 2 for bad arguments.
 *
 * <p>A command-line tool: one check per JVM; not thread-safe.
 */
public final class GpuCheck {

    private static final Logger LOG = LoggerFactory.getLogger(GpuCheck.class);

    /**
     * Parsed command line.
     *
     * @param dryRun skip the GPU parts
     * @param work scratch folder
     * @param report the Markdown report
     * @param inputSize image side of the plan file, export (with a GPU) and latency parts
     * @param checkSize image side of the equivalence part (and of the export without a GPU)
     * @param batches batch sizes of the equivalence part
     * @param latencyBatches batch sizes of the latency part, in measuring order
     * @param runs timed runs per latency measurement of a small batch
     * @param runsLarge timed runs per latency measurement of a batch of {@value NetworkCheck#LARGE_BATCH} or more
     * @param warmup untimed runs before those of a small batch
     * @param timeLimitSeconds latency measurements stop after this many seconds of the check
     * @param threads threads of the reference runs
     * @param otherArchitectures whether the equivalence part also runs ResNet-18/34/101 and RegNetY-400MF
     */
    record Options(boolean dryRun, Path work, Path report, int inputSize, int checkSize, int[] batches,
            int[] latencyBatches, int runs, int runsLarge, int warmup, int timeLimitSeconds, int threads,
            boolean otherArchitectures) {}

    /** Input side of the equivalence runs of the architectures beyond ResNet-50 and RegNetY-800MF. */
    static final int OTHER_ARCHITECTURES_SIZE = 32;
    /** Batch of those runs. */
    static final int OTHER_ARCHITECTURES_BATCH = 2;

    private final Options opt;
    private final Report md = new Report();
    private final long startNanos = System.nanoTime();
    private volatile boolean finished;

    private GpuCheck(Options opt) {
        this.opt = opt;
    }

    /**
     * Runs the check and exits with its status.
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
     * @return 0 when every comparison that counts passed, else 1
     */
    static int run(Options opt) {
        GpuCheck c = new GpuCheck(opt);
        // A check stopped from outside (the script's time limit) still leaves what it found so far.
        Thread hook = new Thread(() -> {
            if (!c.finished) {
                c.md.line("");
                c.md.line(String.format(Locale.ROOT, "**Java check stopped from outside after %.1f s; the report ends"
                        + " here.**", c.elapsed()));
                try {
                    c.md.write(opt.report());
                } catch (IOException e) {
                    LOG.error("cannot write the report {}", opt.report(), e);
                }
            }
        }, "gpu-check-report");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Files.createDirectories(opt.work());
            c.execute();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            c.finished = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs
            }
        }
        return c.md.failed() ? 1 : 0;
    }

    static Options parse(String[] args) {
        boolean dry = false;
        Path work = Path.of("laudnet-cuda", "target", "gpu-work");
        Path report = null;
        int input = 224;
        int check = 64;
        int[] batches = {1, 8};
        int[] latencyBatches = {64, 1};
        int runs = 20;
        int runsLarge = 8;
        int warmup = 5;
        int limit = 185;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean others = true;
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
                case "--latency-batches" -> latencyBatches = Arrays.stream(value(args, ++i, a).split(","))
                        .mapToInt(s -> positive(s.trim(), "--latency-batches")).toArray();
                case "--runs" -> runs = positive(value(args, ++i, a), a);
                case "--runs-large" -> runsLarge = positive(value(args, ++i, a), a);
                case "--warmup" -> warmup = nonNegative(value(args, ++i, a), a);
                case "--time-limit-s" -> limit = positive(value(args, ++i, a), a);
                case "--threads" -> threads = positive(value(args, ++i, a), a);
                case "--main-architectures-only" -> others = false;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        for (int[] s : new int[][] {{input}, {check}}) {
            if (s[0] % 32 != 0) {
                throw new IllegalArgumentException("--input-size and --check-size must be multiples of 32 (the seeded "
                        + "networks' stages need it), got " + s[0]);
            }
        }
        if (report == null) {
            report = work.resolve("java-report.md");
        }
        return new Options(dry, work, report, input, check, batches, latencyBatches, runs, runsLarge, warmup, limit,
                threads, others);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int positive(String s, String name) {
        int v = nonNegative(s, name);
        if (v == 0) {
            throw new IllegalArgumentException(name + " must be a positive integer, got " + s);
        }
        return v;
    }

    private static int nonNegative(String s, String name) {
        try {
            int v = Integer.parseInt(s);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a non-negative integer, got " + s);
    }

    private void execute() throws IOException {
        BackendProvider.Availability probe = new CudaBackendProvider().availability();
        boolean gpu = !opt.dryRun() && probe.available();
        String notRun = opt.dryRun() ? "not run (--dry-run)" : "not run (" + probe.reason() + ")";
        md.line("## Java side (laudnet-cuda)");
        md.line("");
        md.line("- Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        md.line("- CUDA probe: " + probe.reason());
        CudaContext context = null;
        KernelModule module = null;
        try {
            if (gpu) {
                context = CudaContext.currentOrPrimary(0);
                module = KernelModule.load(context);
                try (CudaBackend be = CudaBackend.on(module, Precision.FP32)) {
                    md.line("- Backend: " + be.description());
                }
            } else {
                md.line("- GPU parts: " + notRun);
            }
            md.line("");
            kernels(module, notRun);
            planFile();
            NetworkCheck networks = new NetworkCheck(opt, md, startNanos);
            networks.equivalence(module, notRun, "LAUD ResNet-50 and RegNetY-800MF: CUDA backend vs reference backend",
                    Networks.all(), opt.checkSize(), opt.batches(), true);
            if (opt.otherArchitectures()) {
                networks.equivalence(module, notRun, "Every other architecture (ResNet-18/34 basic blocks, ResNet-101,"
                        + " RegNetY-400MF, extra gate settings): CUDA backend vs reference backend",
                        otherArchitectures(), OTHER_ARCHITECTURES_SIZE, new int[] {OTHER_ARCHITECTURES_BATCH}, false);
            }
            export(module);
            networks.latency(module, notRun);
        } catch (RuntimeException e) {
            md.fail();
            md.line("");
            md.line("**Check aborted:** " + e);
            LOG.error("check aborted", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            md.fail();
            md.line("**Check interrupted.**");
        } finally {
            if (module != null) {
                module.close();
            }
            if (context != null) {
                context.close();
            }
            md.line("");
            md.line(String.format(Locale.ROOT, "Java check finished in %.1f s; overall: %s", elapsed(),
                    md.failed() ? "FAIL" : "PASS"));
            md.write(opt.report());
            LOG.info("report written to {}", opt.report());
        }
    }

    /** The gated variants of every architecture but those of {@link Networks#all()}. */
    static List<Networks.Variant> otherArchitectures() {
        List<String> checked = Networks.all().stream().map(Networks.Variant::label).toList();
        return Networks.everyArchitecture().stream().filter(v -> !checked.contains(v.label()) && !v.isStatic())
                .toList();
    }

    private void kernels(KernelModule module, String notRun) {
        md.line("### CUDA primitives vs ReferenceOps");
        md.line("");
        if (module == null) {
            md.line("Every `CudaKernels` primitive against `ReferenceOps` on NaN-poisoned outputs: " + notRun + ".");
            md.line("");
            return;
        }
        md.line("Fresh random inputs; every buffer the kernels allocate is filled with NaN first, in-place outputs"
                + " start from NaN on both sides; error = max|cuda - reference| / max|reference|.");
        md.line("");
        md.line("| primitive (kernel) | shape | precision | rel. error | tolerance | result |");
        md.line("|---|---|---|---|---|---|");
        KernelCheck kc = new KernelCheck(module, System.nanoTime());
        for (Precision p : Precision.values()) {
            for (KernelCheck.Row r : kc.run(p)) {
                md.check(r.pass());
                md.line(String.format(Locale.ROOT, "| %s | %s | %s | %.2e | %.0e | %s |", r.primitive(), r.shape(),
                        r.precision(), r.error(), r.tolerance(), r.pass() ? "pass" : "FAIL"));
            }
        }
        md.line("");
    }

    private void planFile() throws IOException {
        md.line("### Plan file");
        md.line("");
        for (Networks.Variant v : List.of(Networks.resnet50().get(3), Networks.regNetY().get(3))) {
            InferencePlan plan = v.plan(opt.inputSize());
            Path f = opt.work().resolve("plan.laudplan");
            Path g = opt.work().resolve("plan-copy.laudplan");
            PlanFile.write(plan, f);
            InferencePlan back = PlanFile.read(f);
            PlanFile.write(back, g);
            boolean same = md.check(Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(g)));
            md.line(String.format(Locale.ROOT, "- %s (%dx%d) written, read back and rewritten: %.1f MB, %d blocks, "
                    + "%.2f GMACs static; byte-identical: %s", v.label(), opt.inputSize(), opt.inputSize(),
                    Files.size(f) / 1e6, back.blocks().size(), back.staticMacs() / 1e9, same ? "yes" : "NO"));
            Files.delete(f);
            Files.delete(g);
        }
        md.line("");
    }

    private void export(KernelModule module) throws IOException {
        int batch = 2;
        int size = module == null ? opt.checkSize() : opt.inputSize();
        String[] sources = module != null ? new String[] {"fp32", "tf32"} : new String[] {"cpu"};
        md.line("### Export for the PyTorch peer");
        md.line("");
        for (Networks.Variant v : List.of(Networks.resnet50().get(0), Networks.resnet101().get(0))) {
            InferencePlan plan = v.plan(size);
            Path dir = opt.work().resolve(plan.architecture());
            float[] x = Networks.images(batch, size, 7);
            PeerExport.write(dir, v.network(), plan, x, batch, sources);
            if (module != null) {
                for (Precision p : Precision.values()) {
                    try (PlanRuntime<?> rt = PlanRuntime.create(plan, CudaBackend.on(module, p))) {
                        HostExecution e = NetworkCheck.run(rt, x, batch, PathPolicy.DENSE, Double.NaN);
                        PeerExport.writeLogits(dir, p.name().toLowerCase(Locale.ROOT), e.logits(), batch,
                                e.classes());
                    }
                }
            } else {
                try (PlanRuntime<float[]> rt = PlanRuntime.create(plan, new ReferenceBackend())) {
                    HostExecution e = NetworkCheck.run(rt, x, batch, PathPolicy.DENSE, Double.NaN);
                    PeerExport.writeLogits(dir, "cpu", e.logits(), batch, e.classes());
                }
            }
            md.line("- Static " + v.network() + " (the seeded weights, BatchNorm folded) at " + size + "x" + size
                    + ", batch " + batch + ": weights, input and Java logits (" + String.join(", ", sources)
                    + ") as .npy in `" + dir + "`.");
        }
        md.line("");
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
