package org.laudnet.core.exec;

/**
 * Geometry of spatially gated execution of one bottleneck (method section 4): the block input is {@code Hin x Win},
 * the 3x3 convolution has stride {@code s} and padding 1, so the output is {@code Hout = (Hin - 1) / s + 1} by
 * {@code Wout = (Win - 1) / s + 1}. The output mask is a square {@code m x m} grid of cells of {@code S x S} output
 * pixels with {@code m = ceil(Hout / S) = ceil(Wout / S)}; cells on the bottom/right border may be partial.
 *
 * <p>Patch {@code (b, i, j)} covers outputs {@code [i S, i S + S) x [j S, j S + S)} (clipped to the image); its input
 * window has side {@code T = s (S - 1) + 3} and top-left input pixel {@code (i S s - 1, j S s - 1)}.
 *
 * @param inHeight {@code Hin}
 * @param inWidth {@code Win}
 * @param stride {@code s}, 1 or 2
 * @param cellSize {@code S}, output pixels per cell side
 * @param gridSize {@code m}, cells per mask side
 */
public record SpatialGeometry(int inHeight, int inWidth, int stride, int cellSize, int gridSize) {

    /** Validates the fields and that the grid covers the output exactly (no empty row or column of cells). */
    public SpatialGeometry {
        if (inHeight <= 0) {
            throw new IllegalArgumentException("inHeight must be positive, got " + inHeight);
        }
        if (inWidth <= 0) {
            throw new IllegalArgumentException("inWidth must be positive, got " + inWidth);
        }
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        if (cellSize <= 0) {
            throw new IllegalArgumentException("cellSize must be positive, got " + cellSize);
        }
        int outH = (inHeight - 1) / stride + 1;
        int outW = (inWidth - 1) / stride + 1;
        int needH = (outH + cellSize - 1) / cellSize;
        int needW = (outW + cellSize - 1) / cellSize;
        if (gridSize != needH || gridSize != needW) {
            throw new IllegalArgumentException("gridSize must equal ceil(Hout / S) = " + needH + " and ceil(Wout / S) = "
                    + needW + " for Hout x Wout = " + outH + " x " + outW + ", S = " + cellSize + "; got " + gridSize);
        }
    }

    /**
     * Derives the grid size {@code m = ceil(Hout / S)}.
     *
     * @param inHeight {@code Hin}
     * @param inWidth {@code Win}
     * @param stride 1 or 2
     * @param cellSize {@code S}
     * @return the geometry
     * @throws IllegalArgumentException if {@code ceil(Hout / S) != ceil(Wout / S)} or a field is invalid
     */
    public static SpatialGeometry of(int inHeight, int inWidth, int stride, int cellSize) {
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        if (cellSize <= 0) {
            throw new IllegalArgumentException("cellSize must be positive, got " + cellSize);
        }
        if (inHeight <= 0) {
            throw new IllegalArgumentException("inHeight must be positive, got " + inHeight);
        }
        int outH = (inHeight - 1) / stride + 1;
        return new SpatialGeometry(inHeight, inWidth, stride, cellSize, (outH + cellSize - 1) / cellSize);
    }

    /** Returns {@code Hout = (Hin - 1) / s + 1}. */
    public int outHeight() {
        return (inHeight - 1) / stride + 1;
    }

    /** Returns {@code Wout = (Win - 1) / s + 1}. */
    public int outWidth() {
        return (inWidth - 1) / stride + 1;
    }

    /** Returns the input window side {@code T = s (S - 1) + 3}. */
    public int windowSize() {
        return stride * (cellSize - 1) + 3;
    }

    /**
     * Returns the input row of the top of the window of cell row {@code i}: {@code i S s - 1}.
     *
     * @param i cell row
     * @return the window's first input row (may be -1)
     */
    public int windowOrigin(int i) {
        return i * cellSize * stride - 1;
    }
}
