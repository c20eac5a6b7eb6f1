package org.laudnet.core.block;

import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.Optional;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.SpatialGate;

/**
 * The layers of a gated residual block that an eval-mode executor needs, independent of the block class that owns
 * them ({@link GatedResidualBlock}, or a block of a model module such as a RegNetY block with squeeze-excitation).
 *
 * <p>The described computation, on input {@code x: (B, Cin, Hin, Win)} (bottleneck; a basic block has no conv3 and
 * no squeeze-excitation, and its conv2 output is the branch):
 *
 * <pre>
 *   identity = downsample ? BN_d(conv_d(x)) : x
 *   h = ReLU(BN1(conv1(x)))      * channelMask                               (B, w, H1, W1)
 *   h = ReLU(BN2(conv2(h)))      * channelMask                               (B, w, Hout, Wout)
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))    (only with squeeze-excitation)
 *   h = BN3(conv3(h))            * M3                                        (B, Cout, Hout, Wout)
 *   y = ReLU(h + identity)
 * </pre>
 *
 * where {@code pool_M2(h)[b, c] = sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)} is the mean over the positions
 * the block computes ({@code M2} = the spatial mask nearest-upsampled to {@code Hout x Wout}, the union over mask
 * groups; {@code M2 = 1} without a spatial gate, which makes it the global average pool).
 *
 * @param geometry the block geometry
 * @param gateSpec how the block is gated
 * @param conv1 the first convolution and its BatchNorm
 * @param conv2 the 3x3 convolution (possibly grouped, see {@link BlockGeometry#convGroups()}) and its BatchNorm
 * @param conv3 the last 1x1 convolution and its BatchNorm; present exactly for a bottleneck
 * @param downsample the projection of the identity and its BatchNorm; present exactly when the geometry has one
 * @param spatialGate the spatial (or layer) gate; present exactly when the gate mode has one
 * @param channelGate the channel gate; present exactly when the gate mode has one
 * @param squeezeExcitation the squeeze-excitation between conv2 and conv3, if the block has one (bottlenecks only)
 */
public record ResidualBlockLayers(
        BlockGeometry geometry,
        GateSpec gateSpec,
        ConvBn conv1,
        ConvBn conv2,
        Optional<ConvBn> conv3,
        Optional<ConvBn> downsample,
        Optional<SpatialGate> spatialGate,
        Optional<ChannelGate> channelGate,
        Optional<SqueezeExcitation> squeezeExcitation) {

    /**
     * A convolution followed by a BatchNorm.
     *
     * @param conv the convolution (weight {@code (O, I / groups, k, k)}, optional bias)
     * @param bn the BatchNorm over its {@code O} output channels
     */
    public record ConvBn(Conv2d conv, BatchNorm bn) {

        /**
         * Validates the pair.
         *
         * @throws IllegalArgumentException if a layer is null
         */
        public ConvBn {
            if (conv == null) {
                throw new IllegalArgumentException("conv must not be null");
            }
            if (bn == null) {
                throw new IllegalArgumentException("bn must not be null");
            }
        }
    }

    /**
     * The two fully connected layers of a squeeze-excitation, as 1x1 convolutions with bias:
     * {@code scale = sigmoid(fc2(ReLU(fc1(pooled))))}, {@code fc1: w -> q}, {@code fc2: q -> w}.
     *
     * @param fc1 the squeeze layer (weight {@code (q, w, 1, 1)}, bias {@code (q)})
     * @param fc2 the excitation layer (weight {@code (w, q, 1, 1)}, bias {@code (w)})
     */
    public record SqueezeExcitation(Conv2d fc1, Conv2d fc2) {

        /**
         * Validates the pair.
         *
         * @throws IllegalArgumentException if a layer is null
         */
        public SqueezeExcitation {
            if (fc1 == null) {
                throw new IllegalArgumentException("fc1 must not be null");
            }
            if (fc2 == null) {
                throw new IllegalArgumentException("fc2 must not be null");
            }
        }
    }

    /**
     * Validates that the present layers are those the geometry and the gate mode call for.
     *
     * @throws IllegalArgumentException naming the first missing, superfluous or null component
     */
    public ResidualBlockLayers {
        if (geometry == null) {
            throw new IllegalArgumentException("geometry must not be null");
        }
        if (gateSpec == null) {
            throw new IllegalArgumentException("gateSpec must not be null");
        }
        if (conv1 == null || conv2 == null) {
            throw new IllegalArgumentException("conv1 and conv2 must not be null, got conv1 = " + conv1
                    + ", conv2 = " + conv2);
        }
        if (conv3 == null || downsample == null || spatialGate == null || channelGate == null
                || squeezeExcitation == null) {
            throw new IllegalArgumentException("optional layers must be Optional.empty(), not null");
        }
        boolean bottleneck = geometry.type() == BlockType.BOTTLENECK;
        if (conv3.isPresent() != bottleneck) {
            throw new IllegalArgumentException("conv3 must be present exactly for a bottleneck, type is "
                    + geometry.type() + ", conv3 present = " + conv3.isPresent());
        }
        if (downsample.isPresent() != geometry.hasDownsample()) {
            throw new IllegalArgumentException("downsample must be present exactly when the geometry has one ("
                    + geometry.hasDownsample() + "), present = " + downsample.isPresent());
        }
        GateMode mode = gateSpec.mode();
        if (spatialGate.isPresent() != mode.hasSpatialGate()) {
            throw new IllegalArgumentException("spatialGate must be present exactly for a spatial or layer gate, mode "
                    + mode + ", present = " + spatialGate.isPresent());
        }
        if (channelGate.isPresent() != mode.hasChannelGate()) {
            throw new IllegalArgumentException("channelGate must be present exactly for a channel gate, mode "
                    + mode + ", present = " + channelGate.isPresent());
        }
        if (squeezeExcitation.isPresent() && !bottleneck) {
            throw new IllegalArgumentException("squeezeExcitation needs a bottleneck block, type is "
                    + geometry.type());
        }
    }
}
