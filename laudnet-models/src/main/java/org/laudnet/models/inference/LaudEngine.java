package org.laudnet.models.inference;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/**
 * A DJL {@link Engine} whose models are {@link LaudModel}s, so that DJL's {@code Criteria} loads {@code .laud} files:
 * {@code Criteria.builder()...optModelPath(path).optEngine(LaudEngine.ENGINE_NAME)}. Arrays, managers and gradients
 * are the PyTorch engine's (its alternative engine); the engine only decides what a model is. Registered through
 * {@link LaudEngineProvider} with a rank that never makes it DJL's default engine. Thread-safe.
 */
public final class LaudEngine extends Engine {

    /** The engine's name, for {@code Criteria.Builder.optEngine}. */
    public static final String ENGINE_NAME = "LAUDNet";

    /** The rank DJL orders engines by (lower wins the default); far behind every real engine. */
    static final int RANK = 100;

    private final Engine pytorch;

    LaudEngine() {
        this.pytorch = Engine.getEngine("PyTorch");
    }

    /** {@inheritDoc} */
    @Override
    public Engine getAlternativeEngine() {
        return pytorch;
    }

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getRank() {
        return RANK;
    }

    /** Returns the PyTorch engine's version, on which every array operation runs. */
    @Override
    public String getVersion() {
        return pytorch.getVersion();
    }

    /** {@inheritDoc} */
    @Override
    public boolean hasCapability(String capability) {
        return pytorch.hasCapability(capability);
    }

    /** Returns a new, empty {@link LaudDjlModel} (its {@code load} reads a {@code .laud} file). */
    @Override
    public Model newModel(String name, Device device) {
        return new LaudDjlModel(name);
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager() {
        return pytorch.newBaseManager();
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager(Device device) {
        return pytorch.newBaseManager(device);
    }

    /** {@inheritDoc} */
    @Override
    public GradientCollector newGradientCollector() {
        return pytorch.newGradientCollector();
    }

    /** {@inheritDoc} */
    @Override
    public void setRandomSeed(int seed) {
        pytorch.setRandomSeed(seed);
    }
}
