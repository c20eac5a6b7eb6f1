package org.laudnet.bench.serving;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of {@link ServeBenchmark}, as markdown ({@link #markdown}) and JSON ({@link #json}), with the targets
 * evaluated from the measurements: served throughput at the highest concurrency against the in-process service
 * (&gt;= 0.9x), dynamic batching against batching off for the first variant (&gt;= 1.2x, p99 &lt;= 3x p50), the RSS of
 * the long run (within 5 % of the RSS after 1,000 requests), and the bad-input run (no wrong answers, no server death).
 * Filled by one thread.
 */
public final class ServeReport {

    /** A served configuration: one server process and its runs. */
    record ServerRun(String variant, int workers, int threads, int maxBatch, double rssStartMb, double rssEndMb,
            double sigtermExitSeconds, List<LoadRun> runs) {}

    /** An in-process run at the highest concurrency. */
    record InProcessRun(String variant, int workers, int threads, int maxBatch, LoadRun run) {}

    /** The bad-input run. */
    record BadInputRun(String variant, int workers, int maxBatch, LoadRun run, int good, int bad, int goodNot200,
            int wrongAnswers, int badNot4xx, int[] badByKind, int[] bad4xxByKind, boolean serverAlive,
            double sigtermExitSeconds) {}

    /** The long run: (requests done, RSS MiB) samples. */
    record LongRun(String variant, int workers, int maxBatch, int clients, int requests, int errors,
            double wallSeconds, List<double[]> samples, double sigtermExitSeconds) {

        /** RSS growth from the sample after 1,000 requests (or the first after start) to the last, percent. */
        double growthPercent() {
            double[] ref = samples.size() > 1 ? samples.get(1) : samples.get(0);
            double[] last = samples.get(samples.size() - 1);
            return (last[1] - ref[1]) / ref[1] * 100;
        }
    }

    final List<ServerRun> served = new ArrayList<>();
    final List<InProcessRun> inProcess = new ArrayList<>();
    BadInputRun badInput;
    LongRun longRun;

    ServeReport() {}

    private static String f(double v, int digits) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private LoadRun servedAt(String variant, int workers, int maxBatch, int clients) {
        for (ServerRun s : served) {
            if (s.variant().equals(variant) && s.workers() == workers && s.maxBatch() == maxBatch) {
                for (LoadRun r : s.runs()) {
                    if (r.clients() == clients) {
                        return r;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Writes the report.
     *
     * @param header lines before the results (command, machine, settings), markdown
     * @return the markdown
     */
    public String markdown(String header) {
        StringBuilder b = new StringBuilder(header);
        b.append("\n## Served over HTTP (closed-loop clients on loopback)\n\n");
        b.append("| model | workers x threads | max batch | clients | sent | 200 | errors | req/s | p50 ms | p95 ms"
                + " | p99 ms | mean batch | batch sizes (size:count) | RSS start -> end MiB | SIGTERM exit s |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (ServerRun s : served) {
            for (LoadRun r : s.runs()) {
                b.append("| ").append(s.variant()).append(" | ").append(s.workers()).append(" x ").append(s.threads())
                        .append(" | ").append(s.maxBatch()).append(" | ").append(r.clients()).append(" | ")
                        .append(r.sent()).append(" | ").append(r.ok()).append(" | ").append(r.errors()).append(" | ")
                        .append(f(r.throughput(), 2)).append(" | ").append(f(r.quantileMs(0.5), 1)).append(" | ")
                        .append(f(r.quantileMs(0.95), 1)).append(" | ").append(f(r.quantileMs(0.99), 1)).append(" | ")
                        .append(f(r.meanBatch(), 2)).append(" | ").append(r.batchDistribution()).append(" | ")
                        .append(f(s.rssStartMb(), 0)).append(" -> ").append(f(s.rssEndMb(), 0)).append(" | ")
                        .append(f(s.sigtermExitSeconds(), 2)).append(" |\n");
            }
        }
        if (!inProcess.isEmpty()) {
            b.append("\n## HTTP overhead: served against the in-process service, same settings (target: served >="
                    + " 0.9x)\n\n");
            b.append("| model | workers x threads | max batch | clients | in-process req/s | served req/s | served /"
                    + " in-process | in-process p50 ms | served p50 ms |\n|---|---|---|---|---|---|---|---|---|\n");
            for (InProcessRun p : inProcess) {
                LoadRun h = servedAt(p.variant(), p.workers(), p.maxBatch(), p.run().clients());
                b.append("| ").append(p.variant()).append(" | ").append(p.workers()).append(" x ").append(p.threads())
                        .append(" | ").append(p.maxBatch()).append(" | ").append(p.run().clients()).append(" | ")
                        .append(f(p.run().throughput(), 2)).append(" | ")
                        .append(h == null ? "-" : f(h.throughput(), 2)).append(" | ")
                        .append(h == null ? "-" : f(h.throughput() / p.run().throughput(), 3)).append(" | ")
                        .append(f(p.run().quantileMs(0.5), 1)).append(" | ")
                        .append(h == null ? "-" : f(h.quantileMs(0.5), 1)).append(" |\n");
            }
        }
        batching(b);
        if (badInput != null) {
            BadInputRun r = badInput;
            b.append("\n## Bad input: one request in ten bad (model ").append(r.variant()).append(", workers ")
                    .append(r.workers()).append(", max batch ").append(r.maxBatch()).append(")\n\n");
            b.append("| requests | good | good not 200 | good with a wrong answer | bad | bad not 4xx | server alive"
                    + " and healthy after | SIGTERM exit s |\n|---|---|---|---|---|---|---|---|\n");
            b.append("| ").append(r.run().sent()).append(" | ").append(r.good()).append(" | ").append(r.goodNot200())
                    .append(" | ").append(r.wrongAnswers()).append(" | ").append(r.bad()).append(" | ")
                    .append(r.badNot4xx()).append(" | ").append(r.serverAlive() ? "yes" : "NO").append(" | ")
                    .append(f(r.sigtermExitSeconds(), 2)).append(" |\n\n");
            b.append("| bad kind | sent | answered 4xx |\n|---|---|---|\n");
            for (ServeBenchmark.Bad k : ServeBenchmark.Bad.values()) {
                b.append("| ").append(k.name().toLowerCase(Locale.ROOT)).append(" | ").append(r.badByKind()[k
                        .ordinal()]).append(" | ").append(r.bad4xxByKind()[k.ordinal()]).append(" |\n");
            }
            b.append("\nStatuses: ").append(r.run().statuses()).append(". A good answer is right when its classes"
                    + " (indices, in order) equal the server's serial answer for the image and every probability is"
                    + " within 1e-5 of it. Target: zero wrong answers, zero server deaths: **")
                    .append(r.wrongAnswers() == 0 && r.goodNot200() == 0 && r.badNot4xx() == 0 && r.serverAlive()
                            ? "met" : "NOT met").append("**.\n");
        }
        if (longRun != null) {
            LongRun l = longRun;
            b.append("\n## Resident memory over a long run (model ").append(l.variant()).append(", workers ")
                    .append(l.workers()).append(", max batch ").append(l.maxBatch()).append(", ").append(l.clients())
                    .append(" clients)\n\n| requests | server RSS MiB |\n|---|---|\n");
            for (double[] sample : l.samples()) {
                b.append("| ").append((long) sample[0]).append(" | ").append(f(sample[1], 1)).append(" |\n");
            }
            b.append("\n").append(l.requests()).append(" requests in ").append(f(l.wallSeconds(), 0)).append(" s, ")
                    .append(l.errors()).append(" errors. RSS after the last request against RSS after the first"
                    + " 1,000: ").append(f(l.growthPercent(), 2)).append(" % (target: within 5 %: **")
                    .append(Math.abs(l.growthPercent()) <= 5 && l.requests() >= 2000 ? "met" : "NOT met or too"
                    + " short").append("**).\n");
        }
        return b.toString();
    }

    private void batching(StringBuilder b) {
        if (served.isEmpty()) {
            return;
        }
        String first = served.get(0).variant();
        int maxClients = served.get(0).runs().stream().mapToInt(LoadRun::clients).max().orElse(1);
        List<String> rows = new ArrayList<>();
        for (ServerRun off : served) {
            if (!off.variant().equals(first) || off.maxBatch() != 1) {
                continue;
            }
            for (ServerRun on : served) {
                if (on.variant().equals(first) && on.workers() == off.workers() && on.maxBatch() > 1) {
                    LoadRun a = servedAt(first, off.workers(), 1, maxClients);
                    LoadRun c = servedAt(first, on.workers(), on.maxBatch(), maxClients);
                    if (a != null && c != null) {
                        rows.add("| " + first + " | " + on.workers() + " x " + on.threads() + " | " + maxClients + " | "
                                + f(a.throughput(), 2) + " | " + on.maxBatch() + " | " + f(c.throughput(), 2) + " | "
                                + f(c.throughput() / a.throughput(), 3) + " | "
                                + f(c.quantileMs(0.99) / c.quantileMs(0.5), 2) + " |");
                    }
                }
            }
        }
        if (!rows.isEmpty()) {
            b.append("\n## Dynamic batching against batching off (target: >= 1.2x throughput, p99 <= 3x p50)\n\n");
            b.append("| model | workers x threads | clients | off (max batch 1) req/s | max batch | on req/s | on / off"
                    + " | on: p99 / p50 |\n|---|---|---|---|---|---|---|---|\n");
            rows.forEach(r -> b.append(r).append('\n'));
        }
    }

    /**
     * Returns every measurement as JSON.
     *
     * @param settings the settings to record
     * @return the JSON text
     */
    public String json(Map<String, Object> settings) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("settings", settings);
        List<Map<String, Object>> sv = new ArrayList<>();
        for (ServerRun s : served) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", s.variant());
            m.put("workers", s.workers());
            m.put("threads", s.threads());
            m.put("max_batch", s.maxBatch());
            m.put("rss_start_mb", s.rssStartMb());
            m.put("rss_end_mb", s.rssEndMb());
            m.put("sigterm_exit_s", Double.isNaN(s.sigtermExitSeconds()) ? null : s.sigtermExitSeconds());
            m.put("runs", s.runs().stream().map(ServeReport::run).toList());
            sv.add(m);
        }
        o.put("served", sv);
        List<Map<String, Object>> ip = new ArrayList<>();
        for (InProcessRun p : inProcess) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", p.variant());
            m.put("workers", p.workers());
            m.put("threads", p.threads());
            m.put("max_batch", p.maxBatch());
            m.put("run", run(p.run()));
            ip.add(m);
        }
        o.put("in_process", ip);
        if (badInput != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", badInput.variant());
            m.put("requests", badInput.run().sent());
            m.put("good", badInput.good());
            m.put("good_not_200", badInput.goodNot200());
            m.put("wrong_answers", badInput.wrongAnswers());
            m.put("bad", badInput.bad());
            m.put("bad_not_4xx", badInput.badNot4xx());
            m.put("server_alive", badInput.serverAlive());
            m.put("statuses", badInput.run().statuses());
            o.put("bad_input", m);
        }
        if (longRun != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", longRun.variant());
            m.put("requests", longRun.requests());
            m.put("errors", longRun.errors());
            m.put("rss_samples", longRun.samples());
            m.put("rss_growth_percent_from_1000", longRun.growthPercent());
            o.put("long_run", m);
        }
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(o);
    }

    private static Map<String, Object> run(LoadRun r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clients", r.clients());
        m.put("sent", r.sent());
        m.put("ok", r.ok());
        m.put("statuses", r.statuses());
        m.put("wall_s", r.wallSeconds());
        m.put("throughput_rps", r.throughput());
        m.put("p50_ms", r.quantileMs(0.5));
        m.put("p95_ms", r.quantileMs(0.95));
        m.put("p99_ms", r.quantileMs(0.99));
        m.put("mean_batch", r.meanBatch());
        m.put("batch_sizes", r.batchDistribution());
        return m;
    }
}
