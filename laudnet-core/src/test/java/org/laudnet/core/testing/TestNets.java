package org.laudnet.core.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.BlockSlot;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;

/**
 * Small gated networks for tests of every module: a ResNet-like family (basic blocks or bottlenecks) and a
 * RegNetY-like family (grouped conv2 and squeeze-excitation), and a randomiser that moves BatchNorm statistics and
 * gate weights away from their initial values so that folding and mixed gate decisions are exercised.
 */
public final class TestNets {

    private TestNets() {}

    /**
     * A ResNet-like block family.
     *
     * @param type basic or bottleneck
     * @param placement where downsampling bottlenecks stride
     */
    public record ResidualFamily(BlockType type, StridePlacement placement) implements BlockFamily {
        @Override
        public String id() {
            return "test-residual";
        }


        @Override
        public AbstractGatedBlock newBlock(BlockSlot s) {
            BlockGeometry g = new BlockGeometry(type, s.inChannels(), s.spec().width(), s.spec().outChannels(),
                    s.inSize(), s.inSize(), s.stride(), 1, placement);
            return s.configure(GatedResidualBlock.builder().setGeometry(g).optGateSpec(s.spec().gate())).build();
        }
    }

    /**
     * A RegNetY-like block family: bottleneck ratio 1, grouped 3x3 convolution, squeeze-excitation of width
     * {@code Cin / 4}.
     *
     * @param groupWidth channels per convolution group
     */
    public record SqueezeFamily(int groupWidth) implements BlockFamily {
        @Override
        public String id() {
            return "test-squeeze";
        }


        @Override
        public AbstractGatedBlock newBlock(BlockSlot s) {
            BlockGeometry g = new BlockGeometry(BlockType.BOTTLENECK, s.inChannels(), s.spec().width(),
                    s.spec().outChannels(), s.inSize(), s.inSize(), s.stride(), s.spec().width() / groupWidth,
                    StridePlacement.CONV2);
            return s.configure(new SqueezeBlock.Builder(g).optGateSpec(s.spec().gate())).build();
        }
    }

    /** A bottleneck with squeeze-excitation, as a test subclass of the shared base. */
    static final class SqueezeBlock extends AbstractGatedBlock {
        private SqueezeBlock(Builder b) {
            super(b);
        }

        static final class Builder extends BaseBuilder<Builder> {
            private final BlockGeometry geometry;

            Builder(BlockGeometry geometry) {
                this.geometry = geometry;
            }

            @Override
            protected Builder self() {
                return this;
            }

            @Override
            protected BlockGeometry geometry() {
                return geometry;
            }

            @Override
            protected int seChannels(BlockGeometry g) {
                return Math.max(1, g.inChannels() / 4);
            }

            SqueezeBlock build() {
                validate();
                return new SqueezeBlock(this);
            }
        }
    }

    /**
     * Builds a two-stage network on {@code channels x size x size} images with 5 classes.
     *
     * @param family the block family
     * @param channels image channels
     * @param size image side
     * @param stages the stage table (gates included)
     * @return the uninitialised network
     */
    public static GatedBackbone network(BlockFamily family, int channels, int size, List<StageSpec> stages) {
        return GatedBackbone.builder(family, StemSpec.small(channels, 16)).setStages(stages).optInputSize(size)
                .optNumClasses(5).build();
    }

    /**
     * The stage table of a small bottleneck network: stage 1 (16 -> 32 channels, width 8, stride 1, 2 blocks),
     * stage 2 (32 -> 64, width 16, stride 2, 1 block), both gated by {@code gate}.
     *
     * @param gate1 the gate of stage 1
     * @param gate2 the gate of stage 2
     * @return the stages
     */
    public static List<StageSpec> bottleneckStages(GateSpec gate1, GateSpec gate2) {
        return List.of(new StageSpec(2, 8, 32, 1, gate1), new StageSpec(1, 16, 64, 2, gate2));
    }

    /**
     * The stage table of a small basic-block network: 16 -> 16 (stride 1, 2 blocks), 16 -> 32 (stride 2, 1 block).
     *
     * @param gate1 the gate of stage 1
     * @param gate2 the gate of stage 2
     * @return the stages
     */
    public static List<StageSpec> basicStages(GateSpec gate1, GateSpec gate2) {
        return List.of(new StageSpec(2, 16, 16, 1, gate1), new StageSpec(1, 32, 32, 2, gate2));
    }

    /**
     * The stage table of a small squeeze-excitation network (width = output channels, as RegNetY): the table of
     * {@link #basicStages}, whose width already equals its output channels.
     *
     * @param gate1 the gate of stage 1
     * @param gate2 the gate of stage 2
     * @return the stages
     */
    public static List<StageSpec> squeezeStages(GateSpec gate1, GateSpec gate2) {
        return basicStages(gate1, gate2);
    }

    /**
     * Initialises a network and randomises it: every BatchNorm (see {@link TestArrays#perturbBatchNorm}), and every
     * gate's weights ~ N(0, scale^2 / fan-in) with biases ~ N(0, 0.1^2), so that gates open and close per input.
     *
     * @param net the network
     * @param manager owner of the parameters
     * @param seed the seed
     */
    public static void initialise(GatedBackbone net, NDManager manager, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        net.initialize(manager, DataType.FLOAT32,
                new Shape(1, net.getStem().inChannels(), net.getInputSize(), net.getInputSize()));
        Random r = new Random(seed);
        List<BatchNorm> norms = new ArrayList<>();
        collect(net, norms);
        norms.forEach(bn -> TestArrays.perturbBatchNorm(bn, r));
        for (AbstractGatedBlock b : net.getBlocks()) {
            b.getSpatialGate().ifPresent(g -> randomise(g, r, 4.0));
            b.getChannelGate().ifPresent(g -> randomise(g, r, 4.0));
        }
    }

    /**
     * Copies into {@code target} the values of the same-named parameters of {@code source} (e.g. a static network from
     * the gated network it shares every non-gate parameter with).
     *
     * @param source the network whose parameters are read
     * @param target the network whose parameters are written; every one must exist in {@code source}
     */
    public static void copyParameters(Block source, Block target) {
        java.util.Map<String, ai.djl.nn.Parameter> from = source.getParameters().toMap();
        for (var p : target.getParameters()) {
            ai.djl.nn.Parameter s = from.get(p.getKey());
            if (s == null) {
                throw new AssertionError("the source network lacks parameter " + p.getKey());
            }
            p.getValue().getArray().set(s.getArray().toFloatArray());
        }
    }

    private static void collect(Block b, List<BatchNorm> out) {
        for (Block c : b.getChildren().values()) {
            if (c instanceof BatchNorm bn) {
                out.add(bn);
            } else {
                collect(c, out);
            }
        }
    }

    private static void randomise(Block gate, Random r, double scale) {
        gate.getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            if (p.getKey().endsWith("gamma") || p.getKey().endsWith("beta") || p.getKey().endsWith("running"
                    + "Mean") || p.getKey().endsWith("runningVar")) {
                return;
            }
            float[] v = new float[(int) a.size()];
            boolean bias = p.getKey().endsWith("bias");
            long fanIn = a.getShape().dimension() > 1 ? a.getShape().size() / a.getShape().get(0) : 1;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (bias ? 0.1 * r.nextGaussian() : scale * r.nextGaussian() / Math.sqrt(fanIn));
            }
            a.set(v);
        });
    }
}
