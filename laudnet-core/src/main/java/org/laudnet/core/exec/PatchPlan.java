package org.laudnet.core.exec;

import java.util.Arrays;

/**
 * Host-side plan of one spatially sparse bottleneck: the list of active output patches read from a mask (method
 * section 4), from which every backend's gather - conv - scatter primitives work.
 *
 * <p>The mask has shape {@code (B, m, m)} (row-major, non-zero = keep). Patches are listed in row-major mask order as
 * int triples {@code (b, i, j)}; this is the array the kernels receive. With {@code P} patches, window side {@code T}
 * and cell size {@code S} the pipeline's GEMM sizes are
 *
 * <ul>
 *   <li>gather + conv1: {@code M = C1, N = P T^2, K = Cin}, output {@code (P, C1, T, T)};
 *   <li>conv2 3x3 stride s: {@code M = C2 / g, N = P S^2, K = 9 C1 / g}, output {@code (P, C2, S, S)};
 *   <li>conv3 + scatter: {@code M = Cout, N = P S^2, K = C2}, written into {@code (B, Cout, Hout, Wout)};
 *   <li>fill of inactive positions: {@code B Cout Hout Wout} elements.
 * </ul>
 */
public final class PatchPlan {

    private final int batch;
    private final SpatialGeometry geometry;
    private final int[] patches;

    private PatchPlan(int batch, SpatialGeometry geometry, int[] patches) {
        this.batch = batch;
        this.geometry = geometry;
        this.patches = patches;
    }

    /**
     * Lists the active patches of a mask.
     *
     * @param mask {@code (B, m, m)} row-major; a cell is active when its value is non-zero
     * @param batch {@code B}
     * @param geometry the block geometry ({@code m = geometry.gridSize()})
     * @return the plan
     * @throws IllegalArgumentException if {@code mask.length != B m m} or {@code batch <= 0}
     */
    public static PatchPlan fromMask(int[] mask, int batch, SpatialGeometry geometry) {
        if (geometry == null) {
            throw new IllegalArgumentException("geometry must not be null");
        }
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        int m = geometry.gridSize();
        if (mask == null || mask.length != batch * m * m) {
            throw new IllegalArgumentException("mask must have B*m*m = " + batch * m * m + " entries, got "
                    + (mask == null ? "null" : mask.length));
        }
        int count = 0;
        for (int v : mask) {
            if (v != 0) {
                count++;
            }
        }
        int[] list = new int[3 * count];
        int p = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    if (mask[(b * m + i) * m + j] != 0) {
                        list[3 * p] = b;
                        list[3 * p + 1] = i;
                        list[3 * p + 2] = j;
                        p++;
                    }
                }
            }
        }
        PatchPlan plan = new PatchPlan(batch, geometry, list);
        plan.checkIntRange();
        return plan;
    }

    private void checkIntRange() {
        long t = geometry.windowSize();
        if ((long) patchCount() * t * t > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("P*T*T must be below 2^31, got " + patchCount() * t * t);
        }
    }

    /** Returns {@code B}. */
    public int batch() {
        return batch;
    }

    /** Returns the spatial geometry. */
    public SpatialGeometry geometry() {
        return geometry;
    }

    /** Returns {@code P}, the number of active patches. */
    public int patchCount() {
        return patches.length / 3;
    }

    /** Returns a copy of the patch list, {@code 3 P} ints {@code (b, i, j)} in row-major mask order. */
    public int[] patches() {
        return patches.clone();
    }

    /**
     * Returns one patch.
     *
     * @param p patch index in {@code [0, P)}
     * @return {@code {b, i, j}}
     */
    public int[] patch(int p) {
        if (p < 0 || p >= patchCount()) {
            throw new IllegalArgumentException("p must be in [0, " + patchCount() + "), got " + p);
        }
        return Arrays.copyOfRange(patches, 3 * p, 3 * p + 3);
    }

    /**
     * Returns the dilated mask {@code M1} as a row map: for each input pixel {@code b Hin Win + y Win + x} (a
     * {@code B Hin Win} array), its row among the {@code K} pixels that some active window reads, numbered in raster
     * order (sample, then pixel), or {@code -1} where no window reads it. A new array on each call; {@code K} is the
     * number of entries {@code >= 0}, and the last of them holds {@code K - 1}.
     *
     * @return the row map
     */
    public int[] m1RowMap() {
        int h = geometry.inHeight();
        int w = geometry.inWidth();
        int t = geometry.windowSize();
        int hw = h * w;
        int[] rows = new int[batch * hw];
        for (int p = 0; p < patchCount(); p++) {
            int base = patches[3 * p] * hw;
            int oy = geometry.windowOrigin(patches[3 * p + 1]);
            int ox = geometry.windowOrigin(patches[3 * p + 2]);
            int x0 = Math.max(ox, 0);
            int x1 = Math.min(ox + t, w);
            for (int y = Math.max(oy, 0); y < Math.min(oy + t, h); y++) {
                Arrays.fill(rows, base + y * w + x0, base + y * w + x1, 1);
            }
        }
        int n = 0;
        for (int i = 0; i < rows.length; i++) {
            rows[i] = rows[i] != 0 ? n++ : -1;
        }
        return rows;
    }

    /** Returns {@code T}, the input window side. */
    public int windowSize() {
        return geometry.windowSize();
    }

    /**
     * Elements of the gathered conv1 output {@code (P, C1, T, T)}.
     *
     * @param c1 conv1 output channels
     * @return {@code P C1 T^2}
     */
    public long windowElements(int c1) {
        long t = windowSize();
        return (long) patchCount() * c1 * t * t;
    }

    /**
     * Elements of the conv2 output on patches {@code (P, C2, S, S)}.
     *
     * @param c2 conv2 output channels
     * @return {@code P C2 S^2}
     */
    public long patchElements(int c2) {
        long s = geometry.cellSize();
        return (long) patchCount() * c2 * s * s;
    }

    /**
     * Returns the output shape of the block.
     *
     * @param cout block output channels
     * @return {@code (B, Cout, Hout, Wout)}
     */
    public Nchw outputShape(int cout) {
        return new Nchw(batch, cout, geometry.outHeight(), geometry.outWidth());
    }
}
