package org.laudnet.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;
import java.util.Random;

/** Helpers shared by the tests of every module: seeded random arrays, tolerance checks, perturbed BatchNorms. */
public final class TestArrays {

    private TestArrays() {}

    /**
     * A seeded standard-normal array.
     *
     * @param manager owner of the result
     * @param seed the seed
     * @param shape the shape
     * @return the array
     */
    public static NDArray randn(NDManager manager, long seed, Shape shape) {
        Random r = new Random(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return manager.create(v, shape);
    }

    /**
     * A seeded 0/1 array with the given probability of ones.
     *
     * @param manager owner of the result
     * @param seed the seed
     * @param shape the shape
     * @param density probability of a one
     * @return the array
     */
    public static NDArray randomMask(NDManager manager, long seed, Shape shape, double density) {
        Random r = new Random(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextDouble() < density ? 1f : 0f;
        }
        return manager.create(v, shape);
    }

    /**
     * Asserts equal shapes and {@code max|a - b| / max(1e-12, max|b|) <= relTol}.
     *
     * @param expected the reference
     * @param actual the value under test
     * @param relTol relative tolerance
     */
    public static void assertClose(NDArray expected, NDArray actual, double relTol) {
        assertClose(expected, actual, relTol, "");
    }

    /**
     * As {@link #assertClose(NDArray, NDArray, double)}, with a description of the case in the failure message.
     *
     * @param expected the reference
     * @param actual the value under test
     * @param relTol relative tolerance
     * @param what the case, prefixed to the failure message
     */
    public static void assertClose(NDArray expected, NDArray actual, double relTol, String what) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double maxDiff = 0;
        double scale = 1e-12;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(e[i] - a[i]));
            scale = Math.max(scale, Math.abs(e[i]));
        }
        assertTrue(maxDiff / scale <= relTol,
                what + ": relative error " + (maxDiff / scale) + " > " + relTol + " (max abs diff " + maxDiff + ")");
    }

    /**
     * Sets an initialised BatchNorm's parameters and running statistics far from the identity, so that folding it
     * into a convolution is exercised: gamma in [0.5, 1.5), beta ~ N(0, 0.3^2), running mean ~ N(0, 0.2^2), running
     * variance in [0.5, 1.5).
     *
     * @param bn the BatchNorm
     * @param r the random source
     */
    public static void perturbBatchNorm(BatchNorm bn, Random r) {
        bn.getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = switch (p.getKey()) {
                    case "gamma" -> (float) (0.5 + r.nextDouble());
                    case "beta" -> (float) (0.3 * r.nextGaussian());
                    case "runningMean" -> (float) (0.2 * r.nextGaussian());
                    default -> (float) (0.5 + r.nextDouble());
                };
            }
            a.set(v);
        });
    }
}
