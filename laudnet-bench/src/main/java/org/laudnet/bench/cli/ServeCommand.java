package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.ServiceOptions;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.serve.LaudServer;
import org.laudnet.serve.ModelInfo;
import org.laudnet.serve.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet serve}: the HTTP model server ({@link LaudServer}) over a {@link LaudService} of a model file or the
 * pretrained ResNet-50. The server listens at once ({@code GET /health} answers 503 until the model is loaded,
 * calibrated and warmed up); SIGTERM (or Ctrl-C) drains the requests in flight and exits within 10 s.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves a model over HTTP: POST /predictions (image bytes; ?top=k), GET /health, /metrics"
                + " (Prometheus), /models. SIGTERM drains requests in flight and exits within 10 s.")
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE.laud", description = "A saved LAUD model file (any architecture,"
            + " with the preprocessing and labels it records).")
    Path model;

    @Option(names = "--weights", defaultValue = PretrainedModels.RESNET50_IMAGENET,
            description = "Pretrained model when no --model is given (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--gates", split = ",", description = "The pretrained model with fresh (open) gates, one spec"
            + " per stage: none, layer, spatial:S, channel:G or both:S:G.")
    List<String> gates;

    @Option(names = "--host", defaultValue = "0.0.0.0",
            description = "Address to bind; 127.0.0.1 for loopback only (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port; 0 for any free one (default:"
            + " ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--workers", description = "Batch-running worker threads (default: cores / --threads).")
    Integer workers;

    @Option(names = "--threads", description = "Engine intra-op threads per worker (default: cores / --workers, or"
            + " LAUDNET_THREADS).")
    Integer threads;

    @Option(names = "--max-batch", defaultValue = "8",
            description = "Most requests per batch, 1 to 16; 1 turns batching off (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5",
            description = "How long a batch waits to fill, ms (default: ${DEFAULT-VALUE}).")
    int maxDelayMs;

    @Option(names = "--queue", defaultValue = "64",
            description = "Requests waiting at most; more are answered 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-body-mb", defaultValue = "16",
            description = "Largest request body in MiB; larger ones are answered 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(names = "--timeout-ms", defaultValue = "30000",
            description = "Arrival to answer at most, ms; later is answered 504 (default: ${DEFAULT-VALUE}).")
    int timeoutMs;

    @Option(names = "--top", defaultValue = "5", description = "Classes per answer unless ?top=k asks (default:"
            + " ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--device", defaultValue = "AUTO",
            description = "AUTO (a usable GPU, else the CPU), CPU or CUDA (default: ${DEFAULT-VALUE}).")
    DeviceKind device;

    @Override
    public Integer call() throws Exception {
        ServiceOptions serviceOptions = serviceOptions();
        if (port < 0 || port > 65535) {
            throw OptionChecks.bad(spec, "--port must be in [0, 65535], got " + port);
        }
        OptionChecks.positive(spec, "--max-body-mb", maxBodyMb);
        if (maxBodyMb > 1024) {
            throw OptionChecks.bad(spec, "--max-body-mb must be at most 1024, got " + maxBodyMb);
        }
        GateSpec[] specs = model != null ? null : pretrainedGates(spec, weights, gates);
        if (model != null && gates != null) {
            throw OptionChecks.bad(spec, "--model cannot be combined with --gates, got --model " + model);
        }
        if (model != null) {
            InputFiles.file("--model", model);
        }
        PrintStream out = System.out;
        LaudServer server;
        try {
            server = LaudServer.start(new ServerOptions(host, port, (long) maxBodyMb << 20, Duration.ofSeconds(8)));
        } catch (RuntimeException e) {
            throw new EnvironmentException("cannot listen on " + host + ":" + port + ": " + rootMessage(e));
        }
        Object lock = new Object();
        LaudModel[] loaded = new LaudModel[1];
        Thread hook = new Thread(() -> {
            server.drain(Duration.ofSeconds(8));
            synchronized (lock) {
                if (loaded[0] != null) {
                    loaded[0].close();
                    loaded[0] = null;
                }
            }
        }, "laudnet-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.printf("listening on http://%s:%d (health 503 until the model is ready)%n", host, server.port());
        out.flush();
        LaudModel m;
        try {
            LaudModel.Options options = LaudModel.Options.defaults().withDevice(device);
            m = model != null ? LaudModel.load(model, options) : pretrained(spec, weights, options, specs);
            synchronized (lock) {
                loaded[0] = m;
            }
            LaudService<byte[]> service = LaudService.start(m, byte[].class, serviceOptions);
            server.ready(service, ModelInfo.of(m, service));
        } catch (Exception | Error e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            hook.run();
            throw e;
        }
        out.printf("ready: %s on %s, %d workers x %d threads, batches up to %d%n", m.name(),
                server.port(), serviceOptions.workers(), serviceOptions.intraOpThreads(), serviceOptions.maxBatchSize());
        out.flush();
        server.awaitStop();
        return 0;
    }

    private ServiceOptions serviceOptions() {
        if (workers != null) {
            OptionChecks.positive(spec, "--workers", workers);
        }
        if (threads != null) {
            OptionChecks.positive(spec, "--threads", threads);
        }
        OptionChecks.positive(spec, "--queue", queue);
        OptionChecks.positive(spec, "--timeout-ms", timeoutMs);
        OptionChecks.positive(spec, "--top", top);
        OptionChecks.nonNegative(spec, "--max-delay-ms", maxDelayMs);
        if (maxBatch < 1 || maxBatch > ServiceOptions.MAX_BATCH) {
            throw OptionChecks.bad(spec, "--max-batch must be in [1, " + ServiceOptions.MAX_BATCH + "], got "
                    + maxBatch);
        }
        ServiceOptions.Builder b = ServiceOptions.builder().optMaxBatchSize(maxBatch)
                .optMaxBatchDelay(Duration.ofMillis(maxDelayMs)).optQueueCapacity(queue)
                .optRequestTimeout(Duration.ofMillis(timeoutMs)).optDevice(device).optTopK(top);
        if (workers != null) {
            b.optWorkers(workers);
        }
        if (threads != null) {
            b.optIntraOpThreads(threads);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, e.getMessage());
        }
    }

    /** Checks {@code --weights} and parses {@code --gates} (one spec per ResNet-50 stage), naming the options. */
    static GateSpec[] pretrainedGates(CommandSpec spec, String weights, List<String> gates) {
        if (!PretrainedModels.NAMES.contains(weights)) {
            throw OptionChecks.bad(spec, "--weights must be one of " + PretrainedModels.NAMES + ", got '" + weights
                    + "'");
        }
        if (gates == null) {
            return new GateSpec[0];
        }
        if (gates.size() != Architecture.STAGES) {
            throw OptionChecks.bad(spec, "--gates must be empty or have " + Architecture.STAGES + " specs (one per"
                    + " ResNet-50 stage), got " + String.join(",", gates));
        }
        try {
            return gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--gates " + String.join(",", gates) + ": " + e.getMessage());
        }
    }

    /** Loads the pretrained model; weights missing from the asset cache are an {@link EnvironmentException}. */
    static LaudModel pretrained(CommandSpec spec, String weights, LaudModel.Options options, GateSpec[] specs)
            throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        if (weights.equals(PretrainedModels.RESNET50_IMAGENET) && !cache.hasResNet50()) {
            throw new EnvironmentException("the ImageNet ResNet-50 is not in " + cache.resnet50Dir()
                    + "; fetch it with 'scripts/fetch-assets weights'");
        }
        try {
            return PretrainedModels.load(weights, cache, options, specs);
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            for (Map.Entry<String, String> n : Map.of("name ", "--weights ", "stageGates ", "--gates ").entrySet()) {
                if (msg.startsWith(n.getKey())) {
                    throw OptionChecks.bad(spec, n.getValue() + msg.substring(n.getKey().length()));
                }
            }
            throw e;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
