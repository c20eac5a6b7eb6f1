package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver requirements of {@link DriverRequirements}, checked against the code and JCuda's native library: the
 * entry points the module calls are the listed ones, JCuda's native imports them lazily from {@code libcuda.so.1},
 * and (when a CUDA 11.x driver stub is installed) a CUDA 11 driver defines every one of them, while the only imports
 * it lacks are CUDA 12.0 entry points the module never calls. The ELF checks use binutils' {@code nm} and
 * {@code readelf} and are skipped, with the reason, without them.
 */
class DriverRequirementsTest {

    private static final Path MAIN = Path.of("src", "main", "java");
    private static final String NATIVE = "/lib/libJCudaDriver-" + DriverRequirements.JCUDA_VERSION
            + "-linux-x86_64.so";
    /** The CUDA 12.0 entry points JCuda 12.6's native imports (bound lazily; never called by this module). */
    private static final Set<String> CUDA_12_0_IMPORTS = Set.of("cuCtxGetId", "cuStreamGetId",
            "cuGraphAddKernelNode_v2", "cuGraphExecKernelNodeSetParams_v2", "cuGraphKernelNodeGetParams_v2",
            "cuGraphKernelNodeSetParams_v2");
    private static final List<Path> CUDA_11_STUBS = List.of(Path.of("/usr/lib/x86_64-linux-gnu/stubs/libcuda.so"),
            Path.of("/usr/local/cuda-11.8/lib64/stubs/libcuda.so"));

    @TempDir
    Path tmp;

    @Test
    void aDriverOlderThanCuda118IsRefusedWithBothVersions() {
        String why = DriverRequirements.problem(11040).orElseThrow();
        assertTrue(why.contains("CUDA 11.4 (cuDriverGetVersion 11040)"), why);
        assertTrue(why.contains("CUDA 11.8 or newer") && why.contains("520.61.05"), why);
        assertTrue(why.contains("JCuda 12.6.0"), why);
        assertTrue(DriverRequirements.problem(0).isPresent(), "an unknown version (0) is refused");
        assertEquals(java.util.Optional.empty(), DriverRequirements.problem(11080));
        assertEquals(java.util.Optional.empty(), DriverRequirements.problem(12020));
        assertEquals(java.util.Optional.empty(), DriverRequirements.problem(13000));
    }

    @Test
    void theListedEntryPointsAreExactlyTheDriverCallsOfTheMainCode() throws IOException {
        Pattern call = Pattern.compile("\\b(cu[A-Z][A-Za-z0-9]*)\\(");
        Set<String> called = new TreeSet<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                if (!src.contains("jcuda.driver.JCudaDriver")) {
                    continue;
                }
                Matcher m = call.matcher(src);
                while (m.find()) {
                    called.add(m.group(1));
                }
            }
        }
        Set<String> listed = new TreeSet<>();
        for (String e : DriverRequirements.ENTRY_POINTS) {
            listed.add(e.replaceAll("_v\\d$", ""));
        }
        assertEquals(listed, called, "driver calls of src/main/java vs DriverRequirements.ENTRY_POINTS");
    }

    @Test
    void jcudaNativeImportsTheEntryPointsLazilyAndACuda11DriverHasThemAll() throws Exception {
        Path so = tmp.resolve("libJCudaDriver.so");
        try (InputStream in = jcuda.driver.JCudaDriver.class.getResourceAsStream(NATIVE)) {
            Assumptions.assumeTrue(in != null, NATIVE + " is not on the classpath (not a linux-x86_64 build)");
            Files.copy(in, so, StandardCopyOption.REPLACE_EXISTING);
        }
        Assumptions.assumeTrue(tool("nm") && tool("readelf"), "binutils (nm, readelf) not installed");
        String dynamic = run("readelf", "-d", so.toString());
        assertTrue(dynamic.contains("[libcuda.so.1]"), "links libcuda.so.1:\n" + dynamic);
        assertFalse(dynamic.contains("BIND_NOW") || Pattern.compile("FLAGS_1.*\\bNOW\\b").matcher(dynamic).find(),
                "driver entry points must be bound lazily:\n" + dynamic);
        Set<String> imports = symbols(run("nm", "-D", "--undefined-only", so.toString()));
        for (String e : DriverRequirements.ENTRY_POINTS) {
            assertTrue(imports.contains(e), "JCuda's native imports " + e);
        }
        Path stub = CUDA_11_STUBS.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        Assumptions.assumeTrue(stub != null, "no CUDA 11 driver stub installed (" + CUDA_11_STUBS + ")");
        Set<String> defined = symbols(run("nm", "-D", "--defined-only", stub.toString()));
        Assumptions.assumeTrue(defined.contains("cuModuleGetLoadingMode") && !defined.contains("cuCtxGetId"),
                stub + " is not the stub of a CUDA 11.7 or 11.8 driver");
        for (String e : DriverRequirements.ENTRY_POINTS) {
            assertTrue(defined.contains(e), "a CUDA 11 driver (" + stub + ") defines " + e);
        }
        Set<String> missing = new TreeSet<>();
        for (String s : imports) {
            if (s.startsWith("cu") && !defined.contains(s)) {
                missing.add(s);
            }
        }
        assertEquals(new TreeSet<>(CUDA_12_0_IMPORTS), missing,
                "the only JCuda imports a CUDA 11 driver lacks are the CUDA 12.0 ones");
    }

    private static Set<String> symbols(String nmOutput) {
        Set<String> s = new TreeSet<>();
        for (String line : nmOutput.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 2) {
                s.add(parts[parts.length - 1].replaceAll("@.*$", ""));
            }
        }
        return s;
    }

    private static boolean tool(String name) {
        try {
            Process p = new ProcessBuilder(name, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + " failed: " + out);
        return out;
    }
}
