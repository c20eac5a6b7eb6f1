package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Checks the committed PTX against the kernel sources: resources present for every architecture, every entry point in
 * every file, the manifest's source hashes equal to the current sources (stale PTX fails the build), and, when nvcc
 * ran during this build, the committed PTX byte-equal to nvcc's output.
 */
class PtxResourcesTest {

    private static final Path CUDA_SRC = Path.of("src", "main", "cuda");
    private static final Path COMMITTED = Path.of("src", "main", "resources", "org", "laudnet", "cuda", "ptx");
    private static final Path GENERATED = Path.of("target", "generated-ptx");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\(");
    private static final Pattern SHARED = Pattern.compile("\\.shared\\s+\\.align\\s+\\d+\\s+\\.b8\\s+(\\w+)\\[(\\d+)\\];");

    @Test
    void everyArchitectureShipsPtxWithEveryEntryPoint() {
        for (int sm : PtxCatalog.SHIPPED_ARCHITECTURES) {
            String ptx = PtxCatalog.readPtx(sm);
            assertTrue(ptx.contains(".target sm_" + sm + "\n"), "target line of sm_" + sm);
            Set<String> entries = new TreeSet<>();
            Matcher m = ENTRY.matcher(ptx);
            while (m.find()) {
                entries.add(m.group(1));
            }
            Set<String> expected = new TreeSet<>();
            for (Kernel k : Kernel.values()) {
                expected.add(k.entryName());
            }
            assertEquals(expected, entries, "entry points of sm_" + sm);
        }
    }

    @Test
    void tensorCoreInstructionsOnlyFromSm80() {
        assertTrue(!PtxCatalog.readPtx(75).contains("wmma"), "sm_75 must use the fp32 fallback");
        for (int sm : new int[] {80, 86, 89, 90}) {
            String ptx = PtxCatalog.readPtx(sm);
            // A tile is stored [k][m] (column-major A), B tile [k][n] (row-major B).
            assertTrue(ptx.contains("wmma.mma.sync.aligned.col.row.m16n16k8.f32.tf32.tf32.f32"), "TF32 WMMA in sm_" + sm);
        }
    }

    @Test
    void staticSharedMemoryMatchesTheHostConstants() {
        for (int sm : new int[] {75, 80, 90}) {
            Map<String, Integer> shared = sharedBytesPerEntry(PtxCatalog.readPtx(sm));
            ComputeCapability cc = ComputeCapability.ofSm(sm);
            for (Kernel k : Kernel.values()) {
                assertEquals(k.staticSharedBytes(cc), shared.getOrDefault(k.entryName(), 0),
                        k.entryName() + " on sm_" + sm);
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
                    name + " changed since the committed PTX was generated: run src/main/cuda/build-ptx.sh "
                            + "src/main/cuda target --update-committed src/main/resources/org/laudnet/cuda/ptx");
        }
    }

    @Test
    void committedPtxMatchesTheManifestAndTheClasspath() throws IOException {
        Properties manifest = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        assertEquals("75,80,86,89,90", manifest.getProperty("arches"));
        long total = 0;
        for (int sm : PtxCatalog.SHIPPED_ARCHITECTURES) {
            byte[] committed = Files.readAllBytes(COMMITTED.resolve(PtxCatalog.fileName(sm)));
            total += committed.length;
            assertEquals(manifest.getProperty("ptx.sm_" + sm), sha256(committed), "hash of committed sm_" + sm);
            if (!Files.isDirectory(GENERATED)) {
                assertArrayEquals(committed, PtxCatalog.readPtx(sm).getBytes(StandardCharsets.UTF_8),
                        "without nvcc the jar ships the committed sm_" + sm);
            }
        }
        assertTrue(total < 4_000_000, "committed PTX totals " + total + " bytes");
        assertEquals(PtxCatalog.readManifest().getProperty("source.laudnet_kernels.cu"),
                manifest.getProperty("source.laudnet_kernels.cu"));
    }

    @Test
    void freshNvccOutputEqualsTheCommittedPtx() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(GENERATED), "nvcc was not on PATH during this build");
        Properties committed = load(COMMITTED.resolve(PtxCatalog.MANIFEST_NAME));
        Properties fresh = load(GENERATED.resolve(PtxCatalog.MANIFEST_NAME));
        Assumptions.assumeTrue(committed.getProperty("nvcc.release").equals(fresh.getProperty("nvcc.release")),
                "nvcc " + fresh.getProperty("nvcc.release") + " differs from the committed PTX's "
                        + committed.getProperty("nvcc.release"));
        for (int sm : PtxCatalog.SHIPPED_ARCHITECTURES) {
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve(PtxCatalog.fileName(sm))),
                    Files.readAllBytes(GENERATED.resolve(PtxCatalog.fileName(sm))),
                    "committed sm_" + sm + " is stale: regenerate it with build-ptx.sh --update-committed");
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
    void architectureSelectionPicksHighestNotAboveTheDevice() {
        assertEquals(Optional.empty(), PtxCatalog.selectArchitecture(new ComputeCapability(7, 0)));
        assertEquals(Optional.of(75), PtxCatalog.selectArchitecture(new ComputeCapability(7, 5)));
        assertEquals(Optional.of(80), PtxCatalog.selectArchitecture(new ComputeCapability(8, 0)));
        assertEquals(Optional.of(86), PtxCatalog.selectArchitecture(new ComputeCapability(8, 7)));
        assertEquals(Optional.of(89), PtxCatalog.selectArchitecture(new ComputeCapability(8, 9)));
        assertEquals(Optional.of(90), PtxCatalog.selectArchitecture(new ComputeCapability(9, 0)));
        assertEquals(Optional.of(90), PtxCatalog.selectArchitecture(new ComputeCapability(12, 0)));
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

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
