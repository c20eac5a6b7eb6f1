package org.laudnet.cuda.check;

import java.util.List;
import java.util.Random;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.plan.InferencePlan;

/**
 * The seeded networks and gate variants ({@link SeededPlans}): ResNet-18/34/50/101 and RegNetY-400MF/800MF, each static
 * and with SPATIAL, CHANNEL, BOTH and LAYER gates on every stage. The GPU check's equivalence part runs ResNet-50 and
 * RegNetY-800MF ({@link #all()}), its latency part ResNet-50 and ResNet-101; the tests run every architecture
 * ({@link #everyArchitecture()}). Input sides must be multiples of 32 (so that every stage's granularity divides its
 * output). Stateless and thread-safe.
 */
public final class Networks {

    /** The seed of every network's weights. */
    public static final long SEED = 2026;
    /** Classes of every network's head. */
    public static final int CLASSES = 1000;

    private Networks() {}

    /** An architecture: builds its plan for a side and per-stage gates. */
    @FunctionalInterface
    interface Builder {
        InferencePlan build(long seed, int inputSize, int numClasses, GateSpec... gates);
    }

    /**
     * One gated variant of a network.
     *
     * @param network the network's name
     * @param name the variant's name, e.g. {@code "spatial S=4-4-2-1"}
     * @param mode the gate mode of every stage
     * @param gates the gate of each stage
     * @param builder the architecture
     */
    record Variant(String network, String name, GateMode mode, GateSpec[] gates, Builder builder) {

        /**
         * Builds the variant's plan.
         *
         * @param inputSize the image side, a multiple of 32
         * @return the plan
         */
        InferencePlan plan(int inputSize) {
            if (inputSize <= 0 || inputSize % 32 != 0) {
                throw new IllegalArgumentException("the seeded networks need an input side that is a positive multiple"
                        + " of 32, got " + inputSize);
            }
            return builder.build(SEED, inputSize, CLASSES, gates);
        }

        /** Returns whether the variant has no gates. */
        boolean isStatic() {
            return mode == GateMode.NONE;
        }

        /** Returns {@code "network / variant"}. */
        String label() {
            return network + " / " + name;
        }
    }

    /** Returns the ResNet-50 variants: static; spatial S=4-4-2-1; channel G=4; both; layer. */
    static List<Variant> resnet50() {
        return resNet(SeededPlans.ResNetShape.R50);
    }

    /** Returns the ResNet-101 variants: static; spatial S=4-4-2-1; channel G=4; both; layer. */
    static List<Variant> resnet101() {
        return resNet(SeededPlans.ResNetShape.R101);
    }

    /**
     * Returns the variants of a ResNet: static; spatial S=4-4-2-1; channel G=4 (MLP-2 masker); both S=4-4-2-1 G=4;
     * layer.
     *
     * @param shape the depth
     * @return the variants
     */
    static List<Variant> resNet(SeededPlans.ResNetShape shape) {
        Builder b = (seed, size, classes, gates) -> SeededPlans.resNet(shape, seed, size, classes, gates);
        String n = "ResNet-" + shape.depth();
        return List.of(
                new Variant(n, "static", GateMode.NONE, stages(GateSpec.none()), b),
                new Variant(n, "spatial S=4-4-2-1", GateMode.SPATIAL, new GateSpec[] {GateSpec.spatial(4),
                    GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.spatial(1)}, b),
                new Variant(n, "channel G=4", GateMode.CHANNEL, stages(GateSpec.channel(4)), b),
                new Variant(n, "both S=4-4-2-1 G=4", GateMode.BOTH, new GateSpec[] {GateSpec.both(4, 4),
                    GateSpec.both(4, 4), GateSpec.both(2, 4), GateSpec.both(1, 4)}, b),
                new Variant(n, "layer", GateMode.LAYER, stages(GateSpec.layer()), b));
    }

    /** Returns the RegNetY-800MF variants ({@link #regNetY(SeededPlans.RegNetShape)}). */
    static List<Variant> regNetY() {
        return regNetY(SeededPlans.RegNetShape.Y_800MF);
    }

    /**
     * Returns the variants of a RegNetY: static; spatial S=4-2-1-1; channel G=4 (conv-linear masker); both (MLP-2
     * masker); layer.
     *
     * @param shape the variant
     * @return the variants
     */
    static List<Variant> regNetY(SeededPlans.RegNetShape shape) {
        Builder b = (seed, size, classes, gates) -> SeededPlans.regNetY(shape, seed, size, classes, gates);
        String n = shape.name();
        return List.of(
                new Variant(n, "static", GateMode.NONE, stages(GateSpec.none()), b),
                new Variant(n, "spatial S=4-2-1-1", GateMode.SPATIAL, new GateSpec[] {GateSpec.spatial(4),
                    GateSpec.spatial(2), GateSpec.spatial(1), GateSpec.spatial(1)}, b),
                new Variant(n, "channel G=4 conv-linear", GateMode.CHANNEL,
                        stages(GateSpec.channel(4).withMaskerKind(ChannelMaskerKind.CONV_LINEAR)), b),
                new Variant(n, "both S=4-2-1-1 G=4", GateMode.BOTH, new GateSpec[] {GateSpec.both(4, 4),
                    GateSpec.both(2, 4), GateSpec.both(1, 4), GateSpec.both(1, 4)}, b),
                new Variant(n, "layer", GateMode.LAYER, stages(GateSpec.layer()), b));
    }

    /**
     * Variants of gate settings the main variants leave out, on ResNet-18 and RegNetY-400MF: two spatial mask groups
     * (masked dense with per-group cells) and the MLP-1 channel masker (on RegNetY-400MF with G=2: sliced where a
     * channel group holds whole convolution groups, masked dense where it splits them).
     *
     * @return the variants
     */
    static List<Variant> gateSettings() {
        SeededPlans.ResNetShape r18 = SeededPlans.ResNetShape.R18;
        Builder resnet = (seed, size, classes, gates) -> SeededPlans.resNet(r18, seed, size, classes, gates);
        SeededPlans.RegNetShape y4 = SeededPlans.RegNetShape.Y_400MF;
        Builder regnet = (seed, size, classes, gates) -> SeededPlans.regNetY(y4, seed, size, classes, gates);
        return List.of(
                new Variant("ResNet-18", "spatial S=2-2-1-1 gs=2", GateMode.SPATIAL, new GateSpec[] {
                    GateSpec.spatial(2).withSpatialGroups(2), GateSpec.spatial(2).withSpatialGroups(2),
                    GateSpec.spatial(1).withSpatialGroups(2), GateSpec.spatial(1).withSpatialGroups(2)}, resnet),
                new Variant("ResNet-18", "channel G=8 MLP-1", GateMode.CHANNEL,
                        stages(GateSpec.channel(8).withMaskerKind(ChannelMaskerKind.MLP_1)), resnet),
                new Variant(y4.name(), "spatial S=1 gs=2", GateMode.SPATIAL,
                        stages(GateSpec.spatial(1).withSpatialGroups(2)), regnet),
                new Variant(y4.name(), "channel G=2 MLP-1", GateMode.CHANNEL,
                        stages(GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1)), regnet));
    }

    /** Returns the variants of the GPU check's equivalence part: ResNet-50, then RegNetY-800MF. */
    static List<Variant> all() {
        return java.util.stream.Stream.concat(resnet50().stream(), regNetY().stream()).toList();
    }

    /**
     * Returns the variants of every architecture: ResNet-18, 34, 50, 101, RegNetY-400MF and 800MF in every mode, then
     * {@link #gateSettings()}.
     *
     * @return the variants
     */
    static List<Variant> everyArchitecture() {
        List<Variant> v = new java.util.ArrayList<>();
        for (SeededPlans.ResNetShape r : List.of(SeededPlans.ResNetShape.R18, SeededPlans.ResNetShape.R34,
                SeededPlans.ResNetShape.R50, SeededPlans.ResNetShape.R101)) {
            v.addAll(resNet(r));
        }
        v.addAll(regNetY(SeededPlans.RegNetShape.Y_400MF));
        v.addAll(regNetY(SeededPlans.RegNetShape.Y_800MF));
        v.addAll(gateSettings());
        return List.copyOf(v);
    }

    private static GateSpec[] stages(GateSpec g) {
        return new GateSpec[] {g, g, g, g};
    }

    /**
     * Seeded images {@code N(0, 1)}.
     *
     * @param batch {@code B}
     * @param size the side
     * @param seed the seed
     * @return {@code (B, 3, size, size)} row-major
     */
    static float[] images(int batch, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[batch * 3 * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
