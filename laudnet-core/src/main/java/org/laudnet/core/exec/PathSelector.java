package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.plan.BlockPlan;

/**
 * Chooses a block's path for a call (method section 4: "a block whose measured sparse cost exceeds the dense one at its
 * density runs dense, decided by the cost model, never by a magic constant").
 *
 * <ol>
 *   <li>a static block, or every gate of the call open: DENSE (exactly the dense block, no mask arithmetic);
 *   <li>every spatial (or layer) cell closed: SKIP;
 *   <li>no sparse path for the block on this backend, or policy DENSE: DENSE;
 *   <li>a forced spatial schedule or channel path: that path (blocks without paths of its kind behave as under
 *       SPARSE);
 *   <li>SPARSE: the sparse path predicted fastest (the first candidate without a calibration);
 *   <li>AUTO: the sparse path predicted fastest if it is predicted faster than the measured dense path, else DENSE.
 * </ol>
 */
final class PathSelector {

    private PathSelector() {}

    /**
     * A choice and the predictions behind it.
     *
     * @param path the path
     * @param predictedSparseMs the best sparse prediction, NaN when none was made
     * @param predictedDenseMs the measured dense time, NaN when not used
     * @param clusterCosts how {@link ExecutionPath#CHANNEL_UNION} clusters the samples
     */
    record Decision(ExecutionPath path, double predictedSparseMs, double predictedDenseMs,
            ChannelClusters.Costs clusterCosts) {
        static Decision of(ExecutionPath path) {
            return of(path, ChannelClusters.Costs.ONE_UNION);
        }

        static Decision of(ExecutionPath path, ChannelClusters.Costs clusterCosts) {
            return new Decision(path, Double.NaN, Double.NaN, clusterCosts);
        }
    }

    /**
     * Returns the sparse paths a block has on a backend, in preference order.
     *
     * @param plan the block
     * @param schedules the backend's spatial schedules
     * @return the candidates (empty: the block always runs dense)
     */
    static List<ExecutionPath> candidates(BlockPlan plan, Set<SpatialSchedule> schedules) {
        List<ExecutionPath> r = new ArrayList<>();
        switch (plan.mode()) {
            case SPATIAL, BOTH -> {
                if (plan.spatialPathsExist()) {
                    for (SpatialSchedule s : SpatialSchedule.values()) {
                        if (schedules.contains(s)) {
                            r.add(ExecutionPath.spatial(s));
                        }
                    }
                }
            }
            case LAYER -> {
                if (plan.spatialGroups() == 1) {
                    r.add(ExecutionPath.LAYER);
                }
            }
            case CHANNEL -> {
                if (plan.channelSlicing()) {
                    r.add(ExecutionPath.CHANNEL);
                    r.add(ExecutionPath.CHANNEL_UNION);
                }
            }
            case NONE -> { }
            default -> throw new IllegalStateException("unknown mode " + plan.mode());
        }
        return r;
    }

    /**
     * Chooses the path of a call.
     *
     * @param mk the call's decisions
     * @param policy the policy
     * @param candidates the block's sparse paths ({@link #candidates})
     * @param cal the block's calibration at this batch size, or null when not calibrated
     * @return the decision
     * @throws IllegalArgumentException if the policy forces a spatial schedule the block cannot run
     */
    static Decision decide(Masks mk, PathPolicy policy, List<ExecutionPath> candidates, BlockCalibration cal) {
        ExecutionPath forced = policy.forced();
        boolean ofKind = forced != null && (forced.isSpatial() ? candidates.stream().anyMatch(ExecutionPath::isSpatial)
                : candidates.contains(ExecutionPath.CHANNEL));
        if (ofKind && !candidates.contains(forced)) {
            throw new IllegalArgumentException("policy " + policy + " is not available for this block on this"
                    + " backend; its sparse paths are " + candidates);
        }
        if (forced != null && !ofKind) {
            // a forced spatial schedule (channel path) leaves other gated blocks on their sparse path
            forced = null;
            policy = PathPolicy.SPARSE;
        }
        if (mk.plan.mode() == GateMode.NONE || mk.allOpen()) {
            return Decision.of(ExecutionPath.DENSE);
        }
        if (mk.allCellsClosed()) {
            return Decision.of(ExecutionPath.SKIP);
        }
        if (candidates.isEmpty() || policy == PathPolicy.DENSE) {
            return Decision.of(ExecutionPath.DENSE);
        }
        ChannelClusters.Costs costs = ChannelClusters.Costs.ONE_UNION;
        LinearCostModel union = cal == null ? null : cal.models().get(ExecutionPath.CHANNEL_UNION);
        double unionT = Double.POSITIVE_INFINITY;
        if (union != null && mk.channels != null) {
            // the union path's clustering: the whole batch or the greedy merge by the model's own costs
            for (ChannelClusters.Costs option : List.of(ChannelClusters.Costs.ONE_UNION,
                    ChannelClusters.Costs.of(union))) {
                double t = union.predict(PathFeatures.of(ExecutionPath.CHANNEL_UNION, mk, option));
                if (t < unionT) {
                    unionT = t;
                    costs = option;
                }
            }
        }
        if (forced != null) {
            return Decision.of(forced, costs);
        }
        ExecutionPath best = candidates.get(0);
        double bestT = Double.NaN;
        if (cal != null) {
            bestT = Double.POSITIVE_INFINITY;
            for (ExecutionPath p : candidates) {
                double t = p == ExecutionPath.CHANNEL_UNION ? unionT : cal.predict(p, PathFeatures.of(p, mk));
                if (t < bestT) {
                    bestT = t;
                    best = p;
                }
            }
        }
        if (policy == PathPolicy.SPARSE) {
            return new Decision(best, bestT, cal == null ? Double.NaN : cal.denseMillis(), costs);
        }
        if (cal == null) {
            throw new IllegalStateException("AUTO needs the block's calibration");
        }
        return new Decision(bestT < cal.denseMillis() ? best : ExecutionPath.DENSE, bestT, cal.denseMillis(), costs);
    }

    /**
     * Returns the strategy of a path.
     *
     * @param path the path
     * @return its strategy
     */
    static BlockPath strategy(ExecutionPath path) {
        return switch (path) {
            case DENSE -> DensePath.INSTANCE;
            case SKIP -> SkipPath.INSTANCE;
            case LAYER -> SampleGroupPath.LAYER;
            case CHANNEL -> SampleGroupPath.CHANNEL;
            case CHANNEL_UNION -> ChannelUnionPath.INSTANCE;
            case SPATIAL_HALO, SPATIAL_WINDOWS, SPATIAL_M1, SPATIAL_ROWS -> SpatialPath.of(path.schedule());
        };
    }
}
