package org.laudnet.models.serving;

import java.util.List;
import org.laudnet.core.exec.GateReport;

/**
 * The answer to one request of a {@link LaudService}: the best classes, what the gates did for this image, and how
 * the request was served. The result does not depend on which other requests shared its batch (the engine computes
 * every image's gates and outputs on its own; probabilities agree with a batch of one to float rounding). Immutable
 * and thread-safe (do not modify the arrays).
 *
 * @param classes the {@code top} best classes, highest probability first
 * @param gates the image's gate report (a batch of one: per block densities and MACs; the paths are the batch's)
 * @param stageDensity per stage, the fraction of the stage's gate units open for this image (1 for ungated stages)
 * @param batchSize how many requests the batch that served this one held
 * @param latencyNanos from arrival (queueing included) to the answer
 */
public record ServedPrediction(List<ServedClass> classes, GateReport gates, double[] stageDensity, int batchSize,
        long latencyNanos) {

    /** Copies the list. */
    public ServedPrediction {
        classes = List.copyOf(classes);
    }

    /** Returns the image's {@code F_dyn / F_static} (1 for a static network). */
    public double macsRatio() {
        return gates.macsRatio();
    }

    /** Returns the best class. */
    public ServedClass best() {
        return classes.get(0);
    }

    /** Returns the latency in milliseconds. */
    public double latencyMs() {
        return latencyNanos / 1e6;
    }
}
