package org.laudnet.core.exec.djl;

import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.SpatialCells;

/**
 * Host-side expansions of {@link SpatialCells} to the pixels of a block output, built per call (they depend on the
 * mask) for the masked primitives of {@link DjlKernels}. Stateless.
 */
final class CellMasks {

    private CellMasks() {}

    /**
     * Checks that the cells cover an output of the given shape: same batch, {@code ceil(H / S) = ceil(W / S) = m},
     * and {@code gs} dividing the channels.
     *
     * @param cells the decisions
     * @param shape the output shape
     * @throws IllegalArgumentException naming the mismatch
     */
    static void check(SpatialCells cells, Nchw shape) {
        if (cells == null) {
            throw new IllegalArgumentException("cells must not be null");
        }
        if (shape == null) {
            throw new IllegalArgumentException("shape must not be null");
        }
        if (cells.batch() != shape.batch()) {
            throw new IllegalArgumentException("cells.batch must equal the batch " + shape.batch() + ", got "
                    + cells.batch());
        }
        int s = cells.cellSize();
        int mh = (shape.height() + s - 1) / s;
        int mw = (shape.width() + s - 1) / s;
        if (cells.maskSize() != mh || cells.maskSize() != mw) {
            throw new IllegalArgumentException("cells.maskSize must equal ceil(H / S) = " + mh + " and ceil(W / S) = "
                    + mw + " for H x W = " + shape.height() + " x " + shape.width() + ", S = " + s + "; got "
                    + cells.maskSize());
        }
        if (shape.channels() % cells.groups() != 0) {
            throw new IllegalArgumentException("cells.groups " + cells.groups() + " must divide the channels "
                    + shape.channels());
        }
    }

    /** The kept mask {@code (B, gs, H, W)}: 1 where the cell of group {@code q} covering {@code (y, x)} is open. */
    static final class Kept {
        /** 1 at kept pixels. */
        final float[] kept;
        /** 1 at closed pixels. */
        final float[] closed;
        /** Whether every pixel of every group is kept. */
        final boolean all;
        /** Whether no pixel is kept. */
        final boolean none;

        private Kept(float[] kept, float[] closed, boolean all, boolean none) {
            this.kept = kept;
            this.closed = closed;
            this.all = all;
            this.none = none;
        }
    }

    /**
     * Expands the cells to the pixels of each group.
     *
     * @param cells the decisions, checked against {@code shape}
     * @param shape the output shape {@code (B, C, H, W)}
     * @return the kept and closed masks {@code (B, gs, H, W)}; the arrays are null when {@code all} or {@code none}
     */
    static Kept kept(SpatialCells cells, Nchw shape) {
        float[] c = cells.cells();
        boolean all = true;
        boolean none = true;
        for (float v : c) {
            if (v != 0f) {
                none = false;
            } else {
                all = false;
            }
        }
        if (all || none) {
            return new Kept(null, null, all, none);
        }
        int gs = cells.groups();
        int m = cells.maskSize();
        int s = cells.cellSize();
        int h = shape.height();
        int w = shape.width();
        float[] kept = new float[shape.batch() * gs * h * w];
        float[] closed = new float[kept.length];
        int q = 0;
        for (int bg = 0; bg < shape.batch() * gs; bg++) {
            for (int y = 0; y < h; y++) {
                int row = (bg * m + y / s) * m;
                for (int x = 0; x < w; x++) {
                    boolean k = c[row + x / s] != 0f;
                    kept[q] = k ? 1f : 0f;
                    closed[q] = k ? 0f : 1f;
                    q++;
                }
            }
        }
        return new Kept(kept, closed, false, false);
    }

    /**
     * The averaging weights of the computed positions {@code M2} (union over groups):
     * {@code M2[b, y, x] / max(sum M2[b], 1)}, {@code (B, H W)}; null when every position of every sample is computed
     * (the plain mean).
     *
     * @param cells the decisions, checked against {@code shape}
     * @param shape the output shape
     * @return the weights or null
     */
    static float[] meanWeights(SpatialCells cells, Nchw shape) {
        int[] union = cells.union();
        boolean all = true;
        for (int v : union) {
            if (v == 0) {
                all = false;
                break;
            }
        }
        if (all) {
            return null;
        }
        int m = cells.maskSize();
        int s = cells.cellSize();
        int h = shape.height();
        int w = shape.width();
        float[] weights = new float[shape.batch() * h * w];
        for (int b = 0; b < shape.batch(); b++) {
            int n = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (union[(b * m + y / s) * m + x / s] != 0) {
                        n++;
                    }
                }
            }
            float f = (float) (1.0 / Math.max(n, 1));
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (union[(b * m + y / s) * m + x / s] != 0) {
                        weights[(b * h + y) * w + x] = f;
                    }
                }
            }
        }
        return weights;
    }
}
