package org.laudnet.core.exec;

/**
 * What one network call computed, for a host-array input.
 *
 * @param logits class scores {@code (B, classes)} row-major
 * @param batch {@code B}
 * @param classes the number of classes
 * @param report the gates' decisions, the paths taken and the MACs
 */
public record HostExecution(float[] logits, int batch, int classes, GateReport report) {

    /**
     * Returns one image's class scores.
     *
     * @param sample the image's index in the batch
     * @return its {@code classes} logits
     */
    public float[] logitsOf(int sample) {
        if (sample < 0 || sample >= batch) {
            throw new IllegalArgumentException("sample must be in [0, " + batch + "), got " + sample);
        }
        return java.util.Arrays.copyOfRange(logits, sample * classes, (sample + 1) * classes);
    }
}
