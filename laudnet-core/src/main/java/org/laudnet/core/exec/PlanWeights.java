package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;

/**
 * A whole plan's weights on one backend, uploaded once and shared (read-only) by every executor of a model.
 * Thread-safe.
 */
final class PlanWeights {

    final InferencePlan plan;
    final ConvWeights stem;
    final ConvWeights head;
    final List<BlockWeights> blocks;

    PlanWeights(InferencePlan plan, Backend<?> backend) {
        this.plan = plan;
        this.stem = backend.upload(plan.stem());
        this.head = backend.upload(plan.head());
        List<BlockWeights> list = new ArrayList<>();
        for (BlockPlan b : plan.blocks()) {
            list.add(new BlockWeights(b, backend));
        }
        this.blocks = List.copyOf(list);
    }
}
