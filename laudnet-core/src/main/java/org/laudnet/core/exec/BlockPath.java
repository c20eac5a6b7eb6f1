package org.laudnet.core.exec;

/**
 * One way of executing a gated block for a call's decisions (method section 4); every path computes the masked-dense
 * block's output up to float rounding and differs only in the work it does. Paths are stateless and written once,
 * against {@link Kernels}, for every backend.
 */
interface BlockPath {

    /** Returns which path this is (for reports and cost models). */
    ExecutionPath path();

    /**
     * Executes the block.
     *
     * @param c the call
     * @param <T> the backend's tensor type
     * @return the block output {@code (B, Cout, Hout, Wout)}
     */
    <T> T execute(BlockCall<T> c);
}
