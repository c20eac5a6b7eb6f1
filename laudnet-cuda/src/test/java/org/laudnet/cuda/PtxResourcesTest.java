package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Checks the committed PTX against the kernel sources and the drivers it must load on: resources present for every
 * shipped target with every entry point, PTX ISA at most 7.8 (CUDA 11.8: drivers from R520 on) and the target the
 * manifest names, the manifest's hashes equal to the files and its source hashes equal to the current sources (stale
 * PTX fails the build), TF32 tensor-core code only from {@code sm_80}, and, when the CUDA 11.8 nvcc ran during this
 * build, the committed PTX byte-equal to nvcc's output. {@link PtxAssemblyTest} assembles the files with ptxas.
 */
class PtxResourcesTest {

    private static final Path CUDA_SRC = Path.of("src", "main", "cuda");
    static final Path COMMITTED = Path.of("src", "main", "resources", "org", "laudnet", "cuda", "ptx");
    private static final Path GENERATED = Path.of("target", "generated-ptx");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\(");
    private static final Pattern SHARED = Pattern.compile("\\.shared\\s+\\.align\\s+\\d+\\s+\\.b8\\s+(\\w+)\\[(\\d+)\\];");

    @Test
    void everyShippedTargetHasPtxWithEveryEntryPoint() {
        assertEquals(List.of("compute_70", "sm_75", "sm_80", "sm_86", "sm_89", "sm_90"),
                PtxCatalog.SHIPPED.stream().map(PtxTarget::name).toList());
        for (PtxTarget t : PtxCatalog.SHIPPED) {
            String ptx = PtxCatalog.readPtx(t);
            assertEquals(t.sm(), PtxCatalog.declaredTarget(ptx), "target line of " + t);
            Set<String> entries = new TreeSet<>();
            Matcher m = ENTRY.matcher(ptx);
            while (m.find()) {
                entries.add(m.group(1));
            }
            Set<String> expected = new TreeSet<>();
            for (Kernel k : Kernel.values()) {
                expected.add(k.entryName());
            }
            assertEquals(expected, entries, "entry points of " + t);
        }
    }

    @Test
    void everyCommittedPtxDeclaresIsaAtMost78AndTheManifestsTarget() throws IOException {
        Properties manifest = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        assertEquals("11.8", manifest.getProperty("nvcc.release"), "toolkit release of the committed PTX");
        assertEquals("7.8", manifest.getProperty("ptx.isa"));
        List<PtxTarget> listed = Arrays.stream(manifest.getProperty("targets").split(",")).map(PtxTarget::parse)
                .toList();
        assertEquals(PtxCatalog.SHIPPED, listed, "targets of the manifest");
        Set<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(COMMITTED)) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ptx")).forEach(files::add);
        }
        assertEquals(new TreeSet<>(listed.stream().map(PtxTarget::fileName).toList()), files,
                "committed PTX files are exactly the manifest's targets");
        for (PtxTarget t : listed) {
            String ptx = Files.readString(COMMITTED.resolve(t.fileName()));
            int isa = PtxCatalog.declaredIsa(ptx);
            assertTrue(isa <= PtxCatalog.MAX_PTX_ISA, t + " declares PTX ISA " + isa / 10 + "." + isa % 10
                    + ", above 7.8: drivers older than CUDA " + isa / 10 + "." + isa % 10 + " could not load it");
            assertEquals(78, isa, t + " ISA as the manifest says");
            assertEquals(t.sm(), PtxCatalog.declaredTarget(ptx), t + " target");
            assertTrue(ptx.contains("Cuda compilation tools, release 11.8, " + manifest.getProperty("nvcc.version")),
                    t + " header names the manifest's nvcc");
        }
    }

    @Test
    void tensorCoreInstructionsOnlyFromSm80() {
        for (PtxTarget t : List.of(PtxCatalog.BASELINE, PtxTarget.sm(75))) {
            assertFalse(PtxCatalog.readPtx(t).contains("wmma"), t + " must use the fp32 core");
        }
        for (int sm : new int[] {80, 86, 89, 90}) {
            String ptx = PtxCatalog.readPtx(PtxTarget.sm(sm));
            // A tile is stored [k][m] (column-major A), B tile [k][n] (row-major B).
            assertTrue(ptx.contains("wmma.mma.sync.aligned.col.row.m16n16k8.f32.tf32.tf32.f32"), "TF32 WMMA in sm_" + sm);
        }
    }

    @Test
    void staticSharedMemoryMatchesTheHostConstants() {
        for (PtxTarget t : List.of(PtxCatalog.BASELINE, PtxTarget.sm(75), PtxTarget.sm(80), PtxTarget.sm(90))) {
            Map<String, Integer> shared = sharedBytesPerEntry(PtxCatalog.readPtx(t));
            for (Kernel k : Kernel.values()) {
                assertEquals(k.staticSharedBytes(t.capability()), shared.getOrDefault(k.entryName(), 0),
                        k.entryName() + " in " + t);
            }
        }
        assertEquals(8704, Kernel.GEMM_SHARED_BYTES_FP32);
        assertEquals(26112, Kernel.GEMM_SHARED_BYTES_TF32);
    }

    @Test
    void manifestSourceHashesMatchTheCurrentSources() throws IOException {
        Properties manifest = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        Set<String> listed = new TreeSet<>();
        for (String key : manifest.stringPropertyNames()) {
            if (key.startsWith("source.")) {
                listed.add(key.substring("source.".length()));
            }
        }
        Set<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.list(CUDA_SRC)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu") || n.endsWith(".cuh"))
                    .forEach(present::add);
        }
        assertEquals(present, listed, "kernel sources listed in the PTX manifest");
        for (String name : present) {
            assertEquals(manifest.getProperty("source." + name), sha256(Files.readAllBytes(CUDA_SRC.resolve(name))),
                    name + " changed since the committed PTX was generated: run scripts/build-ptx.sh");
        }
    }

    @Test
    void committedPtxMatchesTheManifestAndTheClasspath() throws IOException {
        Properties manifest = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        long total = 0;
        for (PtxTarget t : PtxCatalog.SHIPPED) {
            byte[] committed = Files.readAllBytes(COMMITTED.resolve(t.fileName()));
            total += committed.length;
            assertEquals(manifest.getProperty("ptx." + t.name()), sha256(committed), "hash of committed " + t);
            assertArrayEquals(committed, PtxCatalog.readPtx(t).getBytes(StandardCharsets.UTF_8),
                    "the jar ships the committed " + t);
        }
        assertTrue(total < 4_000_000, "committed PTX totals " + total + " bytes");
        assertEquals(manifest, PtxCatalog.readManifest(), "the jar ships the committed manifest");
    }

    @Test
    void freshNvccOutputEqualsTheCommittedPtx() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(GENERATED.resolve(PtxCatalog.MANIFEST_NAME)),
                "no nvcc of CUDA 11.8 was installed during this build (scripts/build-ptx.sh installs it)");
        Properties committed = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        Properties fresh = load(GENERATED.resolve(PtxCatalog.MANIFEST_NAME));
        Assumptions.assumeTrue(committed.getProperty("nvcc.version").equals(fresh.getProperty("nvcc.version")),
                "nvcc " + fresh.getProperty("nvcc.version") + " differs from the committed PTX's "
                        + committed.getProperty("nvcc.version"));
        for (PtxTarget t : PtxCatalog.SHIPPED) {
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve(t.fileName())),
                    Files.readAllBytes(GENERATED.resolve(t.fileName())),
                    "committed " + t + " is stale: regenerate it with scripts/build-ptx.sh");
        }
    }

    @Test
    void kernelSourceShipsForRuntimeCompilation() throws IOException {
        String source = PtxCatalog.readKernelSource();
        assertEquals(Files.readString(CUDA_SRC.resolve("laudnet_kernels.cu")), source);
        for (Kernel k : Kernel.values()) {
            assertTrue(source.contains(k.entryName() + "("), k.entryName());
        }
    }

    @Test
    void candidatesAreTheExactOrBestLowerArchitectureThenTheBaseline() {
        PtxTarget c70 = PtxCatalog.BASELINE;
        assertEquals(List.of(), PtxCatalog.candidates(new ComputeCapability(6, 1)));
        assertEquals(List.of(c70), PtxCatalog.candidates(new ComputeCapability(7, 0)));
        assertEquals(List.of(c70), PtxCatalog.candidates(new ComputeCapability(7, 2)));
        assertEquals(List.of(PtxTarget.sm(75), c70), PtxCatalog.candidates(new ComputeCapability(7, 5)));
        assertEquals(List.of(PtxTarget.sm(80), c70), PtxCatalog.candidates(new ComputeCapability(8, 0)));
        assertEquals(List.of(PtxTarget.sm(86), c70), PtxCatalog.candidates(new ComputeCapability(8, 6)));
        assertEquals(List.of(PtxTarget.sm(86), c70), PtxCatalog.candidates(new ComputeCapability(8, 7)));
        assertEquals(List.of(PtxTarget.sm(89), c70), PtxCatalog.candidates(new ComputeCapability(8, 9)));
        assertEquals(List.of(PtxTarget.sm(90), c70), PtxCatalog.candidates(new ComputeCapability(9, 0)));
        assertEquals(List.of(PtxTarget.sm(90), c70), PtxCatalog.candidates(new ComputeCapability(12, 0)));
    }

    @Test
    void targetNamesAndIsaParsing() {
        assertEquals(PtxTarget.compute(70), PtxTarget.parse("compute_70"));
        assertEquals("laudnet_sm_86.ptx", PtxTarget.parse("sm_86").fileName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PtxTarget.parse("sm86"));
        assertTrue(e.getMessage().contains("'sm86'"), e.getMessage());
        assertEquals(90, PtxCatalog.declaredIsa("//\n.version 9.0\n.target sm_75\n"));
        assertEquals(75, PtxCatalog.declaredTarget("//\n.version 9.0\n.target sm_75\n"));
        assertThrows(IllegalArgumentException.class, () -> PtxCatalog.declaredIsa(".target sm_75\n"));
        assertEquals("11.8", PtxCatalog.formatDriverVersion(11080));
        assertEquals("12.6", PtxCatalog.formatDriverVersion(12060));
    }

    @Test
    void driverRejectionsOfOnePtxLetTheLoaderTryTheNext() {
        assertTrue(KernelModule.isJitRejection(jcuda.driver.CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION));
        assertTrue(KernelModule.isJitRejection(jcuda.driver.CUresult.CUDA_ERROR_INVALID_PTX));
        assertTrue(KernelModule.isJitRejection(jcuda.driver.CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU));
        assertFalse(KernelModule.isJitRejection(jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY));
        assertFalse(KernelModule.isJitRejection(jcuda.driver.CUresult.CUDA_SUCCESS));
    }

    /**
     * Static shared memory per entry: the sizes of all {@code .shared} arrays (declared inside the entry, or at module
     * scope when two entries share an inlined function's array) that the entry's body names.
     */
    private static Map<String, Integer> sharedBytesPerEntry(String ptx) {
        Map<String, Integer> declared = new HashMap<>();
        Matcher s = SHARED.matcher(ptx);
        while (s.find()) {
            declared.put(s.group(1), Integer.parseInt(s.group(2)));
        }
        Map<String, Integer> bytes = new HashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        int start = -1;
        String name = null;
        while (true) {
            boolean found = entry.find();
            int end = found ? entry.start() : ptx.length();
            if (name != null) {
                String body = ptx.substring(start, end);
                int sum = 0;
                for (Map.Entry<String, Integer> d : declared.entrySet()) {
                    if (Pattern.compile(Pattern.quote(d.getKey()) + "(?!\\w)").matcher(body).find()) {
                        sum += d.getValue();
                    }
                }
                bytes.put(name, sum);
            }
            if (!found) {
                return bytes;
            }
            name = entry.group(1);
            start = entry.end();
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
