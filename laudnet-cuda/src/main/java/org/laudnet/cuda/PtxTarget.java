package org.laudnet.cuda;

/**
 * One shipped PTX file of the kernels: the generic baseline {@code compute_70} (every GPU from V100 on can JIT it) or
 * a file compiled for one architecture {@code sm_XX} (the TF32 tensor-core kernels exist only from {@code sm_80}).
 * Both forms declare {@code .target sm_XX} in the PTX; they differ in what they are chosen for.
 *
 * <p>Immutable and thread-safe.
 *
 * @param sm the architecture number, e.g. {@code 86} for {@code sm_86}
 * @param baseline whether this is the generic {@code compute_XX} baseline
 */
public record PtxTarget(int sm, boolean baseline) {

    /** Validates the architecture number. */
    public PtxTarget {
        if (sm < 10 || sm > 999) {
            throw new IllegalArgumentException("sm must be in [10, 999], got " + sm);
        }
    }

    /**
     * The baseline PTX of an architecture.
     *
     * @param sm e.g. {@code 70}
     * @return {@code compute_sm}
     */
    public static PtxTarget compute(int sm) {
        return new PtxTarget(sm, true);
    }

    /**
     * The architecture-specific PTX of an architecture.
     *
     * @param sm e.g. {@code 86}
     * @return {@code sm_sm}
     */
    public static PtxTarget sm(int sm) {
        return new PtxTarget(sm, false);
    }

    /**
     * Parses a name as {@link #name()} writes it.
     *
     * @param name {@code compute_XX} or {@code sm_XX}
     * @return the target
     * @throws IllegalArgumentException if the name has neither form (the message quotes it)
     */
    public static PtxTarget parse(String name) {
        if (name != null) {
            String n = name.strip();
            try {
                if (n.startsWith("compute_")) {
                    return compute(Integer.parseInt(n.substring("compute_".length())));
                }
                if (n.startsWith("sm_")) {
                    return sm(Integer.parseInt(n.substring("sm_".length())));
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("a PTX target is compute_XX or sm_XX, got '" + name + "'");
    }

    /** Returns {@code compute_XX} or {@code sm_XX}. */
    public String name() {
        return (baseline ? "compute_" : "sm_") + sm;
    }

    /** Returns the file name in the jar: {@code laudnet_compute_70.ptx}, {@code laudnet_sm_86.ptx}. */
    public String fileName() {
        return "laudnet_" + name() + ".ptx";
    }

    /** Returns the compute capability the PTX is compiled for (its {@code .target}). */
    public ComputeCapability capability() {
        return ComputeCapability.ofSm(sm);
    }

    @Override
    public String toString() {
        return name();
    }
}
