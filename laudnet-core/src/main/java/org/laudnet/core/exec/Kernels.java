package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.laudnet.core.plan.FoldedConv;

/**
 * The primitive operations of one executor on a {@link Backend}: every execution path of the engine is a sequence of
 * these calls. Tensors are fp32; "NCHW" tensors are contiguous {@code (B, C, H, W)} with the shape passed alongside
 * (an {@link Nchw}); {@code (B, C)} per-channel values are NCHW tensors of shape {@code (B, C, 1, 1)}. Intermediates
 * that only another primitive consumes (windows, patch outputs, spatial accumulators) are opaque: their layout is the
 * backend's choice.
 *
 * <p>Lifetimes: every tensor a primitive returns belongs to the innermost open {@link Scope} and is released when it
 * closes, unless {@link Scope#keep kept} into the enclosing one. Primitives documented as writing "in place" modify
 * their {@code out} argument; every other primitive leaves its inputs untouched unless documented otherwise (an input
 * "may be overwritten" only when the caller passes a temporary it no longer needs).
 *
 * <p>Not thread-safe: one executor (one thread at a time) owns a kernels object.
 *
 * @param <T> the backend's tensor type
 */
public interface Kernels<T> extends AutoCloseable {

    /**
     * A nested lifetime for tensors.
     *
     * @param <T> the tensor type
     */
    interface Scope<T> extends AutoCloseable {

        /**
         * Moves a tensor of this scope into the enclosing scope (or, for the outermost scope, out of the kernels'
         * ownership), so that it survives this scope's closing.
         *
         * @param t a tensor created in this scope
         * @return {@code t}
         */
        T keep(T t);

        /** Releases every tensor created in this scope and not kept. */
        @Override
        void close();
    }

    /**
     * Opens a nested scope; tensors returned by primitives belong to it until it closes.
     *
     * @return the scope
     */
    Scope<T> openScope();

    /**
     * Frees a tensor before its scope closes (a block input that no later primitive reads). The tensor must not be
     * used afterwards; a backend may ignore the call (the scope then frees it).
     *
     * @param t a tensor of the current or an enclosing scope, never an imported array
     */
    void release(T t);

    // ------------------------------------------------------------------------------------------------ transfers

    /**
     * Takes an engine array as the input of a call, within the current scope. The array's contents are not modified;
     * a backend may use it directly (DJL) or copy it (others). It is returned to its manager when the scope closes.
     *
     * @param x an array of shape {@code shape}, float32
     * @param shape its shape
     * @return the backend tensor
     */
    T importArray(NDArray x, Nchw shape);

    /**
     * Takes an engine array that the caller hands over (it does not use it after the call): primitives may write into
     * the result in place, and a path may return it as its output. A backend that copies on import copies here too
     * (the default); the DJL backend adopts the array itself, which returns to its manager when the scope closes.
     *
     * @param x an array of shape {@code shape}, float32
     * @param shape its shape
     * @return the backend tensor, writable
     */
    default T adoptArray(NDArray x, Nchw shape) {
        return importArray(x, shape);
    }

    /**
     * Copies host values into a new tensor of the current scope.
     *
     * @param data row-major values, at least {@code shape.size()}
     * @param shape the shape
     * @return the tensor
     */
    T importHost(float[] data, Nchw shape);

    /**
     * Returns a tensor's values as an engine array owned by {@code target} (which survives the scope).
     *
     * @param t the tensor
     * @param shape its NCHW shape
     * @param target the manager that owns the result
     * @return the array, shape {@code (B, C, H, W)}
     */
    NDArray exportArray(T t, Nchw shape, NDManager target);

    /**
     * Reads the first {@code count} values of a tensor to the host (waits for queued work).
     *
     * @param t the tensor
     * @param count values to read
     * @return the values, row-major
     */
    float[] exportHost(T t, int count);

    /**
     * Returns how many backend primitives (compiled kernels, their argument bindings) this object has created on first
     * use and keeps. The count grows while calls meet shapes they have not met before (a new batch size, a new row
     * bucket of a sparse path) and settles once they stop doing so: a caller that wants steady-state timings, such as a
     * benchmark's warm-up, runs calls until it stops growing.
     *
     * @return the number, 0 for a backend that keeps none
     */
    default long primitivesCreated() {
        return 0;
    }

    /**
     * Returns the largest input ({@code B C H W} values) whose gate pooling the engine does on the host through
     * {@link #poolToHost}: the maskers of such an input cost no primitive launch, only a read of the input and a few
     * operations per value in Java, and then run their small layers on the pooled cells on the host. Above it (and
     * always with the default 0) the maskers run as primitives of this backend and only their few outputs are read
     * back. A backend whose launches cost more than reading a small input to the host (the CPU backends) returns its
     * measured break-even.
     *
     * @return the limit in values, 0 for never
     */
    default int hostPoolLimit() {
        return 0;
    }

    /**
     * Adaptive average pooling of every channel to {@code m x m} cells, read to the host: cell {@code (i, j)} is the
     * mean over rows {@code [floor(i H / m), ceil((i + 1) H / m))} and the columns likewise ({@code m} need not divide
     * the map; {@code m = 1} is the global mean). The default reads the whole tensor ({@link #exportHost}) and pools
     * on the host; a backend may read its own layout directly.
     *
     * @param x input NCHW
     * @param xs its shape
     * @param m cells per side, at most {@code min(H, W)}
     * @return the means {@code (B, C, m, m)}, row-major, a new array
     * @throws IllegalArgumentException if {@code m} is not in {@code [1, min(H, W)]}
     */
    default float[] poolToHost(T x, Nchw xs, int m) {
        KernelArgs.requirePoolCells(xs, m);
        return HostPooling.adaptive(exportHost(x, xs.size()), xs.batch() * xs.channels(), xs.height(), xs.width(),
                m);
    }

    /**
     * Uploads a convolution for the current scope only (a channel slice that no shared cache holds).
     *
     * @param conv the convolution
     * @return its weights, released with the scope
     */
    ConvWeights temporary(FoldedConv conv);

    // ------------------------------------------------------------------------------------------------ dense

    /**
     * Convolution with the weights' stride, padding and groups, optional residual and ReLU:
     * {@code y = [ReLU](conv(x) + b [+ residual])}.
     *
     * @param x input NCHW
     * @param xs its shape {@code (B, I, H, W)}
     * @param w the weights ({@code O, I})
     * @param residual a tensor of the output's shape added before the ReLU, or null
     * @param relu whether to apply a ReLU
     * @return the output {@code (B, O, H', W')}
     */
    T conv(T x, Nchw xs, ConvWeights w, T residual, boolean relu);

    /**
     * {@link #conv} with a residual the caller no longer needs: {@code y = [ReLU](conv(x) + b + accumulator)}, which a
     * backend may compute into {@code accumulator} in place and return it (a block's projected identity, or an input
     * handed over to the block). The default returns a new tensor, as {@link #conv} does.
     *
     * @param x input NCHW
     * @param xs its shape {@code (B, I, H, W)}
     * @param w the weights ({@code O, I})
     * @param accumulator the residual, of the output's shape; may be overwritten
     * @param relu whether to apply a ReLU
     * @return the output {@code (B, O, H', W')}: possibly {@code accumulator} itself
     */
    default T convAccumulate(T x, Nchw xs, ConvWeights w, T accumulator, boolean relu) {
        return conv(x, xs, w, accumulator, relu);
    }

    /**
     * Max pooling with {@code -inf} padding.
     *
     * @param x input NCHW
     * @param xs its shape
     * @param kernel window side
     * @param stride stride
     * @param padding padding
     * @return the pooled tensor {@code (B, C, (H + 2p - k) / s + 1, ...)}
     */
    T maxPool(T x, Nchw xs, int kernel, int stride, int padding);

    /**
     * Average pooling over non-overlapping {@code k x k} windows (stride {@code k}, no padding).
     *
     * @param x input NCHW
     * @param xs its shape; {@code k} divides {@code H} and {@code W}
     * @param kernel {@code k}
     * @return {@code (B, C, H / k, W / k)}
     */
    T avgPool(T x, Nchw xs, int kernel);

    /**
     * The mean over every position of each sample and channel.
     *
     * @param x input NCHW
     * @param xs its shape
     * @return {@code (B, C, 1, 1)}
     */
    T mean(T x, Nchw xs);

    /**
     * {@code ReLU(x)} as a new tensor.
     *
     * @param x input NCHW
     * @param xs its shape
     * @return the output, same shape
     */
    T relu(T x, Nchw xs);

    /**
     * Multiplies every position of each sample and channel by a per-channel factor:
     * {@code h[b, c, :, :] * f(scale[b, c])} with {@code f} the identity or the sigmoid.
     *
     * @param h input NCHW; may be overwritten
     * @param hs its shape
     * @param scale factors {@code (B, C, 1, 1)}
     * @param sigmoid whether to apply a sigmoid to the factors first
     * @return the scaled tensor (possibly {@code h} itself)
     */
    T scaleChannels(T h, Nchw hs, T scale, boolean sigmoid);

    /**
     * The mean over the computed positions ({@code M2}, union over mask groups) of each sample and channel:
     * {@code sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)}.
     *
     * @param h input NCHW of the block output's spatial size
     * @param hs its shape
     * @param cells the spatial decisions
     * @return {@code (B, C, 1, 1)}
     */
    T maskedMean(T h, Nchw hs, SpatialCells cells);

    /**
     * Gathers samples: {@code y[i] = x[samples[i]]}.
     *
     * @param x input NCHW
     * @param xs its shape
     * @param samples sample indices in {@code [0, B)}, distinct
     * @return {@code (samples.length, C, H, W)}
     */
    T gatherSamples(T x, Nchw xs, int[] samples);

    /**
     * Writes {@code out[samples[i]] = ReLU(identity[samples[i]] + branch[i])} in place.
     *
     * @param branch {@code (n, C, H, W)}
     * @param branchShape its shape
     * @param samples {@code n} distinct sample indices of {@code out}
     * @param identity {@code (B, C, H, W)}
     * @param out {@code (B, C, H, W)}, written in place at the listed samples
     */
    void scatterSamplesResidualRelu(T branch, Nchw branchShape, int[] samples, T identity, T out);

    /**
     * Writes {@code out = ReLU(identity)} in place at every element whose cell is closed ({@link SpatialCells#kept}).
     *
     * @param identity NCHW
     * @param shape the shape of {@code identity} and {@code out}
     * @param cells the decisions ({@code m S = H})
     * @param out written in place at closed elements
     */
    void fillInactiveRelu(T identity, Nchw shape, SpatialCells cells, T out);

    /**
     * {@link #fillInactiveRelu} for an identity the caller knows to be non-negative (a ReLU output handed over by the
     * network): {@code ReLU(identity) = identity}, so a backend may copy the closed cells' elements instead of applying
     * the ReLU to them. The result is the same; the default delegates to {@link #fillInactiveRelu}.
     *
     * @param identity NCHW, every element {@code >= 0}
     * @param shape the shape of {@code identity} and {@code out}
     * @param cells the decisions ({@code m S = H})
     * @param out written in place at closed elements
     */
    default void fillInactiveNonNegative(T identity, Nchw shape, SpatialCells cells, T out) {
        fillInactiveRelu(identity, shape, cells, out);
    }

    // ------------------------------------------------------------------------------------------------ patches

    /**
     * The conv1 windows of the active patches: {@code ReLU(conv1(x))} at the {@code T x T} input positions of every
     * patch ({@code T = s (S - 1) + 3}, origin {@code (i S s - 1, j S s - 1)}), zero outside the image.
     *
     * @param x the block input NCHW
     * @param xs its shape
     * @param plan the active patches
     * @param c1 conv1, an ungrouped 1x1 convolution without stride
     * @param schedule one of {@link Backend#spatialSchedules()}
     * @return the windows (opaque; {@code P x C1 x T x T} values)
     */
    T windowsConv1(T x, Nchw xs, PatchPlan plan, ConvWeights c1, SpatialSchedule schedule);

    /**
     * conv2 on the windows: {@code ReLU(conv2_valid(window))} with conv2's stride and groups, {@code S x S} per patch.
     *
     * @param windows from {@link #windowsConv1}
     * @param plan the active patches
     * @param c2 conv2, a 3x3 convolution (padding ignored: the windows carry the halo)
     * @return the patch outputs (opaque; {@code P x C2 x S x S} values)
     */
    T patchConv3x3Relu(T windows, PatchPlan plan, ConvWeights c2);

    /**
     * Per sample, the mean of the patch outputs over its computed positions: {@code (B, C2, 1, 1)}, 0 for a sample
     * without patches.
     *
     * @param patches patch outputs
     * @param plan the active patches
     * @param channels {@code C2}
     * @return the means
     */
    T patchMeans(T patches, PatchPlan plan, int channels);

    /**
     * Multiplies each patch's outputs by its sample's factors {@code sigmoid(scale[b, c])}.
     *
     * @param patches patch outputs; may be overwritten
     * @param plan the active patches
     * @param channels {@code C2}
     * @param scale the logits of the factors, {@code (B, C2, 1, 1)}
     * @return the scaled patch outputs (possibly {@code patches} itself)
     */
    T scalePatchesSigmoid(T patches, PatchPlan plan, int channels, T scale);

    /**
     * Starts a spatial block output: an accumulator holding {@code identity}. The identity must stay live (not
     * {@link #release released}, its scope open) until {@link #spatialEnd}: a backend may read it again in
     * {@link #patchConv1x1Add} instead of copying it into the accumulator.
     *
     * @param identity NCHW, not modified
     * @param shape its shape {@code (B, Cout, Hout, Wout)}
     * @return the accumulator (opaque)
     */
    T spatialBegin(T identity, Nchw shape);

    /**
     * Starts a spatial block output over a non-negative identity that the caller hands over (an identity block's
     * input that no later primitive reads: the network engine's input reuse): the accumulator may be {@code identity}
     * itself, which then holds {@code ReLU(identity) = identity} already and receives the active positions' results in
     * place. The default copies, as {@link #spatialBegin} does.
     *
     * @param identity NCHW, non-negative; may be overwritten (and is, by a backend that accumulates in place)
     * @param shape its shape {@code (B, Cout, Hout, Wout)}
     * @return the accumulator (opaque; possibly {@code identity} itself)
     */
    default T spatialBeginInPlace(T identity, Nchw shape) {
        return spatialBegin(identity, shape);
    }

    /**
     * Adds {@code conv3(patch) + b3} to the accumulator at every output position of every listed patch. Between
     * {@link #spatialBegin} and {@link #spatialEnd} each position receives at most one addition.
     *
     * @param patches patch outputs
     * @param plan the active patches
     * @param c3 conv3, an ungrouped 1x1 convolution
     * @param accumulator from {@link #spatialBegin}, updated in place
     */
    void patchConv1x1Add(T patches, PatchPlan plan, ConvWeights c3, T accumulator);

    /**
     * Finishes a spatial block output: {@code ReLU(accumulator)} as an NCHW tensor.
     *
     * @param accumulator from {@link #spatialBegin}
     * @param shape {@code (B, Cout, Hout, Wout)}
     * @return the block output
     */
    T spatialEnd(T accumulator, Nchw shape);

    /** Releases the kernels' workspaces. */
    @Override
    void close();
}
