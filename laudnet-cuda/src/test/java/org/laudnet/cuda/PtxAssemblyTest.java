package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Assembles every committed PTX file with every {@code ptxas} installed here (on {@code PATH}, under
 * {@code /usr/local/cuda*}{@code /bin} or {@code /usr/lib/nvidia-cuda-toolkit/bin}), for the architectures that
 * ptxas supports: each file for its own target, and the {@code compute_70} baseline also for {@code sm_90}, the newest
 * GPU it is loaded on in place of a rejected architecture-specific file. CUDA 13's ptxas no longer supports
 * {@code sm_70}; CUDA 11.8's covers all. Skipped, with the reason, when no ptxas is installed.
 */
class PtxAssemblyTest {

    private static final Pattern GPU_NAMES = Pattern.compile("'(sm_\\d+)'");

    @Test
    void everyInstalledPtxasAssemblesEveryFileForTheArchitecturesItSupports() throws Exception {
        Map<String, Path> tools = installedPtxas();
        Assumptions.assumeFalse(tools.isEmpty(), "no ptxas installed (looked on PATH, in /usr/local/cuda*/bin and"
                + " /usr/lib/nvidia-cuda-toolkit/bin)");
        List<String> jobs = new ArrayList<>();
        List<Future<String>> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(4,
                Runtime.getRuntime().availableProcessors())));
        try {
            for (Map.Entry<String, Path> tool : tools.entrySet()) {
                Path ptxas = tool.getValue();
                TreeSet<String> supported = supportedArchitectures(ptxas);
                for (PtxTarget t : PtxCatalog.SHIPPED) {
                    List<String> arches = new ArrayList<>(List.of("sm_" + t.sm()));
                    if (t.baseline()) {
                        arches.add("sm_90");
                    }
                    for (String arch : arches) {
                        if (!supported.contains(arch)) {
                            continue;
                        }
                        Path file = PtxResourcesTest.COMMITTED.resolve(t.fileName()).toAbsolutePath();
                        jobs.add(tool.getKey() + ": " + t.fileName() + " for " + arch);
                        results.add(pool.submit(() -> assemble(ptxas, arch, file)));
                    }
                }
            }
            Assumptions.assumeFalse(jobs.isEmpty(), "no installed ptxas supports a shipped architecture: " + tools);
            for (int i = 0; i < jobs.size(); i++) {
                String failure = results.get(i).get();
                assertEquals("", failure, jobs.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(jobs.size() >= PtxCatalog.SHIPPED.size() - 1, "assembled " + jobs);
    }

    /** Runs ptxas; returns "" on success, else the exit status and output. */
    private static String assemble(Path ptxas, String arch, Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(ptxas.toString(), "-arch=" + arch, "-o", "/dev/null", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "ptxas did not finish in 300 s";
        }
        return p.exitValue() == 0 ? "" : "ptxas exit status " + p.exitValue() + ": " + out.strip();
    }

    /** The real architectures ({@code sm_XX}) ptxas accepts for {@code --gpu-name}, from its help text. */
    private static TreeSet<String> supportedArchitectures(Path ptxas) throws IOException, InterruptedException {
        String help = run(ptxas, "--help");
        int from = help.indexOf("--gpu-name");
        int to = from < 0 ? -1 : help.indexOf("Default value", from);
        TreeSet<String> arches = new TreeSet<>();
        if (from >= 0 && to > from) {
            Matcher m = GPU_NAMES.matcher(help.substring(from, to));
            while (m.find()) {
                arches.add(m.group(1));
            }
        }
        return arches;
    }

    /** Every executable ptxas found, keyed by its build line, so that wrappers and links of one binary count once. */
    private static Map<String, Path> installedPtxas() throws IOException, InterruptedException {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("/usr/lib/nvidia-cuda-toolkit/bin/ptxas"));
        Path local = Path.of("/usr/local");
        if (Files.isDirectory(local)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(local, "cuda*")) {
                for (Path d : dirs) {
                    candidates.add(d.resolve("bin").resolve("ptxas"));
                }
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, "ptxas"));
                }
            }
        }
        Map<String, Path> tools = new LinkedHashMap<>();
        for (Path c : candidates) {
            if (!Files.isExecutable(c) || Files.isDirectory(c)) {
                continue;
            }
            String version = run(c, "--version");
            Matcher m = Pattern.compile("(?m)^Build (\\S+)").matcher(version);
            String key = m.find() ? m.group(1) : c.toString();
            tools.putIfAbsent(key, c);
        }
        return tools;
    }

    private static String run(Path tool, String arg) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(tool.toString(), arg).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
