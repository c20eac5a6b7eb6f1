package org.laudnet.models.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.imagenet.ImagePreprocessing;

/**
 * What a model file records besides the network: how images are turned into its input, and the names of its classes.
 * Whether it fits a network is {@link #checkFits}'s question; model files and models check it when they pair the two.
 * Immutable and thread-safe.
 *
 * @param preprocessing the image preprocessing the network was trained with, or null when none is known
 * @param labels the class names, one per class of the head in class order, or an empty list when none are known (at
 *     most {@value #MAX_LABELS} entries of at most {@value #MAX_LABEL_LENGTH} characters each)
 */
public record ModelMetadata(ImagePreprocessing preprocessing, List<String> labels) {

    /** The most labels a model file may hold. */
    public static final int MAX_LABELS = 100_000;

    /** The most characters a label may have. */
    public static final int MAX_LABEL_LENGTH = 1000;

    private static final ModelMetadata NONE = new ModelMetadata(null, List.of());

    /**
     * Validates and copies the labels.
     *
     * @throws IllegalArgumentException if there are more than {@value #MAX_LABELS} labels, or a label is null or longer
     *     than {@value #MAX_LABEL_LENGTH} characters
     */
    public ModelMetadata {
        if (labels == null) {
            labels = List.of();
        }
        if (labels.size() > MAX_LABELS) {
            throw new IllegalArgumentException("labels must have at most " + MAX_LABELS + " entries, got "
                    + labels.size());
        }
        List<String> copy = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            String l = labels.get(i);
            if (l == null) {
                throw new IllegalArgumentException("labels[" + i + "] must not be null");
            }
            if (l.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("labels[" + i + "] must have at most " + MAX_LABEL_LENGTH
                        + " characters, got " + l.length());
            }
            copy.add(l);
        }
        labels = List.copyOf(copy);
    }

    /** Returns the metadata of a model of which nothing is known: no preprocessing, no labels. */
    public static ModelMetadata none() {
        return NONE;
    }

    /** Returns the preprocessing, if known. */
    public Optional<ImagePreprocessing> optPreprocessing() {
        return Optional.ofNullable(preprocessing);
    }

    /** Returns whether class names are known. */
    public boolean hasLabels() {
        return !labels.isEmpty();
    }

    /**
     * Returns this metadata with another preprocessing.
     *
     * @param newPreprocessing the preprocessing, or null for none
     * @return the metadata
     */
    public ModelMetadata withPreprocessing(ImagePreprocessing newPreprocessing) {
        return new ModelMetadata(newPreprocessing, labels);
    }

    /**
     * Returns this metadata with other labels.
     *
     * @param newLabels the class names (empty for none)
     * @return the metadata
     */
    public ModelMetadata withLabels(List<String> newLabels) {
        return new ModelMetadata(preprocessing, newLabels);
    }

    /**
     * Checks that this metadata fits a network: one label per class (when there are labels), and a preprocessing (when
     * there is one) that produces the network's input, its stem's channels at its input size.
     *
     * @param net the network
     * @throws IllegalArgumentException naming what does not fit
     */
    public void checkFits(GatedNetwork net) {
        if (net == null) {
            throw new IllegalArgumentException("net must not be null");
        }
        if (hasLabels() && labels.size() != net.getNumClasses()) {
            throw new IllegalArgumentException("labels must have one entry per class (" + net.getNumClasses()
                    + "), got " + labels.size());
        }
        int channels = net.getStem().inChannels();
        int size = net.getInputSize();
        if (preprocessing != null && (preprocessing.cropSize() != size || preprocessing.channels() != channels)) {
            throw new IllegalArgumentException("preprocessing must produce the network's input (" + channels
                    + " channels, " + size + "x" + size + "), got " + preprocessing.channels() + " channels, "
                    + preprocessing.cropSize() + "x" + preprocessing.cropSize());
        }
    }
}
