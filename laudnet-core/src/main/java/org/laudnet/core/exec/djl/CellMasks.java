package org.laudnet.core.exec.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.SpatialCells;

/**
 * Per-pixel masks of {@link SpatialCells} for the masked primitives of {@link DjlKernels}, built per call (they depend
 * on the mask): small per-cell tables {@code (N, m, m)} are computed on the host and uploaded, then expanded to the
 * pixels on the device (each cell repeated over its {@code S x S} pixels, the rows and columns beyond {@code H x W}
 * cropped for cells cut by the border). Only {@code O(B gs m^2)} values cross to the device, never a table of the
 * output's size. Stateless and thread-safe.
 */
final class CellMasks {

    private CellMasks() {}

    /** Whether the cells are all open, all closed, or mixed. */
    enum State {
        /** Every cell is open. */
        ALL,
        /** No cell is open. */
        NONE,
        /** Some cells are open. */
        MIXED
    }

    /**
     * Returns whether every cell is open, none is, or some are.
     *
     * @param cells the decisions
     * @return the state
     */
    static State state(SpatialCells cells) {
        boolean all = true;
        boolean none = true;
        for (float v : cells.cells()) {
            if (v != 0f) {
                none = false;
            } else {
                all = false;
            }
        }
        return all ? State.ALL : none ? State.NONE : State.MIXED;
    }

    /**
     * The kept and closed masks of each group on the device: {@code (2, B, gs, 1, H, W)}, index 0 holding 1 at the
     * pixels whose group's cell is open ({@link SpatialCells#kept}) and 0 elsewhere, index 1 the complement (the
     * singleton axis broadcasts over the channels of a group).
     *
     * @param cells the decisions, checked against {@code shape} ({@code m S >= max(H, W)})
     * @param shape the output shape {@code (B, C, H, W)}
     * @param manager the manager of the result
     * @return the masks, owned by {@code manager}
     */
    static NDArray keptAndClosed(SpatialCells cells, Nchw shape, NDManager manager) {
        float[] c = cells.cells();
        int n = c.length;
        float[] perCell = new float[2 * n];
        for (int i = 0; i < n; i++) {
            boolean k = c[i] != 0f;
            perCell[i] = k ? 1f : 0f;
            perCell[n + i] = k ? 0f : 1f;
        }
        NDArray pixels = expand(perCell, cells, shape, manager);
        NDArray y = pixels.reshape(2, shape.batch(), cells.groups(), 1, shape.height(), shape.width());
        pixels.close();
        return y;
    }

    /**
     * The averaging weights of the computed positions {@code M2} (union over groups) on the device:
     * {@code M2[b, y, x] / max(sum M2[b], 1)} as {@code (B, H W, 1)}; null when every cell of every sample is
     * computed (the plain mean).
     *
     * @param cells the decisions, checked against {@code shape} ({@code m S >= max(H, W)})
     * @param shape the output shape
     * @param manager the manager of the result
     * @return the weights owned by {@code manager}, or null
     */
    static NDArray meanWeights(SpatialCells cells, Nchw shape, NDManager manager) {
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
        float[] perCell = new float[union.length];
        for (int b = 0; b < shape.batch(); b++) {
            long n = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    if (union[(b * m + i) * m + j] != 0) {
                        n += (long) covered(i, s, h) * covered(j, s, w);
                    }
                }
            }
            float f = (float) (1.0 / Math.max(n, 1));
            for (int c = 0; c < m * m; c++) {
                if (union[b * m * m + c] != 0) {
                    perCell[b * m * m + c] = f;
                }
            }
        }
        NDArray pixels = expand(perCell, cells, shape, manager);
        NDArray y = pixels.reshape(shape.batch(), (long) h * w, 1);
        pixels.close();
        return y;
    }

    /** Pixels of cell row (or column) {@code i} inside an output side of {@code size}. */
    private static int covered(int i, int s, int size) {
        return Math.max(0, Math.min(s, size - i * s));
    }

    /**
     * Uploads per-cell values {@code (N, m, m)} and expands them to pixels: {@code (N, H, W)} with
     * {@code v[n, y, x] = values[n, y / S, x / S]}.
     */
    private static NDArray expand(float[] values, SpatialCells cells, Nchw shape, NDManager manager) {
        int m = cells.maskSize();
        int s = cells.cellSize();
        int h = shape.height();
        int w = shape.width();
        NDArray small = manager.create(FloatBuffer.wrap(values), new Shape(values.length / (m * m), m, m));
        NDArray rows = s == 1 ? small : small.repeat(1, s);
        NDArray full = s == 1 ? rows : rows.repeat(2, s);
        NDArray y = m * s == h && m * s == w ? full : full.get(new NDIndex(":, :" + h + ", :" + w));
        for (NDArray a : new NDArray[] {small, rows, full}) {
            if (a != y && !a.isReleased()) {
                a.close();
            }
        }
        return y;
    }
}
