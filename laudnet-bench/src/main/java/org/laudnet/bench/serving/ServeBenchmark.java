package org.laudnet.bench.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.ServiceOptions;

/**
 * The load test of {@code laudnet bench serve}: for every model variant, worker count and batching setting, a
 * {@code laudnet serve} child process on loopback ({@link ServerProcess}) under closed-loop clients at each
 * concurrency ({@link LoadGenerator}), with its resident memory at start and end and its SIGTERM exit time; the same
 * settings run in this JVM on a {@link LaudService} alone (no HTTP) at the highest concurrency; a run with one request
 * in ten bad (truncated JPEG, text, empty, oversized, a decompression-bomb PNG header), each checked against the
 * server's serial answers; and optionally a long run sampling the server's RSS every 1,000 requests. Not thread-safe.
 */
public final class ServeBenchmark {

    /** Loads a variant's model in this JVM (for the in-process runs). */
    @FunctionalInterface
    public interface ModelLoader {
        /**
         * Loads the model.
         *
         * @return the model; the caller closes it
         * @throws Exception if it cannot be loaded
         */
        LaudModel load() throws Exception;
    }

    /**
     * A model to serve.
     *
     * @param name short name ({@code static}, {@code gated})
     * @param description what it is
     * @param serveArgs the model's arguments of {@code laudnet serve}
     * @param loader loads the same model in this JVM
     */
    public record Variant(String name, String description, List<String> serveArgs, ModelLoader loader) {}

    /**
     * What to run.
     *
     * @param variants the models
     * @param images encoded images, sent in turn
     * @param imageNames their file names
     * @param requests requests per concurrency level
     * @param warmup requests before the levels of each server
     * @param clients the concurrency levels
     * @param workers worker counts
     * @param maxBatches {@code --max-batch} values (1: batching off)
     * @param maxDelayMs {@code --max-delay-ms}
     * @param queue {@code --queue}
     * @param cores the cores shared by the workers ({@code --threads = cores / workers})
     * @param badRequests requests of the bad-input run (0: no run)
     * @param longRun requests of the RSS run (0: no run)
     * @param inProcess whether to run the in-process baseline
     * @param levelBound time bound of one level
     * @param logDir where the servers' logs go
     */
    public record Settings(List<Variant> variants, List<byte[]> images, List<String> imageNames, int requests,
            int warmup, int[] clients, int[] workers, int[] maxBatches, int maxDelayMs, int queue, int cores,
            int badRequests, int longRun, boolean inProcess, Duration levelBound, Path logDir) {}

    private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    private static final int BAD_BODY_MB = 2;

    private final Settings s;
    private final Consumer<String> progress;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final ServeReport report = new ServeReport();

    private ServeBenchmark(Settings s, Consumer<String> progress) {
        this.s = s;
        this.progress = progress;
    }

    /**
     * Runs everything the settings ask for.
     *
     * @param settings what to run
     * @param progress receives one line per step
     * @return the results
     * @throws Exception if a server cannot start or a model cannot load
     */
    public static ServeReport run(Settings settings, Consumer<String> progress) throws Exception {
        ServeBenchmark b = new ServeBenchmark(settings, progress);
        for (Variant v : settings.variants()) {
            b.served(v);
            if (settings.inProcess()) {
                b.inProcess(v);
            }
        }
        Variant first = settings.variants().get(0);
        if (settings.badRequests() > 0) {
            b.badInput(first);
        }
        if (settings.longRun() > 0) {
            b.longRun(first);
        }
        return b.report;
    }

    private int threads(int workers) {
        return Math.max(1, s.cores() / workers);
    }

    private int maxClients() {
        return Arrays.stream(s.clients()).max().orElse(1);
    }

    private byte[] image(int i) {
        return s.images().get(i % s.images().size());
    }

    private List<String> serveArgs(Variant v, int workers, int maxBatch, int bodyMb) {
        List<String> a = new ArrayList<>(v.serveArgs());
        a.addAll(List.of("--workers", Integer.toString(workers), "--threads", Integer.toString(threads(workers)),
                "--max-batch", Integer.toString(maxBatch), "--max-delay-ms", Integer.toString(s.maxDelayMs()),
                "--queue", Integer.toString(s.queue()), "--max-body-mb", Integer.toString(bodyMb), "--device", "CPU"));
        return a;
    }

    private ServerProcess start(Variant v, int workers, int maxBatch, int bodyMb, String tag) throws Exception {
        Path log = s.logDir().resolve("serve-" + v.name() + "-" + tag + ".log");
        long t0 = System.nanoTime();
        ServerProcess p = ServerProcess.start(serveArgs(v, workers, maxBatch, bodyMb), threads(workers), log, http,
                START_TIMEOUT);
        progress.accept(String.format(java.util.Locale.ROOT, "server %s %s up in %.1f s (pid %d, log %s)",
                v.name(), tag, (System.nanoTime() - t0) / 1e9, p.pid(), log));
        return p;
    }

    private void served(Variant v) throws Exception {
        for (int w : s.workers()) {
            for (int b : s.maxBatches()) {
                String tag = "w" + w + "-b" + b;
                try (ServerProcess p = start(v, w, b, 16, tag)) {
                    double rssStart = p.rssMb();
                    LoadGenerator.http(http, p.uri("/predictions"), this::image, maxClients(), s.warmup(),
                            s.levelBound(), null);
                    List<LoadRun> runs = new ArrayList<>();
                    for (int c : s.clients()) {
                        LoadRun r = LoadGenerator.http(http, p.uri("/predictions"), this::image, c, s.requests(),
                                s.levelBound(), null);
                        runs.add(r);
                        progress.accept(String.format(java.util.Locale.ROOT,
                                "  %s workers %d max-batch %d clients %d: %.2f req/s, p50 %.1f p99 %.1f ms,"
                                        + " errors %d, batches %s", v.name(), w, b, c, r.throughput(),
                                r.quantileMs(0.5), r.quantileMs(0.99), r.errors(), r.batchDistribution()));
                    }
                    double rssEnd = p.rssMb();
                    double exit = p.terminate(Duration.ofSeconds(15));
                    progress.accept(String.format(java.util.Locale.ROOT, "  RSS %.0f -> %.0f MiB; SIGTERM exit in"
                            + " %.2f s", rssStart, rssEnd, exit));
                    report.served.add(new ServeReport.ServerRun(v.name(), w, threads(w), b, rssStart, rssEnd, exit,
                            runs));
                }
            }
        }
    }

    private void inProcess(Variant v) throws Exception {
        try (LaudModel m = v.loader().load()) {
            for (int w : s.workers()) {
                for (int b : s.maxBatches()) {
                    ServiceOptions o = ServiceOptions.builder().optWorkers(w).optIntraOpThreads(threads(w))
                            .optMaxBatchSize(b).optMaxBatchDelay(Duration.ofMillis(s.maxDelayMs()))
                            .optQueueCapacity(s.queue()).optDevice(org.laudnet.core.exec.DeviceKind.CPU).build();
                    try (LaudService<byte[]> service = LaudService.start(m, byte[].class, o)) {
                        LoadGenerator.inProcess(service, this::image, maxClients(), s.warmup(), s.levelBound());
                        LoadRun r = LoadGenerator.inProcess(service, this::image, maxClients(), s.requests(),
                                s.levelBound());
                        progress.accept(String.format(java.util.Locale.ROOT,
                                "  in-process %s workers %d max-batch %d clients %d: %.2f req/s, p50 %.1f ms",
                                v.name(), w, b, maxClients(), r.throughput(), r.quantileMs(0.5)));
                        report.inProcess.add(new ServeReport.InProcessRun(v.name(), w, threads(w), b, r));
                    }
                }
            }
        }
    }

    /** The kinds of bad request, one in ten requests, in turn. */
    enum Bad {
        TRUNCATED_JPEG, TEXT, EMPTY, OVERSIZED, BOMB_HEADER
    }

    private void badInput(Variant v) throws Exception {
        int w = s.workers()[0];
        int b = Arrays.stream(s.maxBatches()).max().orElse(1);
        byte[] oversized = new byte[(BAD_BODY_MB << 20) + 1];
        byte[] truncated = null;
        for (int i = 0; i < s.images().size() && truncated == null; i++) {
            if (s.imageNames().get(i).toLowerCase(java.util.Locale.ROOT).endsWith(".jpg")) {
                truncated = Arrays.copyOf(s.images().get(i), s.images().get(i).length * 6 / 10);
            }
        }
        byte[] cut = truncated != null ? truncated : Arrays.copyOf(image(0), image(0).length / 2);
        byte[] text = "this is not an image\n".getBytes(StandardCharsets.UTF_8);
        byte[] bomb = bombPng(30000);
        try (ServerProcess p = start(v, w, b, BAD_BODY_MB, "bad-input")) {
            List<JsonArray> serial = new ArrayList<>();
            for (int i = 0; i < s.images().size(); i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(p.uri("/predictions"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(s.images().get(i))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IOException("serial answer of " + s.imageNames().get(i) + ": " + r.statusCode() + " "
                            + r.body());
                }
                serial.add(JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("classes"));
            }
            AtomicInteger good = new AtomicInteger();
            AtomicInteger bad = new AtomicInteger();
            AtomicInteger badNot4xx = new AtomicInteger();
            AtomicInteger goodNot200 = new AtomicInteger();
            AtomicInteger wrong = new AtomicInteger();
            int[] badByKind = new int[Bad.values().length];
            int[] badAnswered4xx = new int[Bad.values().length];
            LoadRun run = LoadGenerator.http(http, p.uri("/predictions"), i -> {
                if (i % 10 == 9) {
                    return switch (Bad.values()[(i / 10) % Bad.values().length]) {
                        case TRUNCATED_JPEG -> cut;
                        case TEXT -> text;
                        case EMPTY -> new byte[0];
                        case OVERSIZED -> oversized;
                        case BOMB_HEADER -> bomb;
                    };
                }
                return image(i);
            }, maxClients(), s.badRequests(), s.levelBound(), a -> {
                if (a.index() % 10 == 9) {
                    int k = (a.index() / 10) % Bad.values().length;
                    bad.incrementAndGet();
                    synchronized (badByKind) {
                        badByKind[k]++;
                        if (a.status() >= 400 && a.status() < 500) {
                            badAnswered4xx[k]++;
                        }
                    }
                    if (a.status() < 400 || a.status() >= 500) {
                        badNot4xx.incrementAndGet();
                    }
                } else {
                    good.incrementAndGet();
                    if (a.status() != 200) {
                        goodNot200.incrementAndGet();
                    } else if (!sameAnswer(serial.get(a.index() % s.images().size()), a.body())) {
                        wrong.incrementAndGet();
                    }
                }
            });
            boolean healthy = false;
            try {
                healthy = http.send(HttpRequest.newBuilder(p.uri("/health")).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                healthy = false;
            }
            boolean alive = p.alive();
            double exit = p.terminate(Duration.ofSeconds(15));
            report.badInput = new ServeReport.BadInputRun(v.name(), w, b, run, good.get(), bad.get(), goodNot200.get(),
                    wrong.get(), badNot4xx.get(), badByKind, badAnswered4xx, alive && healthy, exit);
            progress.accept(String.format(java.util.Locale.ROOT, "bad-input run: %d good (%d not 200, %d wrong),"
                    + " %d bad (%d not 4xx), server %s", good.get(), goodNot200.get(), wrong.get(), bad.get(),
                    badNot4xx.get(), alive && healthy ? "alive and healthy" : "DEAD or unhealthy"));
        }
    }

    /** Same top classes (indices in order) and probabilities within 1e-5 as the serial answer. */
    private static boolean sameAnswer(JsonArray serial, String body) {
        try {
            JsonArray got = JsonParser.parseString(body).getAsJsonObject().getAsJsonArray("classes");
            if (got.size() != serial.size()) {
                return false;
            }
            for (int k = 0; k < got.size(); k++) {
                JsonObject g = got.get(k).getAsJsonObject();
                JsonObject e = serial.get(k).getAsJsonObject();
                if (g.get("index").getAsInt() != e.get("index").getAsInt()
                        || Math.abs(g.get("probability").getAsDouble() - e.get("probability").getAsDouble()) > 1e-5) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void longRun(Variant v) throws Exception {
        int w = s.workers()[0];
        int b = Arrays.stream(s.maxBatches()).max().orElse(1);
        try (ServerProcess p = start(v, w, b, 16, "long-run")) {
            List<double[]> samples = new ArrayList<>();
            samples.add(new double[] {0, p.rssMb()});
            int done = 0;
            int errors = 0;
            long t0 = System.nanoTime();
            while (done < s.longRun()) {
                int n = Math.min(1000, s.longRun() - done);
                int offset = done;
                LoadRun r = LoadGenerator.http(http, p.uri("/predictions"), i -> image(i + offset), maxClients(), n,
                        Duration.ofHours(2), null);
                done += r.sent();
                errors += r.errors();
                samples.add(new double[] {done, p.rssMb()});
                progress.accept(String.format(java.util.Locale.ROOT, "  long run: %d requests, RSS %.0f MiB",
                        done, samples.get(samples.size() - 1)[1]));
                if (r.sent() < n) {
                    break;
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double exit = p.terminate(Duration.ofSeconds(15));
            report.longRun = new ServeReport.LongRun(v.name(), w, b, maxClients(), done, errors, wall, samples, exit);
        }
    }

    /** A PNG of a signature and an IHDR chunk declaring {@code side x side} pixels: a decompression bomb's header. */
    static byte[] bombPng(int side) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(out);
            d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream chunk = new ByteArrayOutputStream();
            DataOutputStream c = new DataOutputStream(chunk);
            c.writeBytes("IHDR");
            c.writeInt(side);
            c.writeInt(side);
            c.write(new byte[] {8, 2, 0, 0, 0});
            byte[] body = chunk.toByteArray();
            d.writeInt(body.length - 4);
            d.write(body);
            CRC32 crc = new CRC32();
            crc.update(body);
            d.writeInt((int) crc.getValue());
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
