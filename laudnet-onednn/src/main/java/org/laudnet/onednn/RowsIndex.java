package org.laudnet.onednn;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;

/**
 * The host-side row tables of one {@link PatchPlan} for the {@link org.laudnet.core.exec.SpatialSchedule#ROWS ROWS}
 * schedule of the oneDNN backend, built once per plan (plain {@code int[]} loops) and cached per kernels object. Rows
 * are counted in the {@code nhwc} layouts of the backend, where each position's channels are one contiguous row:
 *
 * <ul>
 *   <li>input rows {@code (B Hin Win, Cin)}, row {@code (b Hin + y) Win + x};
 *   <li>M1 rows {@code (K, C1)}: the {@code K} distinct input pixels that the active patches' {@code T x T} windows
 *       read inside the image (the dilated mask {@code M1}), in raster order (sample, then pixel), followed by a zero
 *       row at index {@code K};
 *   <li>im2col rows {@code (P S S 9, C1)}: row {@code ((p S + sy) S + sx) 9 + 3 dy + dx} is the M1 row of input pixel
 *       {@code (origin(i) + s sy + dy, origin(j) + s sx + dx)} of patch {@code p = (b, i, j)} (conv2's stride
 *       {@code s}), or the zero row outside the image; read as {@code (P S S, 9 C1)} it is the im2col matrix of the
 *       active output positions;
 *   <li>window rows {@code (P T T, C1)}: row {@code (p T + ty) T + tx} is the M1 row of input pixel
 *       {@code (origin(i) + ty, origin(j) + tx)}, or the zero row (for a grouped conv2, which runs as a convolution
 *       over the windows).
 * </ul>
 *
 * <p>Each table is stored as copy runs, {@code int} triples {@code (source row, destination row, rows)}: consecutive
 * destination rows whose source rows are consecutive too (a row of a window, the three horizontal taps of a stride-1
 * position, a raster run of M1 pixels) are one bulk copy.
 *
 * <p>Not thread-safe: owned by one {@link OneDnnKernels}.
 */
final class RowsIndex {

    private final SpatialGeometry geometry;
    private final int[] patches;
    private final int count;
    private final int[] rowOf;
    private final int k;
    private final int[] m1Runs;
    private int[] im2colRuns;
    private int[] windowRuns;

    private RowsIndex(PatchPlan plan) {
        this.geometry = plan.geometry();
        this.patches = plan.patches();
        this.count = patches.length / 3;
        int[] r = plan.m1RowMap();
        int n = 0;
        Runs runs = new Runs(16);
        for (int i = 0; i < r.length; i++) {
            if (r[i] >= 0) {
                runs.add(i, n++);
            }
        }
        this.rowOf = r;
        this.k = n;
        this.m1Runs = runs.toArray();
    }

    /**
     * Builds the tables of a plan.
     *
     * @param plan the plan
     * @return its index
     */
    static RowsIndex of(PatchPlan plan) {
        return new RowsIndex(plan);
    }

    /** Returns {@code K}, the number of M1 pixels (the index of the zero row). */
    int m1Count() {
        return k;
    }

    /** Returns the input pixels of the batch, {@code B Hin Win}. */
    int pixels() {
        return rowOf.length;
    }

    /** Returns whether M1 is every input pixel of the batch (then the M1 rows are the input rows themselves). */
    boolean full() {
        return k == rowOf.length;
    }

    /**
     * Returns the rows of the M1 buffer (at least {@code K + 1}: the M1 rows and the zero row): exactly {@code K + 1}
     * when M1 is {@link #full()} (one shape per batch size), else {@code K + 1} rounded up to a {@link #rowBucket row
     * bucket} (the rows past the zero row are computed on whatever the buffer holds and never read).
     */
    int m1Capacity() {
        return full() ? k + 1 : rowBucket(k + 1);
    }

    /** Copies the input rows of the M1 pixels ({@code width} floats each) from {@code x} to rows {@code [0, K)}. */
    void gatherM1(FloatBuffer x, FloatBuffer out, int width) {
        copyRuns(m1Runs, x, out, width);
    }

    /**
     * Copies the im2col rows of the active output positions ({@code C1} floats each, taps {@code 3 dy + dx}) from the
     * M1 rows (zero row included) into {@code out}, {@code P S S 9} rows.
     */
    void gatherIm2col(FloatBuffer m1, FloatBuffer out, int c1) {
        if (im2colRuns == null) {
            im2colRuns = buildIm2col();
        }
        copyRuns(im2colRuns, m1, out, c1);
    }

    /** Copies the window rows of the active patches from the M1 rows (zero row included) into {@code out}. */
    void gatherWindows(FloatBuffer m1, FloatBuffer out, int c1) {
        if (windowRuns == null) {
            windowRuns = buildWindows();
        }
        copyRuns(windowRuns, m1, out, c1);
    }

    /** Returns the M1 row of input pixel {@code (b, y, x)}, or the zero row {@code K} outside the image. */
    private int m1Row(int base, int y, int x) {
        int h = geometry.inHeight();
        int w = geometry.inWidth();
        return y < 0 || y >= h || x < 0 || x >= w ? k : rowOf[base + y * w + x];
    }

    private int[] buildIm2col() {
        int hw = geometry.inHeight() * geometry.inWidth();
        int s = geometry.cellSize();
        int st = geometry.stride();
        Runs runs = new Runs(count * s * s * 3);
        int q = 0;
        for (int p = 0; p < count; p++) {
            int base = patches[3 * p] * hw;
            int oy = geometry.windowOrigin(patches[3 * p + 1]);
            int ox = geometry.windowOrigin(patches[3 * p + 2]);
            for (int sy = 0; sy < s; sy++) {
                for (int sx = 0; sx < s; sx++) {
                    for (int dy = 0; dy < 3; dy++) {
                        for (int dx = 0; dx < 3; dx++) {
                            runs.add(m1Row(base, oy + st * sy + dy, ox + st * sx + dx), q++);
                        }
                    }
                }
            }
        }
        return runs.toArray();
    }

    private int[] buildWindows() {
        int hw = geometry.inHeight() * geometry.inWidth();
        int t = geometry.windowSize();
        Runs runs = new Runs(count * t * 2);
        int q = 0;
        for (int p = 0; p < count; p++) {
            int base = patches[3 * p] * hw;
            int oy = geometry.windowOrigin(patches[3 * p + 1]);
            int ox = geometry.windowOrigin(patches[3 * p + 2]);
            for (int ty = 0; ty < t; ty++) {
                for (int tx = 0; tx < t; tx++) {
                    runs.add(m1Row(base, oy + ty, ox + tx), q++);
                }
            }
        }
        return runs.toArray();
    }

    /** Copies {@code (source, destination, rows)} runs of rows of {@code width} floats. */
    private static void copyRuns(int[] runs, FloatBuffer src, FloatBuffer dst, int width) {
        for (int i = 0; i < runs.length; i += 3) {
            dst.put(runs[i + 1] * width, src, runs[i] * width, runs[i + 2] * width);
        }
    }

    /**
     * Returns the row count a rows primitive is created for: {@code n} rounded up to a multiple of 16, or above 256 to a
     * multiple of a sixteenth of the largest power of two not above {@code n}, so that a kernels object creates at most
     * sixteen primitives per doubling of the row count, and a bucket adds less than 6.25% rows (16 rows below 256).
     *
     * @param n rows, {@code >= 1}
     * @return the bucket, {@code >= n}
     */
    static int rowBucket(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be positive, got " + n);
        }
        int step = Math.max(16, Integer.highestOneBit(n) / 16);
        return (int) (((long) n + step - 1) / step * step);
    }

    /** A growing list of copy runs, merging a row that continues the last run. */
    private static final class Runs {
        private int[] v;
        private int n;

        Runs(int capacity) {
            v = new int[Math.max(3, capacity) * 3];
        }

        void add(int src, int dst) {
            if (n > 0 && v[n - 1 - 2] + v[n - 1] == src && v[n - 2] + v[n - 1] == dst) {
                v[n - 1]++;
                return;
            }
            if (n + 3 > v.length) {
                v = Arrays.copyOf(v, v.length * 2);
            }
            v[n] = src;
            v[n + 1] = dst;
            v[n + 2] = 1;
            n += 3;
        }

        int[] toArray() {
            return Arrays.copyOf(v, n);
        }
    }
}
