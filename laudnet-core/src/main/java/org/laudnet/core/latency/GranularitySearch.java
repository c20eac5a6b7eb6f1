package org.laudnet.core.latency;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * Latency-guided choice of the gating granularity per stage (the "latency-aware" part of LAUDNet): for a target
 * density {@code t}, every candidate spatial granularity {@code S} (each divisor of the stage's output size; the whole
 * map is layer skipping) and every candidate number of channel groups {@code G} is scored by the predicted latency of
 * the stage's blocks at density {@code t}, and the fastest is chosen.
 *
 * <p>For channel candidates the channel density is {@code t}; for spatial and layer candidates the spatial density is
 * {@code t}. The static stage latency is reported beside each candidate.
 */
public final class GranularitySearch {

    /** Channel group counts tried for channel skipping (those dividing the width). */
    public static final List<Integer> CHANNEL_GROUP_CANDIDATES = List.of(2, 4, 8, 16);

    private final LatencyPredictor predictor;

    /**
     * Creates a search over a predictor.
     *
     * @param predictor the latency predictor of the target hardware
     */
    public GranularitySearch(LatencyPredictor predictor) {
        if (predictor == null) {
            throw new IllegalArgumentException("predictor must not be null");
        }
        this.predictor = predictor;
    }

    /**
     * One scored candidate.
     *
     * @param mode SPATIAL, LAYER or CHANNEL
     * @param granularity {@code S} (spatial), the map size (layer) or 1 (channel)
     * @param channelGroups {@code G} (channel) or 1
     * @param staticMs predicted latency of the stage's static blocks
     * @param dynamicMs predicted latency of the stage's gated blocks at the target density
     */
    public record Candidate(GateMode mode, int granularity, int channelGroups, double staticMs, double dynamicMs) {

        /** Returns {@code dynamicMs / staticMs}. */
        public double ratio() {
            return dynamicMs / staticMs;
        }

        /** Returns a short label such as {@code S=4}, {@code layer} or {@code G=8}. */
        public String label() {
            return switch (mode) {
                case SPATIAL -> "S=" + granularity;
                case LAYER -> "layer";
                case CHANNEL -> "G=" + channelGroups;
                default -> mode.name();
            };
        }
    }

    /**
     * The search result of one stage.
     *
     * @param stage stage number, from 1
     * @param outSize the stage's output size
     * @param candidates every candidate scored
     * @param bestSpatial the fastest spatial granularity (the whole map, i.e. layer skipping, included)
     * @param bestChannel the fastest channel grouping, if any candidate divides the width
     * @param best the fastest candidate overall
     */
    public record StageChoice(
            int stage, int outSize, List<Candidate> candidates, Candidate bestSpatial, Candidate bestChannel,
            Candidate best) {}

    /**
     * Groups a network's blocks into stages: a new stage starts where the output channels change.
     *
     * @param blocks blocks in network order
     * @return the stages
     */
    public static List<List<BlockGeometry>> stages(List<BlockGeometry> blocks) {
        List<List<BlockGeometry>> stages = new ArrayList<>();
        for (BlockGeometry g : blocks) {
            if (stages.isEmpty() || stages.get(stages.size() - 1).get(0).outChannels() != g.outChannels()) {
                stages.add(new ArrayList<>());
            }
            stages.get(stages.size() - 1).add(g);
        }
        return stages;
    }

    /**
     * Scores every candidate of every stage.
     *
     * @param blocks the network's blocks in order
     * @param batchSize batch size
     * @param target target density {@code t} in {@code [0, 1]}
     * @return one choice per stage
     */
    public List<StageChoice> search(List<BlockGeometry> blocks, int batchSize, double target) {
        if (blocks == null || blocks.isEmpty()) {
            throw new IllegalArgumentException("blocks must not be empty");
        }
        Checks.positive("batchSize", batchSize);
        Checks.inRange("target", target, 0, 1);
        List<StageChoice> out = new ArrayList<>();
        List<List<BlockGeometry>> stages = stages(blocks);
        for (int s = 0; s < stages.size(); s++) {
            List<BlockGeometry> stage = stages.get(s);
            int outSize = stage.get(stage.size() - 1).outHeight();
            double staticMs = stage.stream().mapToDouble(g -> predictor.staticLatencyMs(g, batchSize)).sum();
            List<Candidate> candidates = new ArrayList<>();
            for (int gran = 1; gran <= outSize; gran++) {
                if (!divisibleEverywhere(stage, gran)) {
                    continue;
                }
                GateMode mode = gran == outSize ? GateMode.LAYER : GateMode.SPATIAL;
                int g = gran;
                double dyn = stage.stream().mapToDouble(b -> predictor.dynamicLatencyMs(
                        new BlockLatencyQuery(b, mode, g, 1, target, 1, batchSize))).sum();
                candidates.add(new Candidate(mode, gran, 1, staticMs, dyn));
            }
            for (int groups : CHANNEL_GROUP_CANDIDATES) {
                if (stage.stream().anyMatch(b -> b.width() % groups != 0)) {
                    continue;
                }
                double dyn = stage.stream().mapToDouble(b -> predictor.dynamicLatencyMs(
                        new BlockLatencyQuery(b, GateMode.CHANNEL, 1, groups, 1, target, batchSize))).sum();
                candidates.add(new Candidate(GateMode.CHANNEL, 1, groups, staticMs, dyn));
            }
            Comparator<Candidate> fastest = Comparator.comparingDouble(Candidate::dynamicMs);
            Candidate bestSpatial = candidates.stream().filter(c -> c.mode() != GateMode.CHANNEL).min(fastest)
                    .orElseThrow();
            Candidate bestChannel = candidates.stream().filter(c -> c.mode() == GateMode.CHANNEL).min(fastest)
                    .orElse(null);
            Candidate best = candidates.stream().min(fastest).orElseThrow();
            out.add(new StageChoice(s + 1, outSize, List.copyOf(candidates), bestSpatial, bestChannel, best));
        }
        return out;
    }

    private static boolean divisibleEverywhere(List<BlockGeometry> stage, int granularity) {
        return stage.stream().allMatch(b -> b.outHeight() % granularity == 0 && b.outWidth() % granularity == 0);
    }
}
