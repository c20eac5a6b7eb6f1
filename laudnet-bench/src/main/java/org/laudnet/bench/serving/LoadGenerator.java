package org.laudnet.bench.serving;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.ServedPrediction;
import org.laudnet.models.serving.ServiceException;

/**
 * Closed-loop load on loopback with {@link HttpClient} (or on a {@link LaudService} in this JVM): {@code clients}
 * threads, each sending its next request when the previous is answered, bounded in count and time. Request {@code i}
 * sends {@code body(i)}; every answer is handed to an observer with its index. Stateless; each run uses its own threads.
 */
final class LoadGenerator {

    /** One answer. */
    record Answer(int index, int status, String body, double latencyMs) {}

    /** Receives every answer (from the client threads; must be thread-safe). */
    interface Observer {
        void answer(Answer a);
    }

    private static final int MAX_BATCH_SEEN = 64;

    private LoadGenerator() {}

    /**
     * Runs HTTP load.
     *
     * @param http the client
     * @param uri the predictions URI
     * @param body the body of request {@code i}
     * @param clients concurrent callers
     * @param requests requests in all
     * @param bound the time bound (requests not yet sent when it passes are not sent)
     * @param observer receives every answer, or null
     * @return the run
     */
    static LoadRun http(HttpClient http, URI uri, IntFunction<byte[]> body, int clients, int requests,
            Duration bound, Observer observer) throws InterruptedException {
        return run(clients, requests, bound, i -> {
            HttpRequest r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.apply(i))).build();
            try {
                HttpResponse<String> a = http.send(r, HttpResponse.BodyHandlers.ofString());
                return new Object[] {a.statusCode(), a.body()};
            } catch (IOException e) {
                return new Object[] {0, e.toString()};
            }
        }, observer);
    }

    /**
     * Runs the same load on a service in this JVM (no HTTP): status 200 for an answer, 400 for a refused image, 503
     * or 504 for the service's refusals.
     *
     * @param service the service
     * @param body the image of request {@code i}
     * @param clients concurrent callers
     * @param requests requests in all
     * @param bound the time bound
     * @return the run
     */
    static LoadRun inProcess(LaudService<byte[]> service, IntFunction<byte[]> body, int clients, int requests,
            Duration bound) throws InterruptedException {
        return run(clients, requests, bound, i -> {
            try {
                ServedPrediction p = service.predict(body.apply(i));
                return new Object[] {200, "{\"batch_size\":" + p.batchSize() + "}"};
            } catch (org.laudnet.core.io.LaudInputException e) {
                return new Object[] {400, e.getMessage()};
            } catch (ServiceException e) {
                return new Object[] {e instanceof org.laudnet.models.serving.RequestTimeoutException ? 504 : 503,
                        e.getMessage()};
            }
        }, null);
    }

    private interface Call {
        Object[] send(int index) throws InterruptedException;
    }

    private static LoadRun run(int clients, int requests, Duration bound, Call call, Observer observer)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + bound.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<List<Answer>>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                List<Answer> mine = new ArrayList<>();
                for (int i = next.getAndIncrement(); i < requests && System.nanoTime() < deadline;
                        i = next.getAndIncrement()) {
                    long s = System.nanoTime();
                    Object[] r = call.send(i);
                    Answer a = new Answer(i, (Integer) r[0], (String) r[1], (System.nanoTime() - s) / 1e6);
                    mine.add(a);
                    if (observer != null) {
                        observer.answer(a);
                    }
                }
                return mine;
            }));
        }
        List<Answer> all = new ArrayList<>();
        try {
            for (Future<List<Answer>> f : fs) {
                all.addAll(f.get());
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("a load client failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Map<Integer, Integer> statuses = new HashMap<>();
        int[] batches = new int[MAX_BATCH_SEEN + 1];
        List<Double> lat = new ArrayList<>();
        for (Answer a : all) {
            statuses.merge(a.status(), 1, Integer::sum);
            if (a.status() == 200) {
                lat.add(a.latencyMs());
                int b = batchSize(a.body());
                if (b > 0 && b <= MAX_BATCH_SEEN) {
                    batches[b]++;
                }
            }
        }
        return new LoadRun(clients, all.size(), lat.size(), statuses, wall,
                lat.stream().mapToDouble(Double::doubleValue).toArray(), batches);
    }

    private static int batchSize(String body) {
        try {
            JsonObject o = JsonParser.parseString(body).getAsJsonObject();
            return o.has("batch_size") ? o.get("batch_size").getAsInt() : 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
