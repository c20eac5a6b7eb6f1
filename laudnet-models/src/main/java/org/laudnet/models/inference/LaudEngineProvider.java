package org.laudnet.models.inference;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineProvider;

/** Registers {@link LaudEngine} with DJL (through {@code META-INF/services}); the engine is created at first use. */
public final class LaudEngineProvider implements EngineProvider {

    private static volatile Engine engine;

    /** Creates the provider (DJL's service loader calls this). */
    public LaudEngineProvider() {}

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return LaudEngine.ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getEngineRank() {
        return LaudEngine.RANK;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        if (engine == null) {
            synchronized (LaudEngineProvider.class) {
                if (engine == null) {
                    engine = new LaudEngine();
                }
            }
        }
        return engine;
    }
}
