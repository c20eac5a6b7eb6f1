package org.laudnet.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The kernel binaries shipped in this jar: PTX compiled by nvcc for {@code sm_75, sm_80, sm_86, sm_89, sm_90} under
 * {@code /org/laudnet/cuda/ptx/laudnet_sm_XX.ptx}, a manifest ({@code ptx-manifest.properties}: nvcc release, flags,
 * SHA-256 of each kernel source and of each PTX file), and the CUDA C source itself for runtime compilation.
 *
 * <p>A device of compute capability {@code c} loads the PTX of the highest shipped architecture {@code <= c} (the
 * driver JIT-compiles PTX forward to newer GPUs). Older devices (V100, {@code sm_70}) have no shipped PTX and are
 * served by NVRTC runtime compilation of {@link #readKernelSource()}.
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
    /** The shipped architectures, ascending, as {@code sm_XX} numbers. */
    public static final List<Integer> SHIPPED_ARCHITECTURES = List.of(75, 80, 86, 89, 90);

    private PtxCatalog() {}

    /**
     * Chooses the PTX for a device: the highest shipped architecture not above its compute capability.
     *
     * @param capability the device's compute capability
     * @return the {@code sm_XX} number, or empty when the device is older than every shipped PTX
     */
    public static Optional<Integer> selectArchitecture(ComputeCapability capability) {
        if (capability == null) {
            throw new IllegalArgumentException("capability must not be null");
        }
        Integer best = null;
        for (int sm : SHIPPED_ARCHITECTURES) {
            if (sm <= capability.smNumber()) {
                best = sm;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Returns the file name of one PTX file.
     *
     * @param sm the {@code sm_XX} number
     * @return {@code laudnet_sm_XX.ptx}
     */
    public static String fileName(int sm) {
        return "laudnet_sm_" + sm + ".ptx";
    }

    /**
     * Reads one shipped PTX file.
     *
     * @param sm a shipped {@code sm_XX} number
     * @return the PTX text
     * @throws IllegalArgumentException if {@code sm} is not shipped
     * @throws IllegalStateException if the resource is missing from the classpath
     */
    public static String readPtx(int sm) {
        if (!SHIPPED_ARCHITECTURES.contains(sm)) {
            throw new IllegalArgumentException("sm must be one of " + SHIPPED_ARCHITECTURES + ", got " + sm);
        }
        return readText(PTX_DIR + fileName(sm));
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
