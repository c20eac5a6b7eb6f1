package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.util.ScalarOps;

/**
 * The LAUDNet training loss (method section 3), one DJL {@link Loss}. With the default {@link LossForm#REFERENCE}:
 *
 * <pre>
 *   Loss   = CE(y, z) + a * T^2 * KL(softmax(z_t / T) || softmax(z / T)) + lambda * L_cost
 *   L_cost = mean_{b} [ max(0, r_b - ub)^2 + max(0, lb - r_b)^2 ] + (F_dyn / F_static - t)^2
 *   r_b    = dynamicCost_b / (denseCost_b + maskerCost_b)
 * </pre>
 *
 * with {@code F_dyn / F_static} from the {@link CostModel} evaluated on the network's per-block densities, and
 * {@code lb, ub} from {@link DensityBounds} at the epoch of the {@link TrainingProgress}. The {@link LossForm} of the
 * config selects, one by one, this project's original choices: {@code (1 - a) * CE} ({@link
 * DistillationWeighting#CONVEX}), an extra {@code + mean_{b in BOTH mode} (dc_b - sqrt(t))^2}, the bound term averaged
 * over gated blocks only ({@link BoundAveraging#GATED_BLOCKS}; with {@link BoundAveraging#ALL_BLOCKS} static blocks
 * enter at their constant ratio), and {@code r_b = dynamicCost_b / denseCost_b}. Cross entropy uses label smoothing
 * {@code eps}: target {@code (1 - eps) * onehot + eps / K}. KL is averaged over the batch. Without teacher logits the
 * distillation term is dropped and CE has weight 1. Static blocks always count in the network ratio.
 *
 * <p>Inputs of {@link #evaluate}: {@code labels} = class indices {@code (B)} first, optionally the teacher's logits
 * {@code (B, K)} named {@value #TEACHER_LOGITS}; {@code predictions} = the named result of a {@link GatedNetwork}'s
 * {@link GatedNetwork#run run} ({@link NetworkResult#toNDList()}).
 */
public final class LaudLoss extends Loss {

    /** Name of the teacher logits in the labels list. */
    public static final String TEACHER_LOGITS = "teacher_logits";

    private final LossConfig config;
    private final CostModel costModel;
    private final List<GateMode> blockModes;
    private final TrainingProgress progress;

    /**
     * Creates the loss.
     *
     * @param config the options
     * @param costModel the cost model
     * @param blockModes the gate mode of every block, in network order (size = {@code costModel.numBlocks()})
     * @param progress where the epoch of the bounds schedule is read
     */
    public LaudLoss(LossConfig config, CostModel costModel, List<GateMode> blockModes, TrainingProgress progress) {
        super("laud_loss");
        if (config == null || costModel == null || blockModes == null || progress == null) {
            throw new IllegalArgumentException("config, costModel, blockModes and progress must not be null");
        }
        if (blockModes.size() != costModel.numBlocks()) {
            throw new IllegalArgumentException("blockModes must have one entry per cost-model block ("
                    + costModel.numBlocks() + "), got " + blockModes.size());
        }
        this.config = config;
        this.costModel = costModel;
        this.blockModes = List.copyOf(blockModes);
        this.progress = progress;
    }

    /**
     * Creates the loss of a network with the MACs cost model.
     *
     * @param net the network
     * @param config the options
     * @param progress the training progress
     * @return the loss
     */
    public static LaudLoss forNetwork(GatedNetwork net, LossConfig config, TrainingProgress progress) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        return new LaudLoss(config, MacsCostModel.of(net, config.form().maskerMacs()), modes(net), progress);
    }

    /**
     * Returns the gate mode of every block of a network.
     *
     * @param net the network
     * @return the modes in network order
     */
    public static List<GateMode> modes(GatedNetwork net) {
        return net.getBlocks().stream().map(AbstractGatedBlock::getGateSpec).map(g -> g.mode()).toList();
    }

    /** Returns the options. */
    public LossConfig getConfig() {
        return config;
    }

    /** Returns the cost model. */
    public CostModel getCostModel() {
        return costModel;
    }

    /** Returns the progress the bounds schedule reads. */
    public TrainingProgress getProgress() {
        return progress;
    }

    /** Returns the bounds at the progress's current epoch. */
    public DensityBounds currentBounds() {
        return DensityBounds.at(progress.epoch(), config.totalEpochs(), config.target());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return parts(labels, predictions).total();
    }

    /**
     * Computes every term of the loss.
     *
     * @param labels class indices first, optional {@value #TEACHER_LOGITS}
     * @param predictions the network's named output
     * @return the terms
     * @throws IllegalArgumentException if shapes or the block count do not match
     */
    public LossParts parts(NDList labels, NDList predictions) {
        NetworkResult r = NetworkResult.fromNDList(predictions);
        NDArray logits = r.logits();
        if (logits.getShape().dimension() != 2) {
            throw new IllegalArgumentException("logits must be (B, K), got " + logits.getShape());
        }
        NDArray teacher = labels.get(TEACHER_LOGITS);
        NDArray y = classLabels(labels);
        NDArray ce = crossEntropy(logits, y, config.labelSmoothing());
        CostTerms costTerms = costLoss(r);
        NDArray cost = costTerms.loss();
        NDArray ratio = costTerms.ratio();
        NDArray kd;
        NDArray total;
        if (teacher != null) {
            kd = distillation(logits, teacher, config.temperature());
            float t2 = config.temperature() * config.temperature();
            float ceWeight = config.form().distillation().crossEntropyWeight(config.alpha());
            total = ScalarOps.mul(ce, ceWeight).add(ScalarOps.mul(kd, config.alpha() * t2));
        } else {
            kd = logits.getManager().create(0f);
            total = ce;
        }
        total = total.add(ScalarOps.mul(cost, config.lambda()));
        return new LossParts(total, ce, kd, cost, ratio, teacher != null);
    }

    private record CostTerms(NDArray loss, NDArray ratio) {}

    private NDArray classLabels(NDList labels) {
        for (NDArray a : labels) {
            if (!TEACHER_LOGITS.equals(a.getName())) {
                return a;
            }
        }
        throw new IllegalArgumentException("labels hold no class-label array");
    }

    /**
     * Cross entropy with label smoothing: {@code -mean_i sum_k q_ik log softmax(z_i)_k},
     * {@code q = (1 - eps) * onehot(y) + eps / K}.
     *
     * @param logits {@code (B, K)}
     * @param labels class indices {@code (B)} (any numeric type)
     * @param eps label smoothing in [0, 1)
     * @return the scalar loss
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels, float eps) {
        long k = logits.getShape().get(1);
        long b = logits.getShape().get(0);
        NDArray idx = labels.reshape(-1).toType(DataType.INT64, false);
        if (idx.getShape().get(0) != b) {
            throw new IllegalArgumentException(
                    "labels must hold one class per row of logits (" + b + "), got " + labels.getShape());
        }
        NDArray q = idx.oneHot((int) k).toType(logits.getDataType(), false).mul(1 - eps).add(eps / k);
        return q.mul(logits.logSoftmax(1)).sum(new int[] {1}).mean().neg();
    }

    /**
     * Distillation divergence {@code mean_i KL(softmax(z_t,i / T) || softmax(z_i / T))} (no {@code T^2} factor); the
     * teacher side carries no gradient.
     *
     * @param logits student logits {@code (B, K)}
     * @param teacherLogits teacher logits {@code (B, K)}
     * @param temperature {@code T}
     * @return the scalar divergence
     */
    public static NDArray distillation(NDArray logits, NDArray teacherLogits, float temperature) {
        if (!teacherLogits.getShape().equals(logits.getShape())) {
            throw new IllegalArgumentException("teacher logits must have the student's shape " + logits.getShape()
                    + ", got " + teacherLogits.getShape());
        }
        NDArray tLog = teacherLogits.stopGradient().div(temperature).logSoftmax(1);
        NDArray sLog = ScalarOps.div(logits, temperature).logSoftmax(1);
        return tLog.exp().mul(tLog.sub(sLog)).sum(new int[] {1}).mean();
    }

    private CostTerms costLoss(NetworkResult r) {
        int n = costModel.numBlocks();
        if (r.blocks().size() != n) {
            throw new IllegalArgumentException(
                    "predictions hold " + r.blocks().size() + " blocks, the cost model " + n);
        }
        DensityBounds bounds = currentBounds();
        LossForm form = config.form();
        NDArray dynTotal = null;
        List<NDArray> boundTerms = new ArrayList<>();
        List<NDArray> channelTerms = new ArrayList<>();
        float sqrtT = (float) Math.sqrt(config.target());
        for (int b = 0; b < n; b++) {
            NetworkResult.BlockDensityResult d = r.blocks().get(b);
            NDArray dyn = costModel.dynamicCost(b, d.d1(), d.d2(), d.d3(), d.dc());
            dynTotal = dynTotal == null ? dyn : dynTotal.add(dyn);
            GateMode mode = blockModes.get(b);
            if (mode != GateMode.NONE || form.boundAveraging() == BoundAveraging.ALL_BLOCKS) {
                double denominator = form.blockRatio().denominator(costModel.denseCost(b), costModel.maskerCost(b));
                NDArray rb = ScalarOps.div(dyn, denominator);
                NDArray over = ScalarOps.maximum(rb.sub((float) bounds.upper()), 0);
                NDArray under = ScalarOps.maximum(rb.neg().add((float) bounds.lower()), 0);
                boundTerms.add(over.square().add(under.square()));
            }
            if (mode == GateMode.BOTH && form.channelDensityTerm()) {
                channelTerms.add(d.dc().sub(sqrtT).square());
            }
        }
        double fixed = costModel.fixedCost();
        NDArray ratio = dynTotal == null
                ? r.logits().getManager().create(1f)
                : ScalarOps.div(dynTotal.add((float) fixed), costModel.staticCost());
        NDArray loss = ratio.sub(config.target()).square();
        if (!boundTerms.isEmpty()) {
            loss = loss.add(mean(boundTerms));
        }
        if (!channelTerms.isEmpty()) {
            loss = loss.add(mean(channelTerms));
        }
        return new CostTerms(loss, ratio);
    }

    /**
     * Computes the network ratio {@code F_dyn / F_static = (fixed + sum_b dynamicCost_b) / staticCost} of a result
     * under this loss's cost model.
     *
     * @param r the network result
     * @return the scalar ratio
     */
    public NDArray networkRatio(NetworkResult r) {
        int n = costModel.numBlocks();
        if (r.blocks().size() != n) {
            throw new IllegalArgumentException(
                    "predictions hold " + r.blocks().size() + " blocks, the cost model " + n);
        }
        NDArray total = r.logits().getManager().create((float) costModel.fixedCost());
        for (int b = 0; b < n; b++) {
            NetworkResult.BlockDensityResult d = r.blocks().get(b);
            total = total.add(costModel.dynamicCost(b, d.d1(), d.d2(), d.d3(), d.dc()));
        }
        return ScalarOps.div(total, costModel.staticCost());
    }

    private static NDArray mean(List<NDArray> terms) {
        NDArray s = terms.get(0);
        for (int i = 1; i < terms.size(); i++) {
            s = s.add(terms.get(i));
        }
        return ScalarOps.div(s, terms.size());
    }
}
