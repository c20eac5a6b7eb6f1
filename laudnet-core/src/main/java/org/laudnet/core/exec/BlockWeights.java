package org.laudnet.core.exec;

import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.laudnet.core.plan.BlockPlan;

/**
 * One block's weights on a backend, shared by every executor of a model: the full branch, the projection, the
 * maskers' engine layers, and a bounded cache of channel-pattern slices. Thread-safe: a pattern's slice is built and
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
}
