package org.laudnet.models.train;

/** Where the training labels of a {@link FineTuning} run come from. */
public enum LabelSource {
    /** {@link #IMAGENET} when the head has the 1000 ImageNet classes and every class directory names one. */
    AUTO,
    /**
     * Class directories named after ImageNet classes ({@code bald_eagle}, {@code Bald eagle}, case-insensitive) or by
     * class index ({@code 0}-{@code 999}); needs a 1000-class head and the ImageNet labels.
     */
    IMAGENET,
    /** The static teacher's top-1 prediction of every image (self-distillation; any directory names). */
    TEACHER;

    /**
     * Parses {@code auto}, {@code imagenet} or {@code teacher} (case-insensitive).
     *
     * @param text the text
     * @return the source
     * @throws IllegalArgumentException naming the text otherwise
     */
    public static LabelSource parse(String text) {
        if (text != null) {
            for (LabelSource s : values()) {
                if (s.name().equalsIgnoreCase(text.trim())) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("labels must be auto, imagenet or teacher, got '" + text + "'");
    }
}
