package org.laudnet.models.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
import org.laudnet.models.inference.ImageInputException;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;

/**
 * {@link LaudService} on a small gated ResNet (spatial + channel gates, a layer gate): batch assembly, answers
 * independent of the batch (8 threads against serial), error isolation, back-pressure, timeouts, close() and metrics.
 * The worker is held deterministically by an input stream that blocks until the test releases it.
 */
class LaudServiceTest {

    private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");

    private static NDManager manager;
    private static LaudModel model;
    private static List<byte[]> images;

    @BeforeAll
    static void build() throws IOException {
        manager = NDManager.newBaseManager();
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.both(2, 2)),
                        new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(16)
                .optNumClasses(LABELS.size())
                .build();
        TestNets.initialise(net, manager, 11);
        ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.normalized(16,
                ImagePreprocessing.ChannelOrder.RGB, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.25f, 0.25f, 0.25f}), LABELS);
        model = LaudModel.of(net, metadata, LaudModel.Options.defaults().withDevice(DeviceKind.CPU));
        images = new ArrayList<>();
        Random r = new Random(5);
        for (int i = 0; i < 12; i++) {
            images.add(png(r, 16 + r.nextInt(20), 16 + r.nextInt(20)));
        }
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    static byte[] png(Random r, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    private static ServiceOptions.Builder options() {
        return ServiceOptions.builder().optWorkers(1).optIntraOpThreads(1).optDevice(DeviceKind.CPU);
    }

    private static void assertSameAnswer(ServedPrediction expected, ServedPrediction actual, String what) {
        assertEquals(expected.classes().size(), actual.classes().size(), what);
        for (int k = 0; k < expected.classes().size(); k++) {
            ServedClass e = expected.classes().get(k);
            ServedClass a = actual.classes().get(k);
            assertEquals(e.index(), a.index(), what + " class " + k);
            assertEquals(e.label(), a.label(), what + " class " + k);
            assertEquals(e.probability(), a.probability(), 1e-5, what + " class " + k);
        }
        assertEquals(expected.macsRatio(), actual.macsRatio(), 1e-9, what);
        assertTrue(Arrays.equals(expected.stageDensity(), actual.stageDensity()), what);
    }

    private static List<ServedPrediction> serial() throws Exception {
        try (LaudService<byte[]> s = LaudService.start(model, byte[].class, options().optMaxBatchSize(1).build())) {
            List<ServedPrediction> out = new ArrayList<>();
            for (byte[] img : images) {
                out.add(s.predict(img, 5));
            }
            return out;
        }
    }

    @Test
    void answersAreSortedAndCarryTheGates() throws Exception {
        List<ServedPrediction> serial = serial();
        for (ServedPrediction p : serial) {
            assertEquals(5, p.classes().size());
            double sum = 0;
            for (int k = 0; k < 5; k++) {
                sum += p.classes().get(k).probability();
                if (k > 0) {
                    assertTrue(p.classes().get(k).probability() <= p.classes().get(k - 1).probability());
                }
                assertEquals(LABELS.get(p.classes().get(k).index()), p.classes().get(k).label());
            }
            assertEquals(1.0, sum, 1e-6, "all five classes listed: probabilities sum to 1");
            assertEquals(2, p.stageDensity().length);
            assertEquals(1, p.batchSize());
            assertEquals(1, p.gates().batch());
            assertTrue(p.macsRatio() > 0 && p.macsRatio() <= 1.1, "MACs ratio " + p.macsRatio());
            for (double d : p.stageDensity()) {
                assertTrue(d >= 0 && d <= 1, "density " + d);
            }
        }
    }

    @Test
    void batchesFillUpToTheMaximumWithinTheDelay() throws Exception {
        List<ServedPrediction> serial = serial();
        ServiceOptions o = options().optMaxBatchSize(4).optMaxBatchDelay(Duration.ofSeconds(5)).build();
        try (LaudService<byte[]> s = LaudService.start(model, byte[].class, o)) {
            List<CompletableFuture<ServedPrediction>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(s.predictAsync(images.get(i), 5));
            }
            for (int i = 0; i < 8; i++) {
                ServedPrediction p = fs.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(4, p.batchSize(), "8 requests queued at once, batches of at most 4");
                assertSameAnswer(serial.get(i), p, "image " + i);
            }
            ServiceMetrics.Snapshot m = s.metrics().snapshot();
            assertEquals(2, m.batchSizeCounts()[4]);
            assertEquals(2, m.batches());
            assertEquals(8, m.served());
            assertEquals(8, m.requests());
        }
    }

    @Test
    void eightThreadsGetTheSerialAnswers() throws Exception {
        List<ServedPrediction> serial = serial();
        ServiceOptions o = options().optWorkers(2).optMaxBatchSize(4).optMaxBatchDelay(Duration.ofMillis(20))
                .optQueueCapacity(256).build();
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (LaudService<byte[]> s = LaudService.start(model, byte[].class, o)) {
            List<Future<List<ServedPrediction>>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                runs.add(callers.submit(() -> {
                    List<ServedPrediction> out = new ArrayList<>();
                    for (int i = 0; i < images.size(); i++) {
                        out.add(s.predict(images.get((i + offset) % images.size())));
                    }
                    return out;
                }));
            }
            for (int t = 0; t < 8; t++) {
                List<ServedPrediction> got = runs.get(t).get(120, TimeUnit.SECONDS);
                for (int i = 0; i < images.size(); i++) {
                    int img = (i + t) % images.size();
                    assertSameAnswer(serial.get(img), got.get(i), "thread " + t + " image " + img);
                }
            }
            ServiceMetrics.Snapshot m = s.metrics().snapshot();
            assertEquals(8L * images.size(), m.served());
            long fromBatches = 0;
            for (int b = 1; b < m.batchSizeCounts().length; b++) {
                fromBatches += b * m.batchSizeCounts()[b];
            }
            assertEquals(m.served(), fromBatches, "every answered request was in exactly one batch");
            assertEquals(0, m.failed());
            assertTrue(m.meanMacsRatio() > 0 && m.meanMacsRatio() <= 1.1);
            assertTrue(m.meanGateDensity() >= 0 && m.meanGateDensity() <= 1);
            assertTrue(m.p50Ms() > 0 && m.p50Ms() <= m.p95Ms() && m.p95Ms() <= m.p99Ms());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aBadImageFailsOnlyItsOwnRequest() throws Exception {
        List<ServedPrediction> serial = serial();
        ServiceOptions o = options().optMaxBatchSize(4).optMaxBatchDelay(Duration.ofSeconds(5)).build();
        byte[] truncated = Arrays.copyOf(images.get(0), images.get(0).length / 2);
        List<byte[]> inputs = List.of(images.get(1), "not an image".getBytes(), images.get(2), truncated);
        try (LaudService<byte[]> s = LaudService.start(model, byte[].class, o)) {
            List<CompletableFuture<ServedPrediction>> fs = new ArrayList<>();
            inputs.forEach(in -> fs.add(s.predictAsync(in, 5)));
            assertSameAnswer(serial.get(1), fs.get(0).get(30, TimeUnit.SECONDS), "image 1");
            assertSameAnswer(serial.get(2), fs.get(2).get(30, TimeUnit.SECONDS), "image 2");
            assertEquals(2, fs.get(0).get().batchSize(), "the two good images ran as one batch");
            ExecutionException text = assertThrows(ExecutionException.class, () -> fs.get(1).get());
            assertTrue(assertInstanceOf(ImageInputException.class, text.getCause()).getMessage()
                    .contains("not a decodable image"), text.getCause().getMessage());
            ExecutionException cut = assertThrows(ExecutionException.class, () -> fs.get(3).get());
            assertTrue(assertInstanceOf(ImageInputException.class, cut.getCause()).getMessage()
                    .contains("truncated"), cut.getCause().getMessage());
            ImageInputException empty = assertThrows(ImageInputException.class, () -> s.predict(new byte[0]));
            assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
            ServiceMetrics.Snapshot m = s.metrics().snapshot();
            assertEquals(3L, m.errors().get(ErrorKind.BAD_INPUT));
            assertEquals(2, m.served());
            assertSameAnswer(serial.get(3), s.predict(images.get(3), 5), "the service keeps serving");
        }
    }

    /** A PNG stream whose first read blocks until {@code release} opens: holds the worker that decodes it. */
    private static InputStream blocking(byte[] png, CountDownLatch started, CountDownLatch release) {
        return new ByteArrayInputStream(png) {
            private boolean first = true;

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (first) {
                    first = false;
                    started.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.read(b, off, len);
            }
        };
    }

    @Test
    void aFullQueueRefusesAtOnceAndTimeoutsFail() throws Exception {
        ServiceOptions o = options().optMaxBatchSize(1).optQueueCapacity(2)
                .optRequestTimeout(Duration.ofSeconds(2)).build();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (LaudService<InputStream> s = LaudService.start(model, InputStream.class, o)) {
            CompletableFuture<ServedPrediction> held = s.predictAsync(blocking(images.get(0), started, release));
            assertTrue(started.await(30, TimeUnit.SECONDS), "the worker took the first request");
            CompletableFuture<ServedPrediction> q1 = s.predictAsync(new ByteArrayInputStream(images.get(1)));
            CompletableFuture<ServedPrediction> q2 = s.predictAsync(new ByteArrayInputStream(images.get(2)));
            assertEquals(2, s.queueDepth());
            CompletableFuture<ServedPrediction> q3 = s.predictAsync(new ByteArrayInputStream(images.get(3)));
            assertTrue(q3.isCompletedExceptionally(), "refused at once, not queued");
            QueueFullException full = assertThrows(QueueFullException.class,
                    () -> s.predict(new ByteArrayInputStream(images.get(3))));
            assertTrue(full.getMessage().contains("queueCapacity 2"), full.getMessage());
            // the queued requests pass their timeout while the worker is held
            ExecutionException t1 = assertThrows(ExecutionException.class, () -> q1.get(30, TimeUnit.SECONDS));
            RequestTimeoutException timeout = assertInstanceOf(RequestTimeoutException.class, t1.getCause());
            assertTrue(timeout.getMessage().contains("2000 ms"), timeout.getMessage());
            assertInstanceOf(RequestTimeoutException.class,
                    assertThrows(ExecutionException.class, () -> q2.get(30, TimeUnit.SECONDS)).getCause());
            assertInstanceOf(RequestTimeoutException.class,
                    assertThrows(ExecutionException.class, () -> held.get(30, TimeUnit.SECONDS)).getCause());
            release.countDown();
            ServiceMetrics.Snapshot m = s.metrics().snapshot();
            assertEquals(2L, m.errors().get(ErrorKind.QUEUE_FULL));
            assertEquals(3L, m.errors().get(ErrorKind.TIMEOUT));
            // after the worker is free, the service answers again; the timed-out requests were not run
            ServedPrediction p = s.predict(new ByteArrayInputStream(images.get(4)));
            assertEquals(1, p.batchSize());
            ServiceMetrics.Snapshot after = s.metrics().snapshot();
            assertEquals(1, after.served(), "only the last request was answered");
            assertEquals(1, after.batches(), "the timed-out requests never ran in a batch");
        }
    }

    @Test
    void closeFinishesQueuedRequestsAndRefusesNewOnes() throws Exception {
        List<ServedPrediction> serial = serial();
        ServiceOptions o = options().optMaxBatchSize(1).optQueueCapacity(4).build();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LaudService<InputStream> s = LaudService.start(model, InputStream.class, o);
        CompletableFuture<ServedPrediction> held = s.predictAsync(blocking(images.get(0), started, release));
        assertTrue(started.await(30, TimeUnit.SECONDS));
        CompletableFuture<ServedPrediction> q1 = s.predictAsync(new ByteArrayInputStream(images.get(1)));
        CompletableFuture<ServedPrediction> q2 = s.predictAsync(new ByteArrayInputStream(images.get(2)));
        Thread closer = new Thread(s::close);
        closer.start();
        while (s.isOpen()) {
            Thread.onSpinWait();
        }
        ServiceClosedException closed = assertThrows(ServiceClosedException.class,
                () -> s.predict(new ByteArrayInputStream(images.get(3))));
        assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
        assertTrue(closer.isAlive(), "close() waits for the queued requests");
        release.countDown();
        closer.join(60_000);
        assertFalse(closer.isAlive());
        assertSameAnswer(serial.get(0), held.get(), "held request");
        assertSameAnswer(serial.get(1), q1.get(), "queued request 1");
        assertSameAnswer(serial.get(2), q2.get(), "queued request 2");
        assertEquals(1L, s.metrics().snapshot().errors().get(ErrorKind.CLOSED));
        s.close(); // idempotent
    }

    @Test
    void optionsAreCheckedAndDefaultsDoNotOversubscribe() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServiceOptions.builder().optMaxBatchSize(0).build());
        assertTrue(e.getMessage().contains("maxBatchSize must be in [1, 16], got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ServiceOptions.builder().optRequestTimeout(Duration.ZERO).build());
        assertTrue(e.getMessage().contains("requestTimeout must be positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ServiceOptions.builder().optQueueCapacity(0).build());
        assertTrue(e.getMessage().contains("queueCapacity"), e.getMessage());
        ServiceOptions d = ServiceOptions.defaults();
        assertFalse(d.oversubscribed(), d.toString());
        ServiceOptions two = ServiceOptions.builder().optWorkers(2).build();
        assertEquals(Math.max(1, ServiceOptions.cores() / 2), two.intraOpThreads());
        ServiceOptions threads = ServiceOptions.builder().optIntraOpThreads(1).build();
        assertEquals(ServiceOptions.cores(), threads.workers());
        assertThrows(IllegalArgumentException.class, () -> LaudService.start(model, String.class, d));
    }
}
