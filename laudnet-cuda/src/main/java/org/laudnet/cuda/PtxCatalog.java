package org.laudnet.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel binaries shipped in this jar: PTX compiled by the CUDA 11.8 toolkit (PTX ISA 7.8, which every driver from
 * R520 on can JIT: {@link DriverRequirements}) for the generic baseline {@code compute_70} and for {@code sm_75, sm_80, sm_86, sm_89, sm_90}
 * under {@code /org/laudnet/cuda/ptx/laudnet_<target>.ptx}, a manifest ({@code ptx-manifest.properties}: toolkit
 * release, ISA, flags, SHA-256 of each kernel source and of each PTX file), and the CUDA C source itself for runtime
 * compilation. The TF32 tensor-core kernels are compiled only where {@code __CUDA_ARCH__ >= 800}; the baseline and
 * {@code sm_75} run their fp32 core for TF32 requests.
 *
 * <p>A device of compute capability {@code c} tries, in order ({@link #candidates}): the PTX of its own architecture,
 * else of the highest shipped architecture below it (the driver JIT-compiles PTX forward to newer GPUs), then the
 * {@code compute_70} baseline. NVRTC runtime compilation is the last resort ({@link KernelModule#load}).
 *
 * <p>Stateless and thread-safe.
 */
public final class PtxCatalog {

    /** Classpath folder of the PTX files and the manifest. */
    public static final String PTX_DIR = "/org/laudnet/cuda/ptx/";
    /** Classpath location of the kernel source. */
    public static final String SOURCE_RESOURCE = "/org/laudnet/cuda/src/laudnet_kernels.cu";
    /** File name of the manifest inside {@link #PTX_DIR}. */
    public static final String MANIFEST_NAME = "ptx-manifest.properties";
    /** The generic baseline every GPU from compute capability 7.0 (V100) on can load. */
    public static final PtxTarget BASELINE = PtxTarget.compute(70);
    /** The shipped PTX files: the baseline, then the architecture-specific ones ascending. */
    public static final List<PtxTarget> SHIPPED = List.of(BASELINE, PtxTarget.sm(75), PtxTarget.sm(80),
            PtxTarget.sm(86), PtxTarget.sm(89), PtxTarget.sm(90));
    /** The highest PTX ISA version a shipped file may declare, times ten ({@code 78} for ISA 7.8, CUDA 11.8). */
    public static final int MAX_PTX_ISA = 78;

    private static final Pattern VERSION = Pattern.compile("(?m)^\\.version\\s+(\\d+)\\.(\\d)\\s*$");
    private static final Pattern TARGET = Pattern.compile("(?m)^\\.target\\s+sm_(\\d+)\\s*$");

    private PtxCatalog() {}

    /**
     * Returns the shipped PTX a device tries, in order: its own architecture's or the highest shipped one below it,
     * then the {@link #BASELINE}. Empty for devices older than the baseline (compute capability below 7.0).
     *
     * @param capability the device's compute capability
     * @return the targets to try, best first, without repetition
     */
    public static List<PtxTarget> candidates(ComputeCapability capability) {
        if (capability == null) {
            throw new IllegalArgumentException("capability must not be null");
        }
        List<PtxTarget> r = new ArrayList<>(2);
        if (capability.smNumber() < BASELINE.sm()) {
            return r;
        }
        PtxTarget best = null;
        for (PtxTarget t : SHIPPED) {
            if (!t.baseline() && t.sm() <= capability.smNumber()) {
                best = t;
            }
        }
        if (best != null) {
            r.add(best);
        }
        r.add(BASELINE);
        return List.copyOf(r);
    }

    /**
     * Reads one shipped PTX file.
     *
     * @param target a shipped target
     * @return the PTX text
     * @throws IllegalArgumentException if {@code target} is not shipped
     * @throws IllegalStateException if the resource is missing from the classpath
     */
    public static String readPtx(PtxTarget target) {
        if (!SHIPPED.contains(target)) {
            throw new IllegalArgumentException("target must be one of " + SHIPPED + ", got " + target);
        }
        return readText(PTX_DIR + target.fileName());
    }

    /** Returns the CUDA C source of the kernels (for NVRTC). */
    public static String readKernelSource() {
        return readText(SOURCE_RESOURCE);
    }

    /** Returns the manifest shipped next to the PTX. */
    public static Properties readManifest() {
        Properties p = new Properties();
        try (InputStream in = open(PTX_DIR + MANIFEST_NAME)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PTX_DIR + MANIFEST_NAME, e);
        }
        return p;
    }

    /**
     * Returns the ISA version a PTX text declares ({@code .version X.Y}), times ten.
     *
     * @param ptx PTX text
     * @return e.g. {@code 78} for {@code .version 7.8}
     * @throws IllegalArgumentException if the text has no {@code .version} line
     */
    public static int declaredIsa(String ptx) {
        Matcher m = VERSION.matcher(ptx);
        if (!m.find()) {
            throw new IllegalArgumentException("PTX text has no '.version X.Y' line");
        }
        return 10 * Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2));
    }

    /**
     * Returns the architecture a PTX text declares ({@code .target sm_XX}).
     *
     * @param ptx PTX text
     * @return e.g. {@code 70}
     * @throws IllegalArgumentException if the text has no {@code .target sm_XX} line
     */
    public static int declaredTarget(String ptx) {
        Matcher m = TARGET.matcher(ptx);
        if (!m.find()) {
            throw new IllegalArgumentException("PTX text has no '.target sm_XX' line");
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * Formats a {@code cuDriverGetVersion} value.
     *
     * @param driverVersion e.g. {@code 11080}
     * @return e.g. {@code "11.8"}
     */
    public static String formatDriverVersion(int driverVersion) {
        return driverVersion / 1000 + "." + (driverVersion % 1000) / 10;
    }

    private static String readText(String resource) {
        try (InputStream in = open(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private static InputStream open(String resource) {
        InputStream in = PtxCatalog.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("resource " + resource + " is missing from the classpath");
        }
        return in;
    }
}
