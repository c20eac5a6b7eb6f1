package org.laudnet.core.plan;

/**
 * The eval-mode keep rule shared by the maskers: from logits {@code (B, 2 q, cells)} whose channel {@code j < q} holds
 * group {@code j}'s keep logit and channel {@code q + j} its skip logit, a cell is kept when
 * {@code keep >= skip}. A channel masker is the case {@code cells = 1}. Stateless and thread-safe.
 */
final class KeepRule {

    private KeepRule() {}

    /**
     * Applies the keep rule.
     *
     * @param logits {@code (B, 2 q, cells)} row-major, of exactly {@code B * 2q * cells} values (checked by callers)
     * @param batch {@code B}
     * @param groups {@code q}
     * @param cells cells per group ({@code m^2} for a spatial masker, 1 for a channel masker)
     * @return the 0/1 decisions {@code (B, q, cells)}
     */
    static float[] keep(float[] logits, int batch, int groups, int cells) {
        float[] out = new float[batch * groups * cells];
        for (int b = 0; b < batch; b++) {
            for (int q = 0; q < groups; q++) {
                int keep = (b * 2 * groups + q) * cells;
                int skip = (b * 2 * groups + groups + q) * cells;
                int dst = (b * groups + q) * cells;
                for (int c = 0; c < cells; c++) {
                    out[dst + c] = logits[keep + c] >= logits[skip + c] ? 1f : 0f;
                }
            }
        }
        return out;
    }
}
