package org.laudnet.bench.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.util.ArrayWrites;
import org.laudnet.models.resnet.LaudResNet;

/**
 * The ResNet-style network of the Fashion-MNIST experiment, sized for 28x28 gray images on a few CPU cores.
 *
 * <pre>
 *   x (B, 1, 28, 28) -> stem 3x3, 16 ch -> stage 1: 3 basic blocks, 16 ch, 28x28
 *                                       -> stage 2: 3 basic blocks, 32 ch, 14x14 (first strides)
 *                                       -> stage 3: 3 basic blocks, 64 ch, 7x7  (first strides)
 *                                       -> average pool -> Linear(10)
 * </pre>
 *
 * Gating per mode: SPATIAL with {@code S = 4, 2, 1} (a 7x7 mask in every stage), CHANNEL with 4 groups per block,
 * LAYER (one decision per block and sample).
 */
public final class FashionMnistNets {

    /** Image side. */
    public static final int SIZE = 28;
    /** Classes of Fashion-MNIST. */
    public static final int CLASSES = 10;
    /** Output side of each stage. */
    public static final List<Integer> STAGE_SIZES = List.of(28, 14, 7);
    /** Spatial granularity {@code S} of each stage. */
    public static final List<Integer> GRANULARITY = List.of(4, 2, 1);
    /** Basic blocks per stage. */
    public static final int BLOCKS_PER_STAGE = 3;
    /** Channel groups of the CHANNEL mode. */
    public static final int CHANNEL_GROUPS = 4;

    private FashionMnistNets() {}

    /**
     * Returns the gate spec of every stage for a mode.
     *
     * @param mode NONE, SPATIAL, CHANNEL or LAYER
     * @return one spec per stage
     * @throws IllegalArgumentException for BOTH (not part of this experiment)
     */
    public static GateSpec[] gates(GateMode mode) {
        GateSpec[] g = new GateSpec[STAGE_SIZES.size()];
        for (int s = 0; s < g.length; s++) {
            g[s] = switch (mode) {
                case NONE -> GateSpec.none();
                case SPATIAL -> GateSpec.spatial(GRANULARITY.get(s));
                case CHANNEL -> GateSpec.channel(CHANNEL_GROUPS);
                case LAYER -> GateSpec.layer();
                default -> throw new IllegalArgumentException("mode must be NONE, SPATIAL, CHANNEL or LAYER, got "
                        + mode);
            };
        }
        return g;
    }

    /**
     * Builds the network (not initialised).
     *
     * @param mode the gating of every stage
     * @param temperature the shared Gumbel temperature
     * @param seed seed of the gates' noise
     * @return the network
     */
    public static GatedBackbone build(GateMode mode, GumbelTemperature temperature, long seed) {
        return build(mode, temperature, seed, ChannelMaskPlacement.AFTER_ACTIVATION);
    }

    /**
     * Builds the network (not initialised) with a channel mask placement.
     *
     * @param mode the gating of every stage
     * @param temperature the shared Gumbel temperature
     * @param seed seed of the gates' noise
     * @param placement where channel gates apply their mask
     * @return the network
     */
    public static GatedBackbone build(GateMode mode, GumbelTemperature temperature, long seed,
            ChannelMaskPlacement placement) {
        return LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(BLOCKS_PER_STAGE, 16, 16, 1, GateSpec.none()),
                        new StageSpec(BLOCKS_PER_STAGE, 32, 32, 2, GateSpec.none()),
                        new StageSpec(BLOCKS_PER_STAGE, 64, 64, 2, GateSpec.none())))
                .optStageGates(gates(mode))
                .optChannelMaskPlacement(placement)
                .optStem(StemSpec.small(1, 16))
                .optInputSize(SIZE)
                .optNumClasses(CLASSES)
                .optTemperature(temperature)
                .optSeed(seed)
                .build();
    }

    /**
     * Copies every parameter of {@code source} into the parameter of {@code target} with the same name (weights,
     * biases, BatchNorm running statistics); the target's gate parameters keep their initial values. Both networks
     * must be initialised.
     *
     * @param source e.g. the trained static network
     * @param target e.g. a gated network of the same architecture
     * @return the number of parameters copied
     * @throws IllegalArgumentException if a shared name has different shapes, or a target backbone parameter has no
     *     source
     */
    public static int copyParameters(GatedNetwork source, GatedNetwork target) {
        Map<String, Parameter> src = new HashMap<>();
        for (Pair<String, Parameter> p : source.getParameters()) {
            src.put(p.getKey(), p.getValue());
        }
        int copied = 0;
        PairList<String, Parameter> dst = target.getParameters();
        for (Pair<String, Parameter> p : dst) {
            Parameter s = src.get(p.getKey());
            if (s == null) {
                if (!p.getKey().contains("gate")) {
                    throw new IllegalArgumentException("source has no parameter named '" + p.getKey() + "'");
                }
                continue;
            }
            NDArray from = s.getArray();
            NDArray to = p.getValue().getArray();
            if (!from.getShape().equals(to.getShape())) {
                throw new IllegalArgumentException("parameter '" + p.getKey() + "' has shape " + from.getShape()
                        + " in the source and " + to.getShape() + " in the target");
            }
            ArrayWrites.copy(from, to);
            copied++;
        }
        return copied;
    }
}
