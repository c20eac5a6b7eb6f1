package org.laudnet.cuda.exec;

/**
 * The keep decisions one block applied in the last call.
 *
 * @param spatialMask {@code (B, m, m)} row-major (1 = keep), {@code (B)} for a layer gate, or {@code null}
 * @param maskSize {@code m} (1 for a layer gate, 0 without spatial decisions)
 * @param channelMask {@code (B, G)} (1 = keep the group), or {@code null}
 * @param groups {@code G} (0 without channel decisions)
 */
public record BlockDecision(int[] spatialMask, int maskSize, int[] channelMask, int groups) {

    /** Returns the fraction of kept cells (1 without spatial decisions). */
    public double spatialDensity() {
        return fraction(spatialMask);
    }

    /** Returns the fraction of kept channel groups (1 without channel decisions). */
    public double channelDensity() {
        return fraction(channelMask);
    }

    private static double fraction(int[] mask) {
        if (mask == null || mask.length == 0) {
            return 1.0;
        }
        int on = 0;
        for (int v : mask) {
            if (v != 0) {
                on++;
            }
        }
        return on / (double) mask.length;
    }
}
