/**
 * The inference engine (method section 4): runs an {@link org.laudnet.core.plan.InferencePlan} with the gates turned
 * into skipped work, on any backend. There is one engine; backends only implement primitives and never decide paths.
 *
 * <h2>Backend SPI</h2>
 *
 * {@link Backend} (shared per model, thread-safe: {@link Backend#upload} of a folded convolution into
 * {@link ConvWeights}, {@link Backend#newKernels}, the supported {@link SpatialSchedule}s) and {@link Kernels} (one per
 * executor: the primitive operations and nested {@link Kernels.Scope scopes} that own every tensor a primitive
 * returns; its javadoc is the contract of each primitive). Shapes and index data the primitives take: {@link Nchw},
 * {@link SpatialCells} (0/1 cells {@code (B, gs, m, m)}), {@link SpatialGeometry} and {@link PatchPlan} (the active
 * {@code S x S} output patches and their {@code T x T} input windows, {@code T = s (S - 1) + 3}). Helpers for backend
 * implementations: {@link KernelArgs} (shared argument checks) and {@link UploadCache} (one upload per convolution
 * object). Backends: {@link org.laudnet.core.exec.djl} (DJL/PyTorch), {@link org.laudnet.core.exec.reference}
 * (pure Java), and the CUDA backend of laudnet-cuda; {@link Backends#create} picks one for a {@link DeviceKind}, GPU
 * backends being found as {@link BackendProvider}s through {@link java.util.ServiceLoader}.
 *
 * <h2>Execution</h2>
 *
 * Per block and call, {@code GateEvaluator} runs the maskers (on the host from the input pooled there by {@link
 * Kernels#poolToHost} when the input holds at most {@link Kernels#hostPoolLimit()} values, else on the backend) and
 * decides on the host ({@code keep >= skip}); {@code PathSelector} picks an {@link ExecutionPath} under the {@link
 * PathPolicy} (static block or all gates open: dense; every cell closed: skip; {@code AUTO}: the sparse path predicted
 * fastest if it beats the measured dense time); the path's strategy runs it. Every path computes the masked-dense block
 * up to float rounding:
 *
 * <ul>
 *   <li>{@code DensePath}: the whole branch, masks applied by multiplication, {@code y = ReLU(identity + branch * M3)};
 *   <li>{@code SkipPath}: {@code y = ReLU(identity)};
 *   <li>{@code SampleGroupPath}: LAYER (the open samples) and CHANNEL (one sub-batch per distinct channel pattern, with
 *       that pattern's weight slices);
 *   <li>{@code ChannelUnionPath}: CHANNEL_UNION (few sub-batches, {@code ChannelClusters}, each with the weight slices
 *       of the union of its samples' patterns, every sample masking its own closed groups by a channel
 *       multiplication; the clusters merged greedily by the calibrated costs);
 *   <li>{@code SpatialPath}: gather-conv-scatter over the active patches, conv1's windows by the schedule
 *       ({@code HALO}, {@code WINDOWS}, {@code M1}), channel-sliced in BOTH mode.
 * </ul>
 *
 * Path costs are linear models {@code t = c0 + sum_k c_k f_k} ({@link LinearCostModel}) over each path's work
 * features, fitted by the {@code Calibrator} per block and batch size on synthetic inputs ({@link BlockCalibration},
 * measured as the runtime's {@link CalibrationSettings} say) and kept in a {@link CalibrationStore} (computed once per
 * batch size, saved to and loaded from JSON).
 * {@code BlockEngine} and {@code NetworkEngine} tie this together for one executor.
 *
 * <h2>Fronts and thread safety</h2>
 *
 * {@link PlanRuntime} is the shared part of a deployed model: the plan, its weights uploaded once (with a bounded
 * cache of channel-pattern slices), and the calibrations; thread-safe. {@link NetworkExecutor} ({@link
 * PlanRuntime#newExecutor()}) runs the whole network and returns the logits with a {@link GateReport} (per block the
 * path and the densities, and {@code F_dyn / F_static}); {@link BlockExecutor} runs one block (benchmarks, imposed
 * masks) and returns an {@link ExecutionResult}. Executors are not thread-safe: one per thread, each owning its
 * {@link Kernels}, scopes and index caches. {@link ExecutorOptions}, {@link GateOverride} (imposed decisions) and
 * {@link PhaseTimer} (per-phase profiling) configure them.
 */
package org.laudnet.core.exec;
