package org.laudnet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.TestNets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.ServedPrediction;
import org.laudnet.models.serving.ServiceOptions;

/**
 * {@link LaudServer} over a real loopback socket with a small gated ResNet: answers equal to the in-process service's,
 * every error class (400 empty / not an image / truncated / decompression bomb / bad top, 413 declared and streamed,
 * 415, 404, 503 queue full with Retry-After, 504 timeout), health before and after the model is ready, metrics,
 * models, and a graceful drain; the server keeps serving after every error.
 */
class LaudServerTest {

    private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");
    private static final long MAX_BODY = 64 * 1024;

    private static NDManager manager;
    private static LaudModel model;
    private static byte[] image;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void build() throws IOException {
        manager = NDManager.newBaseManager();
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.spatial(2)),
                        new StageSpec(1, 16, 64, 2, GateSpec.channel(2))))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(16)
                .optNumClasses(LABELS.size())
                .build();
        TestNets.initialise(net, manager, 3);
        ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.normalized(16,
                ImagePreprocessing.ChannelOrder.RGB, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.25f, 0.25f, 0.25f}), LABELS);
        model = LaudModel.of(net, metadata, LaudModel.Options.defaults().withDevice(DeviceKind.CPU));
        image = png(new Random(1), 24, 20, "png");
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    static byte[] png(Random r, int w, int h, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r == null ? 0x336699 : r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(img, format, b);
        return b.toByteArray();
    }

    /** A PNG of a signature and an IHDR chunk declaring {@code side x side} pixels, and nothing else. */
    static byte[] bomb(int side) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
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
        return b.toByteArray();
    }

    private static LaudServer server(ServiceOptions o) {
        LaudServer s = LaudServer.start(new ServerOptions("127.0.0.1", 0, MAX_BODY, Duration.ofSeconds(8)));
        LaudService<byte[]> service = LaudService.start(model, byte[].class, o);
        s.ready(service, ModelInfo.of(model, service));
        return s;
    }

    private static ServiceOptions.Builder options() {
        return ServiceOptions.builder().optWorkers(1).optIntraOpThreads(1).optDevice(DeviceKind.CPU);
    }

    private static HttpResponse<String> post(LaudServer s, String query, String type, byte[] body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/predictions"
                + query)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            r.header("Content-Type", type);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(LaudServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static void assertError(HttpResponse<String> r, int status, String contains) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonObject o = json(r);
        assertEquals(status, o.get("status").getAsInt());
        assertTrue(o.get("error").getAsString().contains(contains), o.get("error").getAsString());
    }

    private static void assertServes(LaudServer s) throws Exception {
        assertEquals(200, post(s, "", "image/png", image).statusCode(), "the server keeps serving");
    }

    /** Sends raw HTTP and returns the status line and headers of the answer (the body is not sent beyond head). */
    private static String raw(LaudServer s, String head, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", s.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                try {
                    out.write(body);
                } catch (IOException e) {
                    // the server answered and closed before the whole body was sent
                }
            }
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head2 = new StringBuilder();
            while (!head2.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                head2.append((char) c);
            }
            return head2.toString();
        }
    }

    @Test
    void predictionsMatchTheServiceAndEveryClientErrorIsAnswered() throws Exception {
        ServedPrediction expected;
        try (LaudService<byte[]> direct = LaudService.start(model, byte[].class, options().build())) {
            expected = direct.predict(image, 3);
        }
        try (LaudServer s = server(options().build())) {
            assertEquals(200, get(s, "/health").statusCode());
            HttpResponse<String> ok = post(s, "?top=3", "image/png", image);
            assertEquals(200, ok.statusCode(), ok.body());
            JsonObject o = json(ok);
            JsonArray classes = o.getAsJsonArray("classes");
            assertEquals(3, classes.size());
            for (int k = 0; k < 3; k++) {
                JsonObject c = classes.get(k).getAsJsonObject();
                assertEquals(expected.classes().get(k).index(), c.get("index").getAsInt());
                assertEquals(expected.classes().get(k).label(), c.get("label").getAsString());
                assertEquals(expected.classes().get(k).probability(), c.get("probability").getAsDouble(), 1e-5);
            }
            JsonObject gates = o.getAsJsonObject("gates");
            assertEquals(expected.macsRatio(), gates.get("macs_ratio").getAsDouble(), 1e-9);
            assertEquals(2, gates.getAsJsonArray("stage_density").size());
            assertTrue(o.get("latency_ms").getAsDouble() > 0);
            assertEquals(1, o.get("batch_size").getAsInt());
            assertEquals(200, post(s, "", "image/jpeg", png(new Random(2), 30, 30, "jpg")).statusCode());
            assertEquals(200, post(s, "", null, image).statusCode(), "no content type: taken as bytes");

            assertError(post(s, "", "image/png", new byte[0]), 400, "empty body");
            assertError(post(s, "", "application/octet-stream", "hello".getBytes()), 400, "not a decodable image");
            assertError(post(s, "", "image/png", Arrays.copyOf(image, image.length / 2)), 400, "truncated");
            assertError(post(s, "", "image/png", bomb(30000)), 400, "900000000 pixels");
            assertError(post(s, "?top=0", "image/png", image), 400, "top must be an integer in [1, 5], got '0'");
            assertError(post(s, "?top=x", "image/png", image), 400, "got 'x'");
            assertError(post(s, "", "text/plain", image), 415, "Content-Type must be");
            assertError(post(s, "", "image/png", new byte[(int) MAX_BODY + 1]), 413, "limit is 65536 bytes");
            assertError(get(s, "/nowhere"), 404, "no such resource: GET /nowhere");
            assertServes(s);

            // a declared length over the limit is refused after the first bytes of the body (Jetty dispatches a
            // request once content arrives), without reading the rest: the client never sends it
            String declared = raw(s, "POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 1000000000\r\n\r\n", new byte[1024]);
            assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
            // a body of unknown length (chunked) is read up to the limit and no further
            HttpResponse<String> streamed = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + s.port() + "/predictions")).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                            new byte[(int) MAX_BODY * 2]))).build(), HttpResponse.BodyHandlers.ofString());
            assertError(streamed, 413, "more than 65536 bytes sent");
            assertServes(s);

            HttpResponse<String> models = get(s, "/models");
            assertEquals(200, models.statusCode());
            JsonObject m = json(models);
            assertEquals("resnet", m.get("architecture").getAsString());
            assertEquals("[\"spatial S=2\",\"channel G=2\"]", m.get("stage_gates").toString());
            assertEquals("[3,16,16]", m.get("input").toString());
            assertEquals(5, m.get("classes").getAsInt());

            HttpResponse<String> metrics = get(s, "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String text = metrics.body();
            assertTrue(text.contains("laudnet_predictions_total 5\n"), text);
            assertTrue(text.contains("laudnet_errors_total{kind=\"bad_input\"} 3\n"), text);
            assertTrue(text.contains("laudnet_batch_size_count 5\n"), text);
            assertTrue(text.contains("laudnet_request_latency_seconds_count 5\n"), text);
            assertTrue(text.contains("laudnet_http_responses_total{status=\"400\"} 6\n"), text);
            assertTrue(text.contains("laudnet_http_responses_total{status=\"413\"} 3\n"), text);
            assertTrue(text.contains("laudnet_queue_depth 0\n"), text);
            assertTrue(text.contains("# TYPE laudnet_request_latency_seconds histogram"), text);
        }
    }

    @Test
    void healthIs503UntilTheModelIsReady() throws Exception {
        LaudServer s = LaudServer.start(new ServerOptions("127.0.0.1", 0, MAX_BODY, Duration.ofSeconds(8)));
        try {
            HttpResponse<String> before = get(s, "/health");
            assertError(before, 503, "model loading");
            assertError(post(s, "", "image/png", image), 503, "model loading");
            LaudService<byte[]> service = LaudService.start(model, byte[].class, options().build());
            s.ready(service, ModelInfo.of(model, service));
            assertEquals(200, get(s, "/health").statusCode());
        } finally {
            s.close();
        }
    }

    @Test
    void timeoutsAre504AndAFullQueueIs503WithRetryAfter() throws Exception {
        // a lone request waits 2 s for its batch to fill, past its 200 ms timeout
        ServiceOptions slow = options().optMaxBatchSize(16).optMaxBatchDelay(Duration.ofSeconds(2))
                .optRequestTimeout(Duration.ofMillis(200)).build();
        try (LaudServer s = server(slow)) {
            assertError(post(s, "", "image/png", image), 504, "timeout of 200 ms");
        }
        // one worker held by a large image, a queue of one: of four further requests, those beyond the queue get 503
        byte[] large = png(null, 5000, 5000, "png");
        ServiceOptions one = options().optMaxBatchSize(1).optQueueCapacity(1).build();
        LaudServer s = LaudServer.start(new ServerOptions("127.0.0.1", 0, 16 << 20, Duration.ofSeconds(8)));
        LaudService<byte[]> service = LaudService.start(model, byte[].class, one);
        s.ready(service, ModelInfo.of(model, service));
        try {
            CompletableFuture<HttpResponse<String>> held = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + s.port() + "/predictions")).POST(HttpRequest.BodyPublishers
                    .ofByteArray(large)).build(), HttpResponse.BodyHandlers.ofString());
            while (service.metrics().snapshot().requests() == 0) {
                Thread.sleep(1);
            }
            List<HttpResponse<String>> rest = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
                        + "/predictions")).POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : fs) {
                rest.add(f.get());
            }
            assertEquals(200, held.get().statusCode(), held.get().body());
            long full = 0;
            for (HttpResponse<String> r : rest) {
                if (r.statusCode() == 503) {
                    assertError(r, 503, "request queue full");
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
                    full++;
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                }
            }
            assertTrue(full >= 1, "at most one request fits the queue while the worker is held: " + rest);
            assertServes(s);
        } finally {
            s.close();
        }
    }

    @Test
    void drainAnswersRequestsInFlightThenStops() throws Exception {
        // a request in flight waits 1 s for its batch to fill; the drain starts meanwhile
        ServiceOptions o = options().optMaxBatchSize(16).optMaxBatchDelay(Duration.ofSeconds(1)).build();
        LaudServer s = server(o);
        int port = s.port();
        CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/predictions")).POST(HttpRequest.BodyPublishers.ofByteArray(image))
                .build(), HttpResponse.BodyHandlers.ofString());
        while (s.inFlight() == 0) {
            Thread.sleep(1);
        }
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> s.drain(Duration.ofSeconds(8)));
        HttpResponse<String> refused = get(s, "/health");
        assertEquals(503, refused.statusCode(), "draining: not healthy");
        assertEquals(200, inFlight.get().statusCode(), inFlight.get().body());
        assertTrue(drained.get(), "every request in flight was answered");
        s.awaitStop();
        assertFalse(canConnect(port), "stopped listening");
    }

    private static boolean canConnect(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
