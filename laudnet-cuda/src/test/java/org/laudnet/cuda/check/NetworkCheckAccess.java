package org.laudnet.cuda.check;

import java.util.List;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.plan.InferencePlan;

/** Test access to the GPU check's seeded network variants and its way of running them. */
public final class NetworkCheckAccess {

    private NetworkCheckAccess() {}

    /**
     * Returns the labels ({@code "network / variant"}) of every seeded variant: ResNet-18/34/50/101 and
     * RegNetY-400MF/800MF in every gate mode, and the extra gate settings ({@link Networks#everyArchitecture()}).
     */
    public static List<String> variantNames() {
        return Networks.everyArchitecture().stream().map(Networks.Variant::label).toList();
    }

    /**
     * Builds a variant's plan.
     *
     * @param label {@code "network / variant"}
     * @param size the input side, a multiple of 32
     * @return the plan
     */
    public static InferencePlan plan(String label, int size) {
        return Networks.everyArchitecture().stream().filter(v -> v.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no variant " + label)).plan(size);
    }

    /**
     * Seeded images.
     *
     * @param batch {@code B}
     * @param size the side
     * @return {@code (B, 3, size, size)}
     */
    public static float[] images(int batch, int size) {
        return Networks.images(batch, size, 41 + batch);
    }

    /**
     * Runs a plan once as the GPU check does.
     *
     * @param rt the runtime
     * @param x the images
     * @param batch {@code B}
     * @param policy the policy
     * @param density the imposed density, or NaN for the maskers' own decisions
     * @return the result
     */
    public static HostExecution run(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, double density) {
        return NetworkCheck.run(rt, x, batch, policy, density);
    }
}
