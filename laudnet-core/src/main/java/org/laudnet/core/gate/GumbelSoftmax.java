package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.laudnet.core.util.Checks;
import org.laudnet.core.util.ScalarOps;

/**
 * Hard Gumbel-softmax over a keep/skip axis with a straight-through gradient (method section 2).
 *
 * <p>Logits have shape {@code (B, 2, ...)}: index 0 along axis 1 is the keep logit, index 1 the skip logit. In
 * training, with {@code u ~ U(eps, 1 - eps)} and {@code g = -log(-log u)}:
 *
 * <pre>
 *   y_soft = softmax((logits + g) / tau)   over axis 1
 *   y_hard = one_hot(argmax(logits + g))
 *   y      = y_hard - stopGradient(y_soft) + y_soft
 * </pre>
 *
 * and the keep component {@code y[:, 0]} is returned: its value is exactly 0 or 1, its gradient that of the soft
 * keep probability. In evaluation the rule is deterministic: keep where {@code keep >= skip}.
 */
public final class GumbelSoftmax {

    /** Bound that keeps the uniform noise away from 0 and 1, so the double logarithm stays finite. */
    public static final float EPS = 1e-6f;

    private GumbelSoftmax() {}

    /**
     * Training-mode hard keep mask with a straight-through gradient.
     *
     * @param logits keep/skip logits, shape {@code (B, 2, ...)}
     * @param tau Gumbel temperature, positive
     * @param uniform noise in {@code (0, 1)} with the shape of {@code logits} (see {@link #sampleUniform})
     * @return the keep mask, shape {@code (B, ...)}, values in {0, 1}
     * @throws IllegalArgumentException if the logits are not of shape {@code (B, 2, ...)}, contain NaN, the noise
     *     shape differs, or {@code tau} is not positive
     */
    public static NDArray hardKeep(NDArray logits, float tau, NDArray uniform) {
        return hardKeep(logits, tau, 1f, uniform);
    }

    /**
     * Training-mode hard keep mask with scaled noise: as {@link #hardKeep(NDArray, float, NDArray)} with the
     * perturbation {@code logits + s * g}. {@code s = 1} is the Gumbel-softmax; {@code s = 0} makes the forward
     * decision the evaluation rule {@code keep >= skip} while the gradient stays that of {@code softmax(logits / tau)}.
     *
     * @param logits keep/skip logits, shape {@code (B, 2, ...)}
     * @param tau Gumbel temperature, positive
     * @param noiseScale {@code s}, in [0, 1]
     * @param uniform noise in {@code (0, 1)} with the shape of {@code logits}
     * @return the keep mask, shape {@code (B, ...)}, values in {0, 1}
     * @throws IllegalArgumentException if an argument is invalid (named in the message)
     */
    public static NDArray hardKeep(NDArray logits, float tau, float noiseScale, NDArray uniform) {
        checkLogits(logits);
        if (!(noiseScale >= 0 && noiseScale <= 1)) {
            throw new IllegalArgumentException("noiseScale must be in [0, 1], got " + noiseScale);
        }
        if (!(tau > 0) || !Float.isFinite(tau)) {
            throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
        }
        if (!uniform.getShape().equals(logits.getShape())) {
            throw new IllegalArgumentException(
                    "uniform noise shape " + uniform.getShape() + " must equal logits shape " + logits.getShape());
        }
        NDArray gumbel = uniform.log().neg().log().neg();
        NDArray perturbed = noiseScale == 1f ? logits.add(gumbel) : logits.add(gumbel.mul(noiseScale));
        NDArray keepSoft = ScalarOps.div(perturbed, tau).softmax(1).get(":, 0");
        NDArray keepHard = perturbed.get(":, 0").gte(perturbed.get(":, 1")).toType(logits.getDataType(), false);
        return keepHard.sub(keepSoft.stopGradient()).add(keepSoft);
    }

    /**
     * Evaluation-mode keep mask: 1 where the keep logit is at least the skip logit.
     *
     * @param logits keep/skip logits, shape {@code (B, 2, ...)}
     * @return the keep mask, shape {@code (B, ...)}, values in {0, 1}, no gradient
     * @throws IllegalArgumentException if the logits are not of shape {@code (B, 2, ...)} or contain NaN
     */
    public static NDArray evalKeep(NDArray logits) {
        checkLogits(logits);
        return logits.get(":, 0").gte(logits.get(":, 1")).toType(logits.getDataType(), false);
    }

    /**
     * Draws uniform noise in {@code [EPS, 1 - EPS]} from a Java random source, so that a seeded gate reproduces its
     * masks regardless of what else the engine's global generator was used for.
     *
     * @param manager the manager that owns the result
     * @param shape the noise shape
     * @param random the random source
     * @return a float32 array of the given shape
     */
    public static NDArray sampleUniform(NDManager manager, Shape shape, Random random) {
        long size = shape.size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("noise shape too large: " + shape);
        }
        float[] u = new float[(int) size];
        for (int i = 0; i < u.length; i++) {
            u[i] = EPS + (1 - 2 * EPS) * random.nextFloat();
        }
        return manager.create(u, shape);
    }

    private static void checkLogits(NDArray logits) {
        Shape shape = logits.getShape();
        if (shape.dimension() < 2 || shape.get(1) != 2) {
            throw new IllegalArgumentException("logits must have shape (B, 2, ...), got " + shape);
        }
        if (logits.getDataType() != DataType.FLOAT32 && logits.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("logits must be floating point, got " + logits.getDataType());
        }
        Checks.noNaN("logits", logits);
    }
}
