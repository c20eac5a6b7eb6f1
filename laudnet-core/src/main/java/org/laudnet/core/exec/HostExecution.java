package org.laudnet.core.exec;

/**
 * What one network call computed, for a host-array input. A value of the calling thread: the logits array is not
 * copied.
 *
 * @param logits class scores {@code (B, classes)} row-major
 * @param batch {@code B}
 * @param classes the number of classes
 * @param report the gates' decisions, the paths taken and the MACs
 */
public record HostExecution(float[] logits, int batch, int classes, GateReport report) {}
