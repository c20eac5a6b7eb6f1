package org.laudnet.core.exec;

import org.laudnet.core.util.Checks;

/**
 * A spatial (or layer) gate's decisions for one batch, as the backends' mask primitives read them: 0/1 cells
 * {@code (B, gs, m, m)}, each covering {@code S x S} output pixels and {@code Cout / gs} output channels. A layer gate
 * has {@code m = 1} and {@code S = Hout}.
 *
 * <p>Output element {@code (b, c, y, x)} of a block with {@code Cout} channels is kept when
 * {@code cells[b, c / (Cout / gs), y / S, x / S] != 0}; a position {@code (b, y, x)} is computed ({@code M2}) when any
 * group keeps it. Immutable: the array is owned by this object.
 *
 * @param cells 0/1 values {@code (B, gs, m, m)}, row-major
 * @param batch {@code B}
 * @param groups {@code gs}
 * @param maskSize {@code m}
 * @param cellSize {@code S}, output pixels per cell side
 */
public record SpatialCells(float[] cells, int batch, int groups, int maskSize, int cellSize) {

    /** Validates the sizes. */
    public SpatialCells {
        Checks.positive("batch", batch);
        Checks.positive("groups", groups);
        Checks.positive("maskSize", maskSize);
        Checks.positive("cellSize", cellSize);
        if (cells == null || cells.length != (long) batch * groups * maskSize * maskSize) {
            throw new IllegalArgumentException("cells must hold B x gs x m x m = "
                    + (long) batch * groups * maskSize * maskSize + " values, got "
                    + (cells == null ? "null" : cells.length));
        }
    }

    /**
     * Returns whether output element {@code (b, c, y, x)} of a block with {@code channels} outputs is kept.
     *
     * @param b sample
     * @param c output channel
     * @param channels {@code Cout}
     * @param y output row
     * @param x output column
     * @return whether the cell covering it is open
     */
    public boolean kept(int b, int c, int channels, int y, int x) {
        int q = c / (channels / groups);
        return cells[((b * groups + q) * maskSize + y / cellSize) * maskSize + x / cellSize] != 0f;
    }

    /**
     * Returns whether output position {@code (b, y, x)} is computed by any group ({@code M2}).
     *
     * @param b sample
     * @param y output row
     * @param x output column
     * @return whether any group's cell there is open
     */
    public boolean computed(int b, int y, int x) {
        for (int q = 0; q < groups; q++) {
            if (cells[((b * groups + q) * maskSize + y / cellSize) * maskSize + x / cellSize] != 0f) {
                return true;
            }
        }
        return false;
    }

    /** Returns the union over groups as one 0/1 cell per {@code (b, i, j)}: {@code (B, m, m)} as ints. */
    public int[] union() {
        int mm = maskSize * maskSize;
        int[] out = new int[batch * mm];
        for (int b = 0; b < batch; b++) {
            for (int q = 0; q < groups; q++) {
                for (int c = 0; c < mm; c++) {
                    if (cells[(b * groups + q) * mm + c] != 0f) {
                        out[b * mm + c] = 1;
                    }
                }
            }
        }
        return out;
    }
}
