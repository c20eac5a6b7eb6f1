package org.laudnet.core.latency.cpu;

import java.util.Arrays;
import java.util.List;

/**
 * One fitted cost term {@code t = a + sum_k b_k f_k} in milliseconds, with its feature names and fit statistics.
 *
 * @param features the feature names {@code f_1..f_K}
 * @param coefficients {@code [a, b_1, ..., b_K]}: the intercept first, all non-negative
 * @param samples the number of timings the term was fitted to (0 for a hand-made term)
 * @param rmsRelativeError root mean square of {@code (predicted - measured) / measured} over those timings
 */
public record LinearTerm(List<String> features, double[] coefficients, int samples, double rmsRelativeError) {

    /** Validates the sizes and that every coefficient is finite and non-negative; copies the arrays. */
    public LinearTerm {
        if (features == null) {
            throw new IllegalArgumentException("features must not be null");
        }
        features = List.copyOf(features);
        if (coefficients == null || coefficients.length != features.size() + 1) {
            throw new IllegalArgumentException("coefficients must hold the intercept and one value per feature ("
                    + (features.size() + 1) + "), got " + (coefficients == null ? null : coefficients.length));
        }
        coefficients = coefficients.clone();
        for (int i = 0; i < coefficients.length; i++) {
            if (!(coefficients[i] >= 0) || !Double.isFinite(coefficients[i])) {
                throw new IllegalArgumentException(
                        "coefficients[" + i + "] must be finite and non-negative, got " + coefficients[i]);
            }
        }
        if (samples < 0) {
            throw new IllegalArgumentException("samples must be non-negative, got " + samples);
        }
    }

    /**
     * A hand-made term (no fit statistics).
     *
     * @param features feature names
     * @param coefficients intercept first
     * @return the term
     */
    public static LinearTerm of(List<String> features, double... coefficients) {
        return new LinearTerm(features, coefficients, 0, 0);
    }

    /** Returns the intercept {@code a} in ms. */
    public double intercept() {
        return coefficients[0];
    }

    /**
     * Returns the coefficient of a named feature.
     *
     * @param feature the name
     * @return {@code b_k} in ms per unit
     * @throws IllegalArgumentException if the term has no such feature
     */
    public double coefficient(String feature) {
        int i = features.indexOf(feature);
        if (i < 0) {
            throw new IllegalArgumentException("feature must be one of " + features + ", got " + feature);
        }
        return coefficients[i + 1];
    }

    /**
     * Predicts {@code t = a + sum_k b_k f_k}.
     *
     * @param values {@code f_1..f_K}
     * @return the time in ms
     * @throws IllegalArgumentException if the number of values differs from the number of features
     */
    public double predict(double... values) {
        if (values == null || values.length != features.size()) {
            throw new IllegalArgumentException("values must hold " + features.size() + " features " + features
                    + ", got " + (values == null ? null : values.length));
        }
        double t = coefficients[0];
        for (int k = 0; k < values.length; k++) {
            t += coefficients[k + 1] * values[k];
        }
        return t;
    }

    /** {@inheritDoc} */
    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof LinearTerm t && features.equals(t.features) && Arrays.equals(coefficients, t.coefficients)
                && samples == t.samples && Double.compare(rmsRelativeError, t.rmsRelativeError) == 0;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * (31 * features.hashCode() + Arrays.hashCode(coefficients)) + samples;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LinearTerm" + features + Arrays.toString(coefficients) + " (n=" + samples + ", rms rel err "
                + rmsRelativeError + ")";
    }
}
