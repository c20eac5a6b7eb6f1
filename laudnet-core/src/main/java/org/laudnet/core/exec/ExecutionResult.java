package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;

/**
 * The output of one {@link BlockExecutor} call.
 *
 * @param output block output {@code (B, Cout, Hout, Wout)}, owned by the input's manager (its memory may be laid
 *     out channels-last; every engine operation accepts it)
 * @param report the path taken and the densities
 */
public record ExecutionResult(NDArray output, ExecutionReport report) {}
