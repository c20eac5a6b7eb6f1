package org.laudnet.cuda.check;

import java.util.List;
import java.util.Random;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.plan.InferencePlan;

/**
 * The seeded networks and gate variants the GPU check runs ({@link SeededPlans}): a ResNet-50 and a RegNetY-shaped
 * network (grouped 3x3 convolutions, squeeze-excitation), each static and with SPATIAL, CHANNEL, BOTH and LAYER
 * gates on every stage. Input sides must be multiples of 32 (so that every stage's granularity divides its output).
 * Stateless and thread-safe.
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
        Builder b = SeededPlans::resnet50;
        String n = "ResNet-50";
        return List.of(
                new Variant(n, "static", GateMode.NONE, stages(GateSpec.none()), b),
                new Variant(n, "spatial S=4-4-2-1", GateMode.SPATIAL, new GateSpec[] {GateSpec.spatial(4),
                    GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.spatial(1)}, b),
                new Variant(n, "channel G=4", GateMode.CHANNEL, stages(GateSpec.channel(4)), b),
                new Variant(n, "both S=4-4-2-1 G=4", GateMode.BOTH, new GateSpec[] {GateSpec.both(4, 4),
                    GateSpec.both(4, 4), GateSpec.both(2, 4), GateSpec.both(1, 4)}, b),
                new Variant(n, "layer", GateMode.LAYER, stages(GateSpec.layer()), b));
    }

    /**
     * Returns the RegNetY variants: static; spatial S=4-2-1-1; channel G=4 (conv-linear masker); both (MLP-2
     * masker); layer.
     */
    static List<Variant> regNetY() {
        Builder b = SeededPlans::regNetY;
        String n = "RegNetY";
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

    /** Returns every variant of both networks, ResNet-50 first. */
    static List<Variant> all() {
        return java.util.stream.Stream.concat(resnet50().stream(), regNetY().stream()).toList();
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
