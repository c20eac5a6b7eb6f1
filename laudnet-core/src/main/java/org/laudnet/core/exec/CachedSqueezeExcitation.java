package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import org.laudnet.core.block.ResidualBlockLayers;

/**
 * The two fully connected layers of a squeeze-excitation on the executor's own arrays, as matrices for
 * {@link Linear#linear}: {@code scale = sigmoid(W2 ReLU(W1 pooled + b1) + b2)} with {@code W1: (q, w)},
 * {@code W2: (w, q)}. Host copies allow slicing to the active channels of a channel pattern: {@code W1}'s columns
 * and {@code W2}'s rows (exact when the inactive channels are zero, since their columns then add nothing and their
 * rows only scale zeros).
 */
final class CachedSqueezeExcitation {

    private final float[] hostW1;
    private final float[] hostB1;
    private final float[] hostW2;
    private final float[] hostB2;
    private final int width;
    private final int squeeze;
    private final NDArray w1;
    private final NDArray b1;
    private final NDArray w2;
    private final NDArray b2;

    private CachedSqueezeExcitation(float[] hostW1, float[] hostB1, float[] hostW2, float[] hostB2, int width,
            int squeeze, NDManager manager) {
        this.hostW1 = hostW1;
        this.hostB1 = hostB1;
        this.hostW2 = hostW2;
        this.hostB2 = hostB2;
        this.width = width;
        this.squeeze = squeeze;
        this.w1 = manager.create(hostW1, new Shape(squeeze, width));
        this.b1 = manager.create(hostB1, new Shape(squeeze));
        this.w2 = manager.create(hostW2, new Shape(width, squeeze));
        this.b2 = manager.create(hostB2, new Shape(width));
    }

    /**
     * Copies the layers of a block's squeeze-excitation.
     *
     * @param layers the 1x1 convolutions {@code fc1: w -> q} and {@code fc2: q -> w}, both with bias
     * @param width the block's inner width {@code w}
     * @param manager owner of the copies
     * @return the cached layers
     * @throws IllegalArgumentException if a parameter is missing or the shapes do not match {@code w}
     */
    static CachedSqueezeExcitation of(ResidualBlockLayers.SqueezeExcitation layers, int width, NDManager manager) {
        NDArray fc1 = parameter(layers.fc1(), "weight", "fc1");
        NDArray fc2 = parameter(layers.fc2(), "weight", "fc2");
        Shape s1 = fc1.getShape();
        Shape s2 = fc2.getShape();
        int q = (int) s1.get(0);
        if (s1.dimension() != 4 || s1.get(1) != width || s1.get(2) != 1 || s1.get(3) != 1) {
            throw new IllegalArgumentException("squeeze-excitation fc1 weight must be (q, " + width + ", 1, 1), got "
                    + s1);
        }
        if (!s2.equals(new Shape(width, q, 1, 1))) {
            throw new IllegalArgumentException("squeeze-excitation fc2 weight must be (" + width + ", " + q
                    + ", 1, 1), got " + s2);
        }
        return new CachedSqueezeExcitation(fc1.toFloatArray(), parameter(layers.fc1(), "bias", "fc1").toFloatArray(),
                fc2.toFloatArray(), parameter(layers.fc2(), "bias", "fc2").toFloatArray(), width, q, manager);
    }

    private static NDArray parameter(Conv2d conv, String name, String layer) {
        Parameter p = conv.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalArgumentException("squeeze-excitation " + layer + " parameter '" + name
                    + "' is missing or not initialized");
        }
        return p.getArray();
    }

    /** Returns the squeeze width {@code q}. */
    int squeezeChannels() {
        return squeeze;
    }

    /**
     * Returns the layers restricted to the inner channels {@code idx}: {@code W1[:, idx]}, {@code b1},
     * {@code W2[idx, :]}, {@code b2[idx]}.
     *
     * @param idx kept inner channels, ascending
     * @param manager owner of the sliced arrays
     * @return the sliced layers ({@code w = idx.length})
     */
    CachedSqueezeExcitation slice(int[] idx, NDManager manager) {
        int n = idx.length;
        float[] sw1 = new float[squeeze * n];
        for (int r = 0; r < squeeze; r++) {
            for (int j = 0; j < n; j++) {
                sw1[r * n + j] = hostW1[r * width + idx[j]];
            }
        }
        float[] sw2 = new float[n * squeeze];
        float[] sb2 = new float[n];
        for (int j = 0; j < n; j++) {
            System.arraycopy(hostW2, idx[j] * squeeze, sw2, j * squeeze, squeeze);
            sb2[j] = hostB2[idx[j]];
        }
        return new CachedSqueezeExcitation(sw1, hostB1.clone(), sw2, sb2, n, squeeze, manager);
    }

    /**
     * The excitation scales of pooled activations: {@code sigmoid(W2 ReLU(W1 pooled + b1) + b2)}.
     *
     * @param pooled per-sample channel means {@code (N, w)}
     * @return the scales {@code (N, w)}, in the manager of {@code pooled}
     */
    NDArray scale(NDArray pooled) {
        NDArray z = Activation.relu(Linear.linear(pooled, w1, b1).head());
        return Activation.sigmoid(Linear.linear(z, w2, b2).head());
    }

    /** Closes the engine copies. */
    void close() {
        w1.close();
        b1.close();
        w2.close();
        b2.close();
    }
}
