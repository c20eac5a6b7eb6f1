package org.laudnet.models.weights;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The fields of a Keras layer configuration that matter for rebuilding a convolutional network. A field the layer's
 * configuration does not have is empty (an empty list, or an empty optional).
 *
 * @param filters {@code filters} of a convolution (output channels)
 * @param units {@code units} of a Dense layer (output features)
 * @param kernelSize {@code kernel_size} of a convolution, {@code [kh, kw]}
 * @param strides {@code strides} of a convolution or pooling layer, {@code [sh, sw]}
 * @param poolSize {@code pool_size} of a pooling layer
 * @param dilationRate {@code dilation_rate} of a convolution
 * @param groups {@code groups} of a grouped convolution (absent in older Keras versions, meaning 1)
 * @param padding the padding mode string, {@code "valid"} or {@code "same"}
 * @param paddingAmounts explicit zero padding of a ZeroPadding2D layer as {@code [top, bottom, left, right]}
 * @param useBias {@code use_bias} of a convolution or Dense layer
 * @param epsilon {@code epsilon} of a BatchNormalization layer, added to the variance:
 *     {@code y = gamma (x - mean) / sqrt(var + epsilon) + beta}
 * @param center {@code center} of a BatchNormalization layer (whether {@code beta} exists)
 * @param scale {@code scale} of a BatchNormalization layer (whether {@code gamma} exists)
 * @param activation the {@code activation} function name, e.g. {@code "relu"}, {@code "linear"}, {@code "softmax"}
 */
public record KerasLayerConfig(
        OptionalInt filters,
        OptionalInt units,
        List<Integer> kernelSize,
        List<Integer> strides,
        List<Integer> poolSize,
        List<Integer> dilationRate,
        OptionalInt groups,
        Optional<String> padding,
        List<Integer> paddingAmounts,
        Optional<Boolean> useBias,
        OptionalDouble epsilon,
        Optional<Boolean> center,
        Optional<Boolean> scale,
        Optional<String> activation) {

    /** Rejects null components and copies the lists. */
    public KerasLayerConfig {
        if (filters == null || units == null || groups == null || padding == null || useBias == null
                || epsilon == null || center == null || scale == null || activation == null) {
            throw new IllegalArgumentException("optional fields must not be null (use empty)");
        }
        kernelSize = copy("kernelSize", kernelSize);
        strides = copy("strides", strides);
        poolSize = copy("poolSize", poolSize);
        dilationRate = copy("dilationRate", dilationRate);
        paddingAmounts = copy("paddingAmounts", paddingAmounts);
    }

    private static List<Integer> copy(String name, List<Integer> list) {
        if (list == null) {
            throw new IllegalArgumentException(name + " must not be null (use an empty list)");
        }
        return List.copyOf(list);
    }

    /**
     * A configuration with every field absent (layers such as Add or Activation without weights-related fields).
     *
     * @return the empty configuration
     */
    public static KerasLayerConfig empty() {
        return new KerasLayerConfig(OptionalInt.empty(), OptionalInt.empty(), List.of(), List.of(), List.of(),
                List.of(), OptionalInt.empty(), Optional.empty(), List.of(), Optional.empty(), OptionalDouble.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
    }
}
