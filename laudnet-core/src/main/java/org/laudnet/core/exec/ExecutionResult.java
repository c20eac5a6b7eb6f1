package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;

/**
 * What a {@link BlockExecutor} computed for one call.
 *
 * @param output the block output {@code (B, Cout, Hout, Wout)}, owned by the input's manager (the input itself when a
 *     handed-over input was passed through)
 * @param report what was decided and done
 */
public record ExecutionResult(NDArray output, ExecutionReport report) {}
