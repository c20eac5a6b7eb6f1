package org.laudnet.core.latency.cpu;

import java.util.List;

/**
 * Non-negative, relative-error least squares for the small linear cost terms of the CPU profile.
 *
 * <p>Given timings {@code t_i} and features {@code f_i} it finds {@code c = [a, b_1..b_K] >= 0} minimising
 * {@code sum_i ((a + sum_k b_k f_ik - t_i) / t_i)^2}: each timing is weighted by {@code 1 / t_i}, so a 0.1 ms and a
 * 100 ms configuration count alike (the accuracy goal is a relative error). Non-negativity (a cost never decreases
 * with more work) is exact: every subset of the {@code K + 1} coefficients is solved by ordinary weighted least
 * squares with the others fixed at 0, and the feasible solution with the smallest residual wins ({@code K <= 10}).
 * Columns are scaled to unit maximum before solving, and a relative ridge of {@code 1e-10} keeps collinear features
 * solvable.
 *
 * <p>Then the relative fit is rescaled so that it is unbiased on the logarithmic scale: every coefficient is multiplied
 * by {@code g = exp(mean_i log(t_i / p_i))} over the samples with a positive prediction {@code p_i}. The relative
 * squared error alone under-predicts noisy timings: for {@code t_i = T_i (1 + e_i)} with a zero-mean relative noise of
 * spread {@code s}, the best multiple {@code c T} is {@code c = E[1/(1+e)] / E[1/(1+e)^2]}, about {@code 1 - 2 s^2}
 * (0.875 at {@code s = 0.25}, a spread the CPU timings of one term reach across block shapes). Exact data has
 * {@code g = 1}.
 *
 * <p>{@link #fitAbsolute} minimises the plain squared error instead, for small differences of timings (the maskers'
 * cost, measured as the difference of two calls) that may be 0 and whose relative error means nothing.
 *
 * <p>Stateless and thread-safe.
 */
public final class LeastSquares {

    /** The largest number of features (the subset search is {@code 2^(K+1)}). */
    public static final int MAX_FEATURES = 10;

    private LeastSquares() {}

    /**
     * Fits a term.
     *
     * @param names the feature names
     * @param features {@code n} rows of {@code K} non-negative features
     * @param millis {@code n} positive timings
     * @return the fitted term with its sample count and RMS relative error
     * @throws IllegalArgumentException for empty, ragged or mismatched input, non-positive timings, or {@code K >
     *     MAX_FEATURES}
     */
    public static LinearTerm fit(List<String> names, double[][] features, double[] millis) {
        return fit(names, features, millis, true);
    }

    /**
     * Fits a term by non-negative least squares on the absolute error {@code sum_i (a + sum_k b_k f_ik - t_i)^2}.
     *
     * @param names the feature names
     * @param features {@code n} rows of {@code K} non-negative features
     * @param millis {@code n} non-negative timings
     * @return the fitted term with its sample count; its {@code rmsRelativeError} is the RMS error over the mean
     *     timing (0 when every timing is 0)
     * @throws IllegalArgumentException for empty, ragged or mismatched input, negative timings, or {@code K >
     *     MAX_FEATURES}
     */
    public static LinearTerm fitAbsolute(List<String> names, double[][] features, double[] millis) {
        return fit(names, features, millis, false);
    }

    private static LinearTerm fit(List<String> names, double[][] features, double[] millis, boolean relative) {
        if (names == null || features == null || millis == null || features.length == 0
                || features.length != millis.length) {
            throw new IllegalArgumentException("features and millis must be non-empty and of equal length, got "
                    + (features == null ? null : features.length) + " and " + (millis == null ? null : millis.length));
        }
        int k = names.size();
        if (k > MAX_FEATURES) {
            throw new IllegalArgumentException("names must hold at most " + MAX_FEATURES + " features, got " + k);
        }
        int n = millis.length;
        double[] scale = new double[k + 1];
        scale[0] = 1;
        for (int i = 0; i < n; i++) {
            if (features[i] == null || features[i].length != k) {
                throw new IllegalArgumentException("features[" + i + "] must hold " + k + " values");
            }
            if (!(relative ? millis[i] > 0 : millis[i] >= 0) || !Double.isFinite(millis[i])) {
                throw new IllegalArgumentException("millis[" + i + "] must be "
                        + (relative ? "positive" : "non-negative") + " and finite, got " + millis[i]);
            }
            for (int j = 0; j < k; j++) {
                if (!(features[i][j] >= 0) || !Double.isFinite(features[i][j])) {
                    throw new IllegalArgumentException(
                            "features[" + i + "][" + j + "] must be finite and non-negative, got " + features[i][j]);
                }
                scale[j + 1] = Math.max(scale[j + 1], features[i][j]);
            }
        }
        for (int j = 1; j <= k; j++) {
            if (scale[j] == 0) {
                scale[j] = 1;
            }
        }
        // relative: weighted design, row i is x_i / t_i with target 1; absolute: row x_i, target t_i
        double[][] x = new double[n][k + 1];
        double[] target = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            double wgt = relative ? 1 / millis[i] : 1;
            target[i] = relative ? 1 : millis[i];
            mean += millis[i] / n;
            x[i][0] = wgt;
            for (int j = 0; j < k; j++) {
                x[i][j + 1] = features[i][j] / scale[j + 1] * wgt;
            }
        }
        double[] best = new double[k + 1];
        double bestRss = Double.POSITIVE_INFINITY;
        for (int subset = 1; subset < (1 << (k + 1)); subset++) {
            double[] c = solveSubset(x, target, subset, k + 1);
            if (c == null) {
                continue;
            }
            double rss = 0;
            for (int i = 0; i < n; i++) {
                double r = -target[i];
                for (int j = 0; j <= k; j++) {
                    r += x[i][j] * c[j];
                }
                rss += r * r;
            }
            if (rss < bestRss - 1e-15) {
                bestRss = rss;
                best = c;
            }
        }
        double[] coef = new double[k + 1];
        for (int j = 0; j <= k; j++) {
            coef[j] = best[j] / scale[j];
        }
        if (!relative) {
            double rms = Math.sqrt(bestRss / n);
            return new LinearTerm(names, coef, n, mean > 0 ? rms / mean : 0);
        }
        LinearTerm unscaled = new LinearTerm(names, coef, n, 0);
        double[] predicted = new double[n];
        double logSum = 0;
        int positive = 0;
        for (int i = 0; i < n; i++) {
            predicted[i] = unscaled.predict(features[i]);
            if (predicted[i] > 0) {
                logSum += Math.log(millis[i] / predicted[i]);
                positive++;
            }
        }
        double g = positive > 0 ? Math.exp(logSum / positive) : 1;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double r = (g * predicted[i] - millis[i]) / millis[i];
            sq += r * r;
        }
        for (int j = 0; j <= k; j++) {
            coef[j] *= g;
        }
        return new LinearTerm(names, coef, n, Math.sqrt(sq / n));
    }

    /** Weighted least squares on the columns in {@code subset}; null if any coefficient comes out negative. */
    private static double[] solveSubset(double[][] x, double[] target, int subset, int cols) {
        int[] idx = new int[Integer.bitCount(subset)];
        int m = 0;
        for (int j = 0; j < cols; j++) {
            if ((subset & (1 << j)) != 0) {
                idx[m++] = j;
            }
        }
        double[][] a = new double[m][m + 1];
        for (int i = 0; i < x.length; i++) {
            double[] row = x[i];
            for (int p = 0; p < m; p++) {
                double v = row[idx[p]];
                for (int q = 0; q < m; q++) {
                    a[p][q] += v * row[idx[q]];
                }
                a[p][m] += v * target[i];
            }
        }
        for (int p = 0; p < m; p++) {
            a[p][p] += 1e-10 * a[p][p] + 1e-300;
        }
        double[] sol = gauss(a, m);
        if (sol == null) {
            return null;
        }
        double[] c = new double[cols];
        for (int p = 0; p < m; p++) {
            if (!(sol[p] >= 0) || !Double.isFinite(sol[p])) {
                return null;
            }
            c[idx[p]] = sol[p];
        }
        return c;
    }

    private static double[] gauss(double[][] a, int m) {
        for (int p = 0; p < m; p++) {
            int piv = p;
            for (int r = p + 1; r < m; r++) {
                if (Math.abs(a[r][p]) > Math.abs(a[piv][p])) {
                    piv = r;
                }
            }
            double[] t = a[p];
            a[p] = a[piv];
            a[piv] = t;
            if (Math.abs(a[p][p]) < 1e-300) {
                return null;
            }
            for (int r = p + 1; r < m; r++) {
                double f = a[r][p] / a[p][p];
                for (int c = p; c <= m; c++) {
                    a[r][c] -= f * a[p][c];
                }
            }
        }
        double[] s = new double[m];
        for (int p = m - 1; p >= 0; p--) {
            double v = a[p][m];
            for (int c = p + 1; c < m; c++) {
                v -= a[p][c] * s[c];
            }
            s[p] = v / a[p][p];
        }
        return s;
    }
}
