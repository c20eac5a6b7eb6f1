package org.laudnet.cuda;

import java.util.Arrays;

/**
 * Host-side plan of layer skipping (method section 4): which samples of a batch run the residual branch.
 *
 * <p>From a per-sample gate {@code (B)} (non-zero = run) it lists the active sample indices {@code idx} (ascending)
 * used by the gather kernel ({@code dst[i] = src[idx[i]]}) and by the scatter kernel
 * ({@code out[idx[i]] = ReLU(identity[idx[i]] + branch[i])}); the inactive samples get {@code ReLU(identity)}.
 */
public final class SamplePlan {

    private final int batch;
    private final int[] active;
    private final int[] inactive;

    private SamplePlan(int batch, int[] active, int[] inactive) {
        this.batch = batch;
        this.active = active;
        this.inactive = inactive;
    }

    /**
     * Builds the plan from a gate.
     *
     * @param gate {@code (B)}, non-zero = the sample runs the branch
     * @return the plan
     * @throws IllegalArgumentException if the gate is null or empty
     */
    public static SamplePlan fromGate(int[] gate) {
        if (gate == null || gate.length == 0) {
            throw new IllegalArgumentException("gate must have at least one entry, got "
                    + (gate == null ? "null" : "length 0"));
        }
        int n = 0;
        for (int g : gate) {
            if (g != 0) {
                n++;
            }
        }
        int[] on = new int[n];
        int[] off = new int[gate.length - n];
        int a = 0;
        int z = 0;
        for (int b = 0; b < gate.length; b++) {
            if (gate[b] != 0) {
                on[a++] = b;
            } else {
                off[z++] = b;
            }
        }
        return new SamplePlan(gate.length, on, off);
    }

    /** Returns {@code B}. */
    public int batch() {
        return batch;
    }

    /** Returns the number of samples that run the branch. */
    public int activeCount() {
        return active.length;
    }

    /** Returns a copy of the active sample indices (ascending). */
    public int[] activeIndices() {
        return active.clone();
    }

    /** Returns a copy of the inactive sample indices (ascending). */
    public int[] inactiveIndices() {
        return inactive.clone();
    }

    /** Returns the gate as {@code (B)} ints, 1 = active: also the {@code (B, 1, 1)} mask of the fill kernel. */
    public int[] gate() {
        int[] g = new int[batch];
        for (int b : active) {
            g[b] = 1;
        }
        return g;
    }

    /**
     * Launch of the sample gather or scatter kernel.
     *
     * @param perSample elements per sample ({@code C H W})
     * @return an element-wise launch over {@code n perSample} elements
     */
    public LaunchConfig gatherLaunch(int perSample) {
        if (perSample <= 0) {
            throw new IllegalArgumentException("perSample must be positive, got " + perSample);
        }
        return LaunchConfig.elementwise((long) active.length * perSample);
    }

    @Override
    public String toString() {
        return "SamplePlan[batch=" + batch + ", active=" + Arrays.toString(active) + "]";
    }
}
