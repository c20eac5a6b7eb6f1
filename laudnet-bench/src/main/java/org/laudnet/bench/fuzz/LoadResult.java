package org.laudnet.bench.fuzz;

/**
 * What a reader returned for one fuzz case: a short summary of the loaded object and, when the object is not valid
 * (partially initialised, non-finite, unusable), what is wrong with it. Immutable and thread-safe.
 *
 * @param summary what was loaded, e.g. {@code "resnet, 2 blocks, 4 classes"}
 * @param defect what is wrong with the object, or null if it is valid
 */
public record LoadResult(String summary, String defect) {

    /**
     * A valid object.
     *
     * @param summary what was loaded
     * @return the result
     */
    public static LoadResult valid(String summary) {
        return new LoadResult(summary, null);
    }

    /**
     * An object the reader should not have returned.
     *
     * @param summary what was loaded
     * @param defect what is wrong with it
     * @return the result
     */
    public static LoadResult defective(String summary, String defect) {
        return new LoadResult(summary, defect);
    }

    /**
     * Returns whether the object is valid.
     *
     * @return true if there is no defect
     */
    public boolean isValid() {
        return defect == null;
    }
}
