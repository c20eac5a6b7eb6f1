package org.laudnet.models.weights;

import java.util.List;

/**
 * One layer of a Keras functional model as stored in a TF.js {@code model.json}.
 *
 * @param name the layer name, e.g. {@code "res2a_branch2a"}; weights of the layer are named {@code name + "/kernel"},
 *     {@code name + "/bias"}, {@code name + "/gamma"}, ...
 * @param className the Keras class, e.g. {@code "Conv2D"}, {@code "BatchNormalization"}, {@code "Dense"},
 *     {@code "Add"}, {@code "Activation"}, {@code "ZeroPadding2D"}, {@code "MaxPooling2D"}
 * @param inboundLayers names of the layers whose outputs feed this one, in call order (two for {@code Add}, none for
 *     an input layer)
 * @param config the key configuration fields
 */
public record KerasLayer(String name, String className, List<String> inboundLayers, KerasLayerConfig config) {

    /** Class name of Keras 2D convolutions. */
    public static final String CONV2D = "Conv2D";
    /** Class name of Keras batch normalisation. */
    public static final String BATCH_NORMALIZATION = "BatchNormalization";
    /** Class name of Keras fully connected layers. */
    public static final String DENSE = "Dense";

    /** Validates that every component is present and copies the inbound list. */
    public KerasLayer {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got " + name);
        }
        if (className == null || className.isBlank()) {
            throw new IllegalArgumentException("className of layer '" + name + "' must not be blank, got "
                    + className);
        }
        if (inboundLayers == null || config == null) {
            throw new IllegalArgumentException("inboundLayers and config of layer '" + name
                    + "' must not be null");
        }
        inboundLayers = List.copyOf(inboundLayers);
    }

    /**
     * Whether this layer is of the given Keras class.
     *
     * @param kerasClass the class name, e.g. {@link #CONV2D}
     * @return {@code className().equals(kerasClass)}
     */
    public boolean is(String kerasClass) {
        return className.equals(kerasClass);
    }
}
