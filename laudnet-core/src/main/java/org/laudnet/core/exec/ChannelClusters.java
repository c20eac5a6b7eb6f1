package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;

/**
 * The sub-batches of {@link ExecutionPath#CHANNEL_UNION}: the samples of a call partitioned into clusters, each run
 * once with the weight slices of the union of its samples' open channel groups (method section 4, "Channel": "per
 * batch, with a correct scheme").
 *
 * <p>Greedy agglomeration: every distinct channel pattern starts as a cluster; while some pair of clusters costs less
 * merged than apart, the pair with the largest saving merges. In MAC equivalents ({@link Costs}), a cluster of
 * {@code n} samples with union {@code U} costs {@code subBatch + n macs(U)}, plus {@code n masked(U) maskedElement}
 * when its samples' patterns differ: {@code macs(U)} is one sample's branch MACs with {@code U}'s channels,
 * {@code masked(U)} the activation elements one sample multiplies by its channel mask. An infinite sub-batch cost
 * gives one cluster, the whole batch; a zero cost keeps the per-pattern split of {@link ExecutionPath#CHANNEL}.
 * Beyond {@link #MAX_MERGED_PATTERNS} distinct patterns, a positive sub-batch cost gives the whole batch as one union
 * without a search. Stateless; thread-safe.
 */
final class ChannelClusters {

    /**
     * The relative costs that decide merges, in MACs.
     *
     * @param subBatch the fixed cost of one more sub-batch (gather, scatter, small products), non-negative or
     *     {@code +inf}
     * @param maskedElement the cost of multiplying one activation element by its sample's channel mask, non-negative
     */
    record Costs(double subBatch, double maskedElement) {

        /** One cluster: the whole batch with the union of every pattern. */
        static final Costs ONE_UNION = new Costs(Double.POSITIVE_INFINITY, 0);

        /** No merge: one cluster per pattern. */
        static final Costs PER_PATTERN = new Costs(0, 0);

        /** Validates the costs. */
        Costs {
            if (!(subBatch >= 0) || !(maskedElement >= 0) || Double.isInfinite(maskedElement)) {
                throw new IllegalArgumentException("cluster costs must be non-negative (the sub-batch cost may be"
                        + " infinite), got " + subBatch + " and " + maskedElement);
            }
        }

        /**
         * The costs of a fitted {@link ExecutionPath#CHANNEL_UNION} model {@code [c0, c_subBatches, c_macs,
         * c_masked]} ({@link PathFeatures}): its coefficients over the MAC coefficient, negatives as 0; without a
         * positive MAC coefficient, one cluster if sub-batches cost something, else one per pattern.
         *
         * @param model the model, or null (one cluster)
         * @return the costs
         * @throws IllegalArgumentException for a model of another feature count
         */
        static Costs of(LinearCostModel model) {
            if (model == null) {
                return ONE_UNION;
            }
            double[] c = model.coefficients();
            if (c.length != 5) {
                throw new IllegalArgumentException("a CHANNEL_UNION cost model has 5 coefficients (intercept,"
                        + " sub-batches, MACs, masked and moved elements), got " + c.length);
            }
            double sub = Math.max(0, c[1]);
            double masked = Math.max(0, c[3]);
            if (!(c[2] > 0)) {
                return sub > 0 ? ONE_UNION : PER_PATTERN;
            }
            return new Costs(sub / c[2], masked / c[2]);
        }
    }

    /**
     * One sub-batch.
     *
     * @param samples its samples, ascending
     * @param union the union of their open channel groups
     * @param uniform whether every sample's pattern is the union (no per-sample masking needed)
     */
    record Cluster(int[] samples, BitSet union, boolean uniform) {}

    /**
     * The most distinct patterns the greedy merge takes on (its work grows with their cube); beyond it a positive
     * sub-batch cost gives the whole batch as one union.
     */
    static final int MAX_MERGED_PATTERNS = 64;

    private ChannelClusters() {}

    /**
     * Partitions a call's samples.
     *
     * @param mk the call's decisions (with a channel gate)
     * @param costs the merge costs
     * @return the clusters, in the order of their first samples
     */
    static List<Cluster> of(Masks mk, Costs costs) {
        Map<BitSet, int[]> patterns = mk.patterns();
        int p = patterns.size();
        BitSet[] unions = new BitSet[p];
        int[][] members = new int[p][];
        boolean[] uniform = new boolean[p];
        int i = 0;
        for (Map.Entry<BitSet, int[]> e : patterns.entrySet()) {
            unions[i] = e.getKey();
            members[i] = e.getValue();
            uniform[i] = true;
            i++;
        }
        boolean split = costs.subBatch() == 0;
        if (p > 1 && (Double.isInfinite(costs.subBatch()) || (p > MAX_MERGED_PATTERNS && !split))) {
            BitSet all = new BitSet();
            for (BitSet u : unions) {
                all.or(u);
            }
            int[] every = new int[mk.batch];
            Arrays.setAll(every, b -> b);
            return List.of(new Cluster(every, all, false));
        }
        double[] perSample = sampleMacs(mk);
        double[] masked = maskedElements(mk);
        for (int j = 0; j < perSample.length; j++) {
            masked[j] = perSample[j] + costs.maskedElement() * masked[j];
        }
        boolean[] alive = new boolean[p];
        Arrays.fill(alive, true);
        double[][] saving = new double[p][p];
        for (int a = 0; a < p; a++) {
            for (int b = a + 1; b < p; b++) {
                saving[a][b] = saving(unions, members, uniform, a, b, perSample, masked, costs.subBatch());
            }
        }
        for (int left = p; left > 1; left--) {
            int ba = -1;
            int bb = -1;
            double best = 0;
            for (int a = 0; a < p; a++) {
                if (!alive[a]) {
                    continue;
                }
                for (int b = a + 1; b < p; b++) {
                    if (alive[b] && saving[a][b] > best) {
                        best = saving[a][b];
                        ba = a;
                        bb = b;
                    }
                }
            }
            if (ba < 0) {
                break;
            }
            unions[ba] = merged(unions[ba], unions[bb]);
            members[ba] = concat(members[ba], members[bb]);
            uniform[ba] = false;
            alive[bb] = false;
            for (int o = 0; o < p; o++) {
                if (alive[o] && o != ba) {
                    double s = saving(unions, members, uniform, Math.min(o, ba), Math.max(o, ba), perSample, masked,
                            costs.subBatch());
                    saving[Math.min(o, ba)][Math.max(o, ba)] = s;
                }
            }
        }
        List<Cluster> r = new ArrayList<>();
        for (int a = 0; a < p; a++) {
            if (alive[a]) {
                int[] s = members[a].clone();
                Arrays.sort(s);
                r.add(new Cluster(s, unions[a], uniform[a]));
            }
        }
        r.sort((x, y) -> Integer.compare(x.samples()[0], y.samples()[0]));
        return r;
    }

    /**
     * One sample's branch MACs with {@code j} open groups, {@code j = 0..G}: the block's dynamic MACs at channel
     * density {@code j / G}, without the always-computed projection and maskers.
     */
    static double[] sampleMacs(Masks mk) {
        int groups = mk.plan.channelGroups();
        BlockCost cost = mk.plan.cost();
        double[] m = new double[groups + 1];
        for (int j = 0; j <= groups; j++) {
            m[j] = cost.dynamicMacs(BlockDensities.channel(j / (double) groups)) - cost.downsampleMacs()
                    - cost.maskerMacs();
        }
        return m;
    }

    /**
     * One sample's activation elements that the channel mask multiplies with {@code j} open groups, {@code j = 0..G}:
     * conv1's and (bottleneck) conv2's outputs.
     */
    static double[] maskedElements(Masks mk) {
        int groups = mk.plan.channelGroups();
        BlockGeometry g = mk.plan.geometry();
        double perChannel = mk.plan.bottleneck() ? g.conv1Pixels() + g.outPixels() : g.outPixels();
        double[] m = new double[groups + 1];
        for (int j = 0; j <= groups; j++) {
            m[j] = j * (mk.plan.width() / groups) * perChannel;
        }
        return m;
    }

    /**
     * What merging clusters {@code a} and {@code b} saves: {@code plain[j]} and {@code masked[j]} are one sample's cost
     * with {@code j} open groups without and with the mask multiplication.
     */
    private static double saving(BitSet[] unions, int[][] members, boolean[] uniform, int a, int b,
            double[] plain, double[] masked, double subBatch) {
        BitSet u = merged(unions[a], unions[b]);
        double apart = members[a].length * (uniform[a] ? plain : masked)[unions[a].cardinality()]
                + members[b].length * (uniform[b] ? plain : masked)[unions[b].cardinality()];
        double together = (members[a].length + members[b].length) * masked[u.cardinality()];
        return subBatch + apart - together;
    }

    private static BitSet merged(BitSet a, BitSet b) {
        BitSet u = (BitSet) a.clone();
        u.or(b);
        return u;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
