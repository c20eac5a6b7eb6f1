package org.laudnet.bench.serving;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code laudnet serve} child process on loopback: the same Java, class path and system properties as this JVM
 * (the engine's intra-op threads set per run), its output in a log file, its resident memory read from
 * {@code /proc/<pid>/status}, stopped with SIGTERM. Not thread-safe.
 */
final class ServerProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code laudnet serve} on a free loopback port and waits until {@code GET /health} answers 200.
     *
     * @param serveArgs the arguments after {@code serve} (no host or port)
     * @param engineThreads the engine's intra-op threads ({@code ai.djl.pytorch.num_threads}) of the child
     * @param log where its output goes
     * @param http the client that polls its health
     * @param startTimeout how long loading may take
     * @return the running server
     * @throws IOException if it cannot start, exits, or is not healthy in time (the message holds its log's tail)
     */
    static ServerProcess start(List<String> serveArgs, int engineThreads, Path log, HttpClient http,
            Duration startTimeout) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if ((a.startsWith("-D") || a.startsWith("-X")) && !a.startsWith("-Dai.djl.pytorch.num_threads=")
                    && !a.startsWith("-Xrunjdwp") && !a.startsWith("-agentlib")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dai.djl.pytorch.num_threads=" + engineThreads);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.laudnet.bench.cli.LaudnetCli");
        cmd.add("serve");
        cmd.add("--host");
        cmd.add("127.0.0.1");
        cmd.add("--port");
        cmd.add(Integer.toString(port));
        cmd.addAll(serveArgs);
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerProcess sp = new ServerProcess(p, port, log);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("laudnet serve exited with " + p.exitValue() + " while starting: "
                        + sp.logTail());
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(sp.uri("/health"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return sp;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        sp.kill();
        throw new IOException("laudnet serve not healthy within " + startTimeout.toSeconds() + " s: " + sp.logTail());
    }

    /** Returns the URI of a path on the server. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Returns the process id. */
    long pid() {
        return process.pid();
    }

    /** Returns whether the process runs. */
    boolean alive() {
        return process.isAlive();
    }

    /** Returns the server's resident memory, MiB, from {@code /proc/<pid>/status}. */
    double rssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim()) / 1024.0;
            }
        }
        throw new IOException("/proc/" + process.pid() + "/status has no VmRSS line (Linux only)");
    }

    /**
     * Sends SIGTERM and waits for the exit.
     *
     * @param timeout how long to wait before killing it
     * @return seconds from SIGTERM to exit, or NaN if it had to be killed
     */
    double terminate(Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return (System.nanoTime() - t0) / 1e9;
        }
        kill();
        return Double.NaN;
    }

    private void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Returns the last lines of the server's output. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate(Duration.ofSeconds(15));
        }
    }
}
