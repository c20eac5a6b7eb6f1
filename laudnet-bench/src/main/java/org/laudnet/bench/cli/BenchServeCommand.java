package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.laudnet.bench.serving.ServeBenchmark;
import org.laudnet.bench.serving.ServeReport;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.inference.ImageInputs;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.serving.ServiceOptions;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet bench serve}: the load test of the HTTP model server ({@link ServeBenchmark}): the static pretrained
 * ResNet-50 and a gated LAUD ResNet-50, batching off and on, 1 and 2 workers, 1/2/4/8 closed-loop clients on
 * loopback, the in-process service as the baseline, a bad-input run and an optional long RSS run; writes markdown and
 * JSON.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Load test of 'laudnet serve' on loopback: throughput, latency, errors, RSS and batch sizes per"
                + " model, worker count, batching and concurrency; the in-process service as the baseline; a run with"
                + " 10 %% bad requests; optionally a long RSS run (--long-run 10000).")
public final class BenchServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--variants", split = ",", defaultValue = "static,gated",
            description = "Models: static (the pretrained ResNet-50, no gates) and/or gated (default:"
                    + " ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--gates", split = ",", defaultValue = "spatial:2,spatial:2,channel:4,layer",
            description = "Stage gates of the gated variant built from the pretrained weights (fresh, open gates)"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> gates;

    @Option(names = "--gated-model", paramLabel = "FILE.laud",
            description = "A LAUD ResNet-50 to serve as the gated variant instead: fine-tuned, or with synthetic gates"
                    + " that skip from 'bench gated-model'.")
    Path gatedModel;

    @Option(names = "--images", paramLabel = "DIR", description = "Images to send (JPEG/PNG; default: the photos of"
            + " the LAUDNet home, scripts/fetch-assets photos).")
    Path images;

    @Option(names = "--requests", defaultValue = "200", description = "Requests per concurrency level (default:"
            + " ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--warmup", defaultValue = "16", description = "Requests before the levels of each server"
            + " (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--clients", split = ",", defaultValue = "1,2,4,8",
            description = "Concurrency levels (default: ${DEFAULT-VALUE}).")
    int[] clients;

    @Option(names = "--workers", split = ",", defaultValue = "1,2",
            description = "Worker counts; each worker gets cores / workers engine threads (default: ${DEFAULT-VALUE}).")
    int[] workers;

    @Option(names = "--max-batch", split = ",", defaultValue = "1,8",
            description = "Batching settings: 1 is off (default: ${DEFAULT-VALUE}).")
    int[] maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5", description = "Batch fill delay (default: ${DEFAULT-VALUE}).")
    int maxDelayMs;

    @Option(names = "--queue", defaultValue = "64", description = "Server queue (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--bad-requests", defaultValue = "400",
            description = "Requests of the bad-input run, one in ten bad; 0 skips it (default: ${DEFAULT-VALUE}).")
    int badRequests;

    @Option(names = "--long-run", defaultValue = "0",
            description = "Requests of the RSS run (10000 for the target); 0 skips it (default: ${DEFAULT-VALUE}).")
    int longRun;

    @Option(names = "--no-in-process", description = "Skip the in-process baseline.")
    boolean noInProcess;

    @Option(names = "--level-seconds", defaultValue = "900",
            description = "Time bound of one concurrency level (default: ${DEFAULT-VALUE}).")
    int levelSeconds;

    @Option(names = "--markdown", defaultValue = "docs/results/serving.md",
            description = "Markdown report; the JSON goes beside it with .json (default: ${DEFAULT-VALUE}).")
    Path markdown;

    @Override
    public Integer call() throws Exception {
        OptionChecks.positive(spec, "--requests", requests);
        OptionChecks.nonNegative(spec, "--warmup", warmup);
        OptionChecks.nonNegative(spec, "--bad-requests", badRequests);
        OptionChecks.nonNegative(spec, "--long-run", longRun);
        OptionChecks.positive(spec, "--queue", queue);
        OptionChecks.nonNegative(spec, "--max-delay-ms", maxDelayMs);
        OptionChecks.positive(spec, "--level-seconds", levelSeconds);
        for (int c : clients) {
            OptionChecks.positive(spec, "--clients", c);
        }
        for (int w : workers) {
            OptionChecks.positive(spec, "--workers", w);
        }
        for (int b : maxBatch) {
            if (b < 1 || b > ServiceOptions.MAX_BATCH) {
                throw OptionChecks.bad(spec, "--max-batch must be in [1, " + ServiceOptions.MAX_BATCH + "], got " + b);
            }
        }
        for (String v : variants) {
            if (!v.equals("static") && !v.equals("gated")) {
                throw OptionChecks.bad(spec, "--variants must be static and/or gated, got '" + v + "'");
            }
        }
        GateSpec[] specs = ServeCommand.pretrainedGates(spec, PretrainedModels.RESNET50_IMAGENET, gates);
        if (gatedModel != null) {
            InputFiles.file("--gated-model", gatedModel);
        }
        Path dir = images != null ? InputFiles.directory("--images", images)
                : AssetCache.defaultCache().photo("eagle").getParent();
        InputFiles.outputFile(spec, "--markdown", markdown);
        List<Path> files;
        try (Stream<Path> st = Files.list(dir)) {
            files = st.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new EnvironmentException("cannot list the images in " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new EnvironmentException("no JPEG or PNG images in " + dir
                    + (images == null ? "; fetch them with 'scripts/fetch-assets photos'" : ""));
        }
        List<byte[]> bodies = new ArrayList<>();
        for (Path f : files) {
            ImageInputs.read(f); // refuses what the server would refuse, naming the file
            bodies.add(Files.readAllBytes(f));
        }
        String gateText = String.join(",", gates);
        List<ServeBenchmark.Variant> vs = new ArrayList<>();
        LaudModel.Options cpu = LaudModel.Options.defaults().withDevice(DeviceKind.CPU);
        for (String v : variants) {
            if (v.equals("static")) {
                vs.add(new ServeBenchmark.Variant("static", "the pretrained ResNet-50 (resnet50-imagenet), no gates",
                        List.of("--weights", PretrainedModels.RESNET50_IMAGENET),
                        () -> ServeCommand.pretrained(spec, PretrainedModels.RESNET50_IMAGENET, cpu,
                                new GateSpec[0])));
            } else if (gatedModel != null) {
                Path abs = gatedModel.toAbsolutePath();
                vs.add(new ServeBenchmark.Variant("gated", "the LAUD model " + abs.getFileName(),
                        List.of("--model", abs.toString()), () -> LaudModel.load(abs, cpu)));
            } else {
                vs.add(new ServeBenchmark.Variant("gated", "the pretrained ResNet-50 with fresh (open) stage gates "
                        + gateText + " (gate maskers computed, every gate open: the static function plus the"
                        + " maskers' cost)", List.of("--weights", PretrainedModels.RESNET50_IMAGENET, "--gates",
                        gateText), () -> ServeCommand.pretrained(spec, PretrainedModels.RESNET50_IMAGENET, cpu,
                        specs)));
            }
        }
        Path logs = Files.createTempDirectory("laudnet-bench-serve");
        int cores = Runtime.getRuntime().availableProcessors();
        ServeBenchmark.Settings s = new ServeBenchmark.Settings(vs, bodies,
                files.stream().map(p -> p.getFileName().toString()).toList(), requests, warmup, clients, workers,
                maxBatch, maxDelayMs, queue, cores, badRequests, longRun, !noInProcess,
                Duration.ofSeconds(levelSeconds), logs);
        PrintStream out = System.out;
        out.println("images: " + files.size() + " from " + dir + "; server logs in " + logs);
        long t0 = System.nanoTime();
        ServeReport r = ServeBenchmark.run(s, line -> {
            out.println(line);
            out.flush();
        });
        double minutes = (System.nanoTime() - t0) / 60e9;
        String command = "scripts/laudnet bench serve --variants " + String.join(",", variants)
                + (gatedModel != null ? " --gated-model " + gatedModel.getFileName() : " --gates " + gateText)
                + " --requests " + requests + " --warmup " + warmup + " --clients " + join(clients) + " --workers "
                + join(workers) + " --max-batch " + join(maxBatch) + " --max-delay-ms " + maxDelayMs + " --queue "
                + queue + " --bad-requests " + badRequests + " --long-run " + longRun
                + (noInProcess ? " --no-in-process" : "");
        StringBuilder h = new StringBuilder("# Serving: HTTP model server under load\n\n");
        h.append("Command: `").append(command).append("` (").append(String.format(Locale.ROOT, "%.1f", minutes))
                .append(" min).\n\n");
        h.append("- Machine: ").append(NativeMemoryCommand.machine()).append(", ").append(cores)
                .append(" cores visible to the JVM\n");
        h.append("- Engine threads: each worker sets cores / workers intra-op threads on its own thread; the server"
                + " is a `laudnet serve` child process bound to 127.0.0.1 with the same JVM settings\n");
        h.append("- Images: ").append(files.size()).append(" (").append(String.join(", ", s.imageNames()))
                .append("), sent in turn; each request is one image\n");
        for (ServeBenchmark.Variant v : vs) {
            h.append("- Model `").append(v.name()).append("`: ").append(v.description()).append('\n');
        }
        h.append("- Closed loop: each client sends its next request when the previous is answered; ").append(requests)
                .append(" requests per level after ").append(warmup).append(" warm-up requests; latencies are"
                + " measured by the client (request sent to answer read), percentiles by nearest rank\n");
        h.append("- Batching: max batch 1 is off; otherwise batches fill for at most ").append(maxDelayMs)
                .append(" ms; queue ").append(queue).append('\n');
        String md = r.markdown(h.toString());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("command", command);
        settings.put("machine", NativeMemoryCommand.machine());
        settings.put("cores", cores);
        settings.put("images", s.imageNames());
        settings.put("minutes", minutes);
        Files.createDirectories(markdown.toAbsolutePath().getParent());
        AtomicFiles.write(markdown, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        Path json = markdown.resolveSibling(markdown.getFileName().toString().replaceFirst("\\.md$", "") + ".json");
        String js = r.json(settings);
        AtomicFiles.write(json, o -> o.write(js.getBytes(StandardCharsets.UTF_8)));
        out.println("report: " + markdown + ", " + json);
        return 0;
    }

    private static String join(int[] v) {
        return String.join(",", Arrays.stream(v).mapToObj(Integer::toString).toList());
    }
}
