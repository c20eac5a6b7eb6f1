package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;

/** Creates the {@link FuzzTarget} of a format. Stateless and thread-safe. */
public final class FuzzTargets {

    private FuzzTargets() {}

    /**
     * Creates a format's target, generating its seeds.
     *
     * @param format a format this build reads
     * @param manager a manager for networks (seeds and loads use sub-managers of it)
     * @param work a directory for temporary seed files
     * @return the target
     * @throws IOException if a seed cannot be generated
     */
    public static FuzzTarget create(FuzzFormat format, NDManager manager, Path work) throws IOException {
        return switch (format) {
            case LAUD -> new LaudFuzzTarget(manager, work);
            case PLAN -> new PlanFuzzTarget(manager);
            case SAFETENSORS -> new SafetensorsFuzzTarget(manager, work);
            case TFJS -> new TfjsFuzzTarget();
            case CHECKPOINT -> new CheckpointFuzzTarget(manager, work);
            case IDX -> new IdxFuzzTarget();
            case IMAGE -> new ImageFuzzTarget();
            case PROFILE -> new ProfileFuzzTarget();
            case PTH -> new PthFuzzTarget(manager, work);
        };
    }
}
