package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;

/**
 * What one network call computed, for an engine-array input.
 *
 * @param logits class scores {@code (B, classes)}, owned by the input's manager
 * @param report the gates' decisions, the paths taken and the MACs
 */
public record NetworkExecution(NDArray logits, GateReport report) {}
