package org.laudnet.core.exec;

import java.util.Arrays;
import org.laudnet.core.mask.MaskOps;

/**
 * Adaptive average pooling on the host, for the gates' pooling of small inputs ({@link Kernels#poolToHost}): bin
 * {@code i} of a side of {@code n} pixels pooled to {@code m} covers {@code [floor(i n / m), ceil((i + 1) n / m))}
 * ({@link MaskOps#adaptiveStart}, {@link MaskOps#adaptiveEnd}; bins overlap when {@code m} does not divide {@code n}),
 * as PyTorch's {@code adaptive_avg_pool2d}. Sums in {@code float}, in loops over contiguous values (which the JIT
 * vectorises). Stateless and thread-safe.
 */
public final class HostPooling {

    /**
     * The {@link Kernels#hostPoolLimit()} of the CPU backends, {@code 2^15} values. Measured at batch 1 (minima of
     * repeated calls, 2 cores): on oneDNN the host form of a spatial masker (read, pool, its layer on the cells) cost
     * less than its two primitives and their read-back from {@code 6 10^3} to {@code 5 10^4} values, about the same
     * at {@code 3 10^3} (a 7 x 7 map, no pooling) and more at {@code 10^5}; the host global mean less than the
     * pooling primitive up to {@code 1.3 10^4} but not at {@code 5 10^4}; on DJL, whose eager operations cost tens of
     * microseconds each, both host forms cost less up to {@code 3.3 10^4} values and more at {@code 5 10^4}.
     */
    public static final int CPU_LIMIT = 1 << 15;

    private HostPooling() {}

    /**
     * Pools NCHW maps.
     *
     * @param maps {@code planes} maps of {@code h x w}, row-major (at least {@code planes h w} values)
     * @param planes {@code B C}
     * @param h map rows
     * @param w map columns
     * @param m cells per side, in {@code [1, min(h, w)]}
     * @return {@code (planes, m, m)} row-major
     * @throws IllegalArgumentException if {@code m} is out of range or {@code maps} is too short
     */
    public static float[] adaptive(float[] maps, int planes, int h, int w, int m) {
        check(maps, (long) planes * h * w, h, w, m);
        if (m == h && m == w) {
            return Arrays.copyOf(maps, planes * m * m); // every cell one pixel: the maps themselves
        }
        float[] out = new float[planes * m * m];
        float[] rows = new float[w];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < m; i++) {
                int r0 = MaskOps.adaptiveStart(i, h, m);
                int r1 = MaskOps.adaptiveEnd(i, h, m);
                // the bin row's columns summed over its rows first, then each bin over its columns
                Arrays.fill(rows, 0);
                for (int r = r0; r < r1; r++) {
                    int row = (p * h + r) * w;
                    for (int c = 0; c < w; c++) {
                        rows[c] += maps[row + c];
                    }
                }
                for (int j = 0; j < m; j++) {
                    int c0 = MaskOps.adaptiveStart(j, w, m);
                    int c1 = MaskOps.adaptiveEnd(j, w, m);
                    float sum = 0;
                    for (int c = c0; c < c1; c++) {
                        sum += rows[c];
                    }
                    out[(p * m + i) * m + j] = sum / ((r1 - r0) * (c1 - c0));
                }
            }
        }
        return out;
    }

    /**
     * Reads rows of channels-last maps: row {@code r} of {@code B H} is the {@code W C} values of sample
     * {@code r / H}, map row {@code r % H}. One pooling call reads through it on its calling thread; implementations
     * need not be thread-safe.
     */
    @FunctionalInterface
    public interface RowSource {
        /**
         * Copies one row.
         *
         * @param row the row, in {@code [0, B H)}
         * @param dst receives the row's {@code W C} values from index 0
         */
        void read(int row, float[] dst);
    }

    /**
     * Pools channels-last maps ({@code nhwc}: each position's {@code channels} values contiguous) into NCHW cells.
     *
     * @param nhwc {@code (batch, h, w, channels)} row-major (at least that many values)
     * @param batch {@code B}
     * @param channels {@code C}
     * @param h map rows
     * @param w map columns
     * @param m cells per side, in {@code [1, min(h, w)]}
     * @return {@code (B, C, m, m)} row-major
     * @throws IllegalArgumentException if {@code m} is out of range or {@code nhwc} is too short
     */
    public static float[] adaptiveChannelsLast(float[] nhwc, int batch, int channels, int h, int w, int m) {
        check(nhwc, (long) batch * channels * h * w, h, w, m);
        int span = w * channels;
        return adaptiveChannelsLast((row, dst) -> System.arraycopy(nhwc, row * span, dst, 0, span), batch, channels,
                h, w, m);
    }

    /**
     * Pools channels-last maps read row by row into NCHW cells: each bin row's rows are summed position by position
     * (whole rows from index 0, loops the JIT vectorises), then each bin over its columns.
     *
     * @param rows the maps' rows ({@code B H} rows of {@code w channels} values)
     * @param batch {@code B}
     * @param channels {@code C}
     * @param h map rows
     * @param w map columns
     * @param m cells per side, in {@code [1, min(h, w)]}
     * @return {@code (B, C, m, m)} row-major
     * @throws IllegalArgumentException if {@code m} is out of range or a size is not positive
     */
    public static float[] adaptiveChannelsLast(RowSource rows, int batch, int channels, int h, int w, int m) {
        if (rows == null || batch <= 0 || channels <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("rows must be given and batch, channels, h, w positive, got batch "
                    + batch + ", channels " + channels + ", h " + h + ", w " + w);
        }
        check(null, -1, h, w, m);
        int span = w * channels;
        float[] out = new float[batch * channels * m * m];
        float[] acc = new float[span];
        float[] row = new float[span];
        float[] sum = new float[channels];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < m; i++) {
                int r0 = MaskOps.adaptiveStart(i, h, m);
                int r1 = MaskOps.adaptiveEnd(i, h, m);
                rows.read(b * h + r0, acc);
                for (int r = r0 + 1; r < r1; r++) {
                    rows.read(b * h + r, row);
                    for (int k = 0; k < span; k++) {
                        acc[k] += row[k];
                    }
                }
                for (int j = 0; j < m; j++) {
                    int c0 = MaskOps.adaptiveStart(j, w, m);
                    int c1 = MaskOps.adaptiveEnd(j, w, m);
                    System.arraycopy(acc, c0 * channels, sum, 0, channels);
                    for (int c = c0 + 1; c < c1; c++) {
                        int at = c * channels;
                        for (int ch = 0; ch < channels; ch++) {
                            sum[ch] += acc[at + ch];
                        }
                    }
                    float scale = 1f / ((r1 - r0) * (c1 - c0));
                    int to = (b * channels * m + i) * m + j;
                    for (int ch = 0; ch < channels; ch++) {
                        out[to + ch * m * m] = sum[ch] * scale;
                    }
                }
            }
        }
        return out;
    }

    private static void check(float[] v, long size, int h, int w, int m) {
        if (m < 1 || m > Math.min(h, w)) {
            throw new IllegalArgumentException("m must be in [1, min(h, w)] for a " + h + " x " + w + " map, got "
                    + m);
        }
        if (size >= 0 && (v == null || v.length < size)) {
            throw new IllegalArgumentException("the maps must hold at least " + size + " values, got "
                    + (v == null ? "null" : v.length));
        }
    }
}
