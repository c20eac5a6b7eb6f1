/**
 * Latency-aware training of gated networks on DJL's {@link ai.djl.training.Trainer} (method sections 2 and 3).
 *
 * <p>{@link LaudLoss} is the LAUDNet loss, by default in the reference implementation's form ({@link LossForm}):
 *
 * <pre>
 *   Loss   = CE(y, z) + a T^2 KL(softmax(z_t / T) || softmax(z / T)) + lambda L_cost
 *   L_cost = mean_{b} [max(0, r_b - ub)^2 + max(0, lb - r_b)^2] + (F_dyn / F_static - t)^2
 * </pre>
 *
 * ({@link LossForm#PROJECT_ORIGINAL}: {@code (1 - a) CE}, the mean over gated blocks, {@code r_b} against the dense
 * cost and {@code + mean_{b in BOTH} (dc_b - sqrt(t))^2}), with
 * {@code r_b = dynamicCost_b / (denseCost_b + maskerCost_b)} from a {@link CostModel} ({@link MacsCostModel}: the
 * {@link org.laudnet.core.cost.BlockCost} MACs; {@link LatencyCostModel}: block latencies predicted for a target
 * hardware or measured on this machine, interpolated piecewise-linearly in the densities), the bounds
 * {@link DensityBounds} ({@code lb, ub} opening from {@code t} to 0 and 1 over the first third of the run) and the
 * options {@link LossConfig}; {@link LossParts} are its terms.
 *
 * <p>{@link FineTuning} is the path from pretrained weights to a deployable {@code .laud} model: an
 * {@link Architecture}, a {@link WeightSource} (the Keras ImageNet ResNet-50 or torchvision-named safetensors, with
 * the input preprocessing they imply), per-stage gates, an image folder with labels from a {@link LabelSource}, and an
 * output file; its run trains with distillation from the static network, checkpoints every epoch, writes the model
 * with its preprocessing and class names, and reports a {@link FineTuningResult} (progress through a
 * {@link FineTuningListener}).
 *
 * <p>{@link LaudTrainer} fine-tunes any {@link org.laudnet.core.net.GatedNetwork} with an optional teacher (knowledge
 * distillation), {@link FineTuneConfig} (cosine learning rate, {@link OptimizerKind}), per-group learning rates for
 * backbone and gates ({@link GroupLearningRateTracker}) and a {@link StatefulOptimizer} (SGD with momentum or AdamW)
 * whose {@link OptimizerState} is saved by parameter name. {@link TrainingProgress} counts epochs and updates and
 * drives the shared Gumbel temperature; {@link EpochStatsListener} aggregates {@link EpochStats} per epoch and
 * {@link StageStats} per stage ({@link StageLayout}). After every epoch an atomic {@link Checkpoint}
 * ({@link CheckpointState}, {@link CheckpointException}) holds parameters and optimizer state; everything random in an
 * epoch is a function of the epoch index, so a resumed run continues as the uninterrupted one would.
 *
 * <p>Thread safety: one trainer per network, driven by one thread; cost models and configurations are immutable.
 */
package org.laudnet.models.train;
