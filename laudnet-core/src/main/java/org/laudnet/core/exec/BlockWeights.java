package org.laudnet.core.exec;

import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.plan.BlockPlan;

/**
 * One block's weights on a backend, shared by every executor of a model: the full branch, the projection, the
 * maskers' engine layers, and bounded caches of channel-pattern slices (and of the union branches of the reference's
 * channel placement). Thread-safe: a pattern's slice is built and
 * uploaded once; beyond about {@link #MAX_CACHED_PATTERNS} patterns, slices are temporaries of the call that needs
 * them, so a cached slice is never released while another executor may use it (cached slices live as long as the
 * backend).
 */
final class BlockWeights {

    /** The most channel patterns whose slices are kept per block. */
    static final int MAX_CACHED_PATTERNS = 64;

    final BlockPlan plan;
    final BranchWeights full;
    final ConvWeights downsample;
    final ConvWeights spatialMasker;
    final ConvWeights channelMaskerConv;
    private final Backend<?> backend;
    private final Map<BitSet, BranchWeights> slices = new ConcurrentHashMap<>();
    private final Map<BitSet, BranchWeights> unions = new ConcurrentHashMap<>();

    BlockWeights(BlockPlan plan, Backend<?> backend) {
        this.plan = plan;
        this.backend = backend;
        BitSet all = new BitSet();
        all.set(0, plan.channelGroups());
        this.full = BranchWeights.of(plan, all, backend::upload);
        this.downsample = plan.downsample() == null ? null : backend.upload(plan.downsample());
        this.spatialMasker = plan.spatialMasker() == null ? null : backend.upload(plan.spatialMasker().conv());
        this.channelMaskerConv = plan.channelMasker() == null || plan.channelMasker().engineConv() == null
                ? null
                : backend.upload(plan.channelMasker().engineConv());
    }

    /**
     * Returns the branch weights of a channel pattern.
     *
     * @param pattern the open groups
     * @param kernels the calling executor's kernels, for a temporary slice when the cache is full
     * @return the weights
     */
    BranchWeights branch(BitSet pattern, Kernels<?> kernels) {
        if (pattern.cardinality() == plan.channelGroups()) {
            return full;
        }
        BranchWeights cached = slices.get(pattern);
        if (cached != null) {
            return cached;
        }
        if (slices.size() >= MAX_CACHED_PATTERNS) {
            return BranchWeights.of(plan, pattern, kernels::temporary);
        }
        return slices.computeIfAbsent((BitSet) pattern.clone(), p -> BranchWeights.of(plan, p, backend::upload));
    }

    /**
     * The most channel groups whose patterns {@link #preparePatterns} uploads: the {@code 2^G - 2} partial patterns of
     * 4 groups hold about 5.4 times a bottleneck's branch weights (of 5 groups 11.6 times, of 6 groups 24 times).
     */
    static final int MAX_PREPARED_GROUPS = 4;

    /**
     * Uploads the slices of every partial channel pattern (each non-empty proper subset of the {@code G} groups) that
     * is not cached yet, and under {@link ChannelMaskPlacement#BEFORE_NORM} every union branch too, so that no call
     * pays for a pattern's first use. Does nothing for a block without a channel gate or with more than
     * {@link #MAX_PREPARED_GROUPS} groups.
     *
     * @return the floats of the slices' weights cut by this call (0 when every pattern was already cached)
     */
    long preparePatterns() {
        int g = plan.channelGroups();
        if (g < 2 || g > MAX_PREPARED_GROUPS) {
            return 0;
        }
        boolean unionsToo = plan.gate().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM;
        long[] floats = new long[1];
        for (long bits = 1; bits < (1L << g) - 1; bits++) {
            BitSet p = BitSet.valueOf(new long[] {bits});
            slices.computeIfAbsent(p, q -> counted(BranchWeights.of(plan, q, backend::upload), floats));
            if (unionsToo) {
                unions.computeIfAbsent(p, q -> counted(BranchWeights.unionBeforeNorm(plan, q, backend::upload),
                        floats));
            }
        }
        return floats[0];
    }

    private static BranchWeights counted(BranchWeights b, long[] floats) {
        for (ConvWeights c : new ConvWeights[] {b.c1(), b.c2(), b.c3(), b.se1(), b.se2()}) {
            if (c != null) {
                floats[0] += c.spec().weight().length + c.spec().bias().length;
            }
        }
        return b;
    }

    /**
     * Returns the branch weights that {@link ExecutionPath#CHANNEL_UNION} runs a union of patterns with, before the
     * per-sample channel multiplication: the union's slices ({@link #branch}) under the default placement, the
     * extended branch of {@link BranchWeights#unionBeforeNorm} under the reference's.
     *
     * @param union the union of the open groups of some samples, non-empty
     * @param kernels the calling executor's kernels, for a temporary when the cache is full
     * @return the weights
     */
    BranchWeights union(BitSet union, Kernels<?> kernels) {
        if (plan.gate().channelMaskPlacement() != ChannelMaskPlacement.BEFORE_NORM) {
            return branch(union, kernels);
        }
        BranchWeights cached = unions.get(union);
        if (cached != null) {
            return cached;
        }
        if (unions.size() >= MAX_CACHED_PATTERNS) {
            return BranchWeights.unionBeforeNorm(plan, union, kernels::temporary);
        }
        return unions.computeIfAbsent((BitSet) union.clone(),
                p -> BranchWeights.unionBeforeNorm(plan, p, backend::upload));
    }
}
