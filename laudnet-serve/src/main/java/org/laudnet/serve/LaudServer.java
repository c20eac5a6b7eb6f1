package org.laudnet.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.QueueFullException;
import org.laudnet.models.serving.RequestTimeoutException;
import org.laudnet.models.serving.ServedClass;
import org.laudnet.models.serving.ServedPrediction;
import org.laudnet.models.serving.ServiceClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP model server (Javalin on Jetty) over a {@link LaudService}:
 *
 * <ul>
 *   <li>{@code POST /predictions[?top=k]}: the body is an encoded image ({@code image/jpeg}, {@code image/png} or
 *       {@code application/octet-stream}); answers {@code 200} with
 *       {@code {"classes":[{"index","label","probability"}...],"gates":{"macs_ratio","stage_density":[...]},
 *       "latency_ms","batch_size"}}, classes by probability, highest first.</li>
 *   <li>{@code GET /health}: 200 once the model is loaded and warmed up ({@link #ready}), 503 before and while
 *       draining.</li>
 *   <li>{@code GET /metrics}: Prometheus text (the service's metrics and HTTP responses by status).</li>
 *   <li>{@code GET /models}: the served model ({@link ModelInfo}).</li>
 * </ul>
 *
 * <p>Errors are JSON {@code {"error":"...","status":N}}: a refused image (empty, not an image, truncated, a header
 * declaring more pixels than {@code ImageInputs.MAX_PIXELS}, which is refused before decoding) 400; a bad
 * {@code top} 400; another content type 415; a body over {@link ServerOptions#maxBodyBytes()} 413, read no further
 * than the limit (a declared {@code Content-Length} over it is refused before reading, and the connection is closed);
 * a full queue 503 with {@code Retry-After}; a timeout 504; not ready or draining 503; an unknown path 404. Client
 * errors are logged without stack traces; every request gets one INFO access-log line (method, path, status, ms,
 * batch size).
 *
 * <p>{@link #drain} (also {@link #close()}, and the CLI's SIGTERM hook) stops taking predictions (503), waits for
 * those in flight, stops the HTTP server and closes the service. Thread-safe.
 */
public final class LaudServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LaudServer.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("org.laudnet.serve.access");
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "application/octet-stream");
    private static final String JSON = "application/json";
    private static final String BATCH = "laudnet.batch";

    private final ServerOptions options;
    private final Javalin app;
    private final Gson gson = new GsonBuilder().disableHtmlEscaping().create();
    private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile LaudService<byte[]> service;
    private volatile ModelInfo info;
    private volatile boolean draining;
    private volatile boolean closed;

    private LaudServer(ServerOptions options) {
        this.options = options;
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = options.maxBodyBytes();
            config.http.asyncTimeout = 0L;
            config.requestLogger.http(this::access);
        });
        app.get("/health", this::health);
        app.get("/metrics", this::metrics);
        app.get("/models", this::models);
        app.post("/predictions", this::predict);
        app.error(404, ctx -> error(ctx, 404, "no such resource: " + ctx.method() + " " + ctx.path()
                + " (POST /predictions, GET /health, /metrics, /models)"));
        app.error(405, ctx -> error(ctx, 405, "method " + ctx.method() + " not allowed on " + ctx.path()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error: " + e);
        });
    }

    /**
     * Starts listening; until {@link #ready} the server answers 503 to predictions and health checks.
     *
     * @param options where and how to listen
     * @return the server
     * @throws IllegalStateException if the port cannot be bound (Javalin's message names it)
     */
    public static LaudServer start(ServerOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        LaudServer s = new LaudServer(options);
        s.app.start(options.host(), options.port());
        LOG.info("listening on {}:{}", options.host(), s.port());
        return s;
    }

    /**
     * Makes the server serve a started service; {@code GET /health} answers 200 from now on. The server owns the
     * service from now on ({@link #drain} closes it).
     *
     * @param newService the service (warmed up)
     * @param newInfo what {@code GET /models} says
     */
    public void ready(LaudService<byte[]> newService, ModelInfo newInfo) {
        if (newService == null || newInfo == null) {
            throw new IllegalArgumentException("service and info must not be null");
        }
        this.info = newInfo;
        this.service = newService;
        LOG.info("ready: {} ({})", newInfo.name(), newInfo.backend());
    }

    /** Returns the port the server listens on. */
    public int port() {
        return app.port();
    }

    /** Returns the number of predictions in flight. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Drains and stops: predictions are refused with 503 from now on, those in flight are answered (waiting at most
     * {@code timeout}), then the HTTP server stops and the service is closed. Idempotent.
     *
     * @param timeout how long to wait for requests in flight
     * @return true if every request in flight was answered in time
     */
    public boolean drain(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return true;
            }
            closed = true;
            draining = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int left = inFlight.get();
        LOG.info("draining: {} requests in flight", left);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean drained = inFlight.get() == 0;
        if (!drained) {
            LOG.warn("{} requests still in flight after {} ms; stopping anyway", inFlight.get(), timeout.toMillis());
        }
        app.stop();
        LaudService<byte[]> s = service;
        if (s != null) {
            s.close(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
        stopped.countDown();
        LOG.info("stopped");
        return drained;
    }

    /**
     * Blocks until the server has been drained and stopped.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Drains with {@link ServerOptions#drainTimeout()}. */
    @Override
    public void close() {
        drain(options.drainTimeout());
    }

    private void health(Context ctx) {
        if (draining) {
            error(ctx, 503, "shutting down");
        } else if (service == null) {
            ctx.header("Retry-After", "1");
            error(ctx, 503, "model loading");
        } else {
            json(ctx, 200, Map.of("status", "ok"));
        }
    }

    private void metrics(Context ctx) {
        LaudService<byte[]> s = service;
        if (s == null) {
            error(ctx, 503, "model loading");
            return;
        }
        Map<Integer, Long> r = new TreeMap<>();
        responses.forEach((k, v) -> r.put(k, v.sum()));
        send(ctx, 200, PrometheusText.CONTENT_TYPE, PrometheusText.format(s.metrics(), r, !draining));
    }

    private void models(Context ctx) {
        ModelInfo m = info;
        if (m == null) {
            error(ctx, 503, "model loading");
            return;
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", m.name());
        o.put("architecture", m.architecture());
        o.put("input", List.of(m.inputChannels(), m.inputSize(), m.inputSize()));
        o.put("classes", m.classes());
        o.put("stage_gates", m.stageGates());
        o.put("static_macs", m.staticMacs());
        o.put("backend", m.backend());
        Map<String, Object> so = new LinkedHashMap<>();
        so.put("workers", m.options().workers());
        so.put("intra_op_threads", m.options().intraOpThreads());
        so.put("max_batch_size", m.options().maxBatchSize());
        so.put("max_batch_delay_ms", m.options().maxBatchDelay().toMillis());
        so.put("queue_capacity", m.options().queueCapacity());
        so.put("request_timeout_ms", m.options().requestTimeout().toMillis());
        so.put("max_body_bytes", options.maxBodyBytes());
        o.put("service", so);
        json(ctx, 200, o);
    }

    private void predict(Context ctx) {
        LaudService<byte[]> s = service;
        if (draining || s == null) {
            ctx.header("Retry-After", "1");
            error(ctx, 503, draining ? "shutting down" : "model loading");
            return;
        }
        String type = ctx.contentType();
        String base = type == null ? null : type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
        if (base != null && !base.isEmpty() && !IMAGE_TYPES.contains(base)) {
            error(ctx, 415, "Content-Type must be image/jpeg, image/png or application/octet-stream, got '" + type
                    + "'");
            return;
        }
        int top = info.options().topK();
        String topText = ctx.queryParam("top");
        if (topText != null) {
            try {
                top = Integer.parseInt(topText.trim());
            } catch (NumberFormatException e) {
                top = -1;
            }
            if (top < 1 || top > info.classes()) {
                error(ctx, 400, "top must be an integer in [1, " + info.classes() + "], got '" + topText + "'");
                return;
            }
        }
        long limit = options.maxBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            tooLarge(ctx, declared + " bytes declared");
            return;
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes((int) limit + 1);
        } catch (IOException e) {
            error(ctx, 400, "could not read the request body: " + e.getMessage());
            return;
        }
        if (body.length > limit) {
            tooLarge(ctx, "more than " + limit + " bytes sent");
            return;
        }
        if (body.length == 0) {
            error(ctx, 400, "empty body: send the image bytes");
            return;
        }
        inFlight.incrementAndGet();
        CompletableFuture<ServedPrediction> f;
        try {
            f = s.predictAsync(body, top);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            throw e;
        }
        ctx.future(() -> f.handle((p, e) -> {
            try {
                if (e == null) {
                    ctx.attribute(BATCH, p.batchSize());
                    json(ctx, 200, answer(p));
                } else {
                    failure(ctx, e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e);
                }
            } finally {
                inFlight.decrementAndGet();
            }
            return null;
        }));
    }

    private void failure(Context ctx, Throwable e) {
        if (e instanceof LaudInputException) {
            error(ctx, 400, e.getMessage());
        } else if (e instanceof QueueFullException) {
            ctx.header("Retry-After", "1");
            error(ctx, 503, e.getMessage());
        } else if (e instanceof RequestTimeoutException) {
            error(ctx, 504, e.getMessage());
        } else if (e instanceof ServiceClosedException) {
            ctx.header("Retry-After", "1");
            error(ctx, 503, e.getMessage());
        } else {
            LOG.error("prediction failed", e);
            error(ctx, 500, "internal error: " + e);
        }
    }

    private void tooLarge(Context ctx, String what) {
        ctx.header("Connection", "close");
        error(ctx, 413, "request body too large: " + what + ", the limit is " + options.maxBodyBytes()
                + " bytes (--max-body-mb)");
    }

    private static Map<String, Object> answer(ServedPrediction p) {
        List<Map<String, Object>> classes = new ArrayList<>();
        for (ServedClass c : p.classes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", c.index());
            m.put("label", c.label());
            m.put("probability", c.probability());
            classes.add(m);
        }
        Map<String, Object> gates = new LinkedHashMap<>();
        gates.put("macs_ratio", p.macsRatio());
        List<Double> density = new ArrayList<>();
        for (double d : p.stageDensity()) {
            density.add(d);
        }
        gates.put("stage_density", density);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("classes", classes);
        o.put("gates", gates);
        o.put("latency_ms", p.latencyMs());
        o.put("batch_size", p.batchSize());
        return o;
    }

    private void error(Context ctx, int status, String message) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("error", message);
        o.put("status", status);
        json(ctx, status, o);
    }

    private void json(Context ctx, int status, Object body) {
        send(ctx, status, JSON, gson.toJson(body));
    }

    /**
     * Writes and flushes the whole response now, so that it is on the wire before the handler returns: a request
     * whose body is left unread (413) still gets its answer, and a drain that sees no request in flight knows every
     * answer was sent.
     */
    private static void send(Context ctx, int status, String contentType, String body) {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ctx.status(status).contentType(contentType);
        jakarta.servlet.http.HttpServletResponse res = ctx.res();
        res.setContentLength(bytes.length);
        try {
            res.getOutputStream().write(bytes);
            res.flushBuffer();
        } catch (IOException e) {
            LOG.debug("{} {}: the client went away before its {} answer was sent: {}", ctx.method(), ctx.path(),
                    status, e.toString());
        }
    }

    private void access(Context ctx, Float ms) {
        int status = ctx.statusCode();
        responses.computeIfAbsent(status, k -> new LongAdder()).increment();
        Object batch = ctx.attribute(BATCH);
        ACCESS.info("{} {} {} {} ms batch {}", ctx.method(), ctx.path(), status,
                String.format(java.util.Locale.ROOT, "%.1f", ms), batch == null ? "-" : batch);
    }
}
