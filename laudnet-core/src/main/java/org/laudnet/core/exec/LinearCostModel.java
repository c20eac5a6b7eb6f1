package org.laudnet.core.exec;

import java.util.Arrays;

/**
 * A measured linear cost model {@code t = c0 + sum_k c_k f_k} in milliseconds, fitted by least squares to timings
 * of one execution path at a few synthetic densities. Features are work measures of the path (e.g. MACs of the
 * convolutions that run on the active patches, conv1 rows).
 *
 * @param coefficients {@code [c0, c1, ...]}: intercept first
 */
public record LinearCostModel(double[] coefficients) {

    /** Validates and copies the coefficients. */
    public LinearCostModel {
        if (coefficients == null || coefficients.length == 0) {
            throw new IllegalArgumentException("coefficients must not be empty");
        }
        coefficients = coefficients.clone();
    }

    /**
     * Fits the model to samples by least squares (normal equations with a tiny ridge term that keeps collinear
     * features solvable).
     *
     * @param features {@code n} rows of {@code k} features (without the intercept)
     * @param millis {@code n} measured times
     * @return the fitted model
     * @throws IllegalArgumentException if the sample arrays are empty or their sizes differ
     */
    public static LinearCostModel fit(double[][] features, double[] millis) {
        if (features == null || millis == null || features.length == 0 || features.length != millis.length) {
            throw new IllegalArgumentException("features and millis must be non-empty and of equal length, got "
                    + (features == null ? "null" : features.length) + " and "
                    + (millis == null ? "null" : millis.length));
        }
        int k = features[0].length + 1;
        double[] scale = new double[k];
        Arrays.fill(scale, 1e-12);
        scale[0] = 1;
        for (double[] f : features) {
            for (int j = 1; j < k; j++) {
                scale[j] = Math.max(scale[j], Math.abs(f[j - 1]));
            }
        }
        double[][] a = new double[k][k + 1];
        for (int r = 0; r < features.length; r++) {
            double[] x = new double[k];
            x[0] = 1;
            for (int j = 1; j < k; j++) {
                x[j] = features[r][j - 1] / scale[j];
            }
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    a[i][j] += x[i] * x[j];
                }
                a[i][k] += x[i] * millis[r];
            }
        }
        for (int i = 1; i < k; i++) {
            a[i][i] += 1e-6 * (1 + a[i][i]);
        }
        double[] c = solve(a, k);
        for (int j = 1; j < k; j++) {
            c[j] /= scale[j];
        }
        return new LinearCostModel(c);
    }

    private static double[] solve(double[][] a, int k) {
        for (int p = 0; p < k; p++) {
            int best = p;
            for (int r = p + 1; r < k; r++) {
                if (Math.abs(a[r][p]) > Math.abs(a[best][p])) {
                    best = r;
                }
            }
            double[] t = a[p];
            a[p] = a[best];
            a[best] = t;
            double piv = a[p][p];
            if (Math.abs(piv) < 1e-300) {
                continue;
            }
            for (int r = 0; r < k; r++) {
                if (r != p) {
                    double f = a[r][p] / piv;
                    for (int c = p; c <= k; c++) {
                        a[r][c] -= f * a[p][c];
                    }
                }
            }
        }
        double[] x = new double[k];
        for (int i = 0; i < k; i++) {
            x[i] = Math.abs(a[i][i]) < 1e-300 ? 0 : a[i][k] / a[i][i];
        }
        return x;
    }

    /**
     * Predicts the time of a call with the given features.
     *
     * @param features the {@code k} features (without the intercept)
     * @return {@code c0 + sum_k c_k f_k} in milliseconds
     * @throws IllegalArgumentException if the feature count differs from the model's
     */
    public double predict(double... features) {
        if (features.length != coefficients.length - 1) {
            throw new IllegalArgumentException("expected " + (coefficients.length - 1) + " features, got "
                    + features.length);
        }
        double t = coefficients[0];
        for (int j = 0; j < features.length; j++) {
            t += coefficients[j + 1] * features[j];
        }
        return t;
    }

    /** Returns the intercept {@code c0} (the fixed cost of one run of the path). */
    public double intercept() {
        return coefficients[0];
    }

    /** {@inheritDoc} */
    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof LinearCostModel m && Arrays.equals(coefficients, m.coefficients);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(coefficients);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LinearCostModel" + Arrays.toString(coefficients);
    }
}
