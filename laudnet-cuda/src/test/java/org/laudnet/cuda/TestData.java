package org.laudnet.cuda;

import java.util.Random;

/** Random test tensors and comparison helpers shared by the CPU and GPU kernel tests. */
final class TestData {

    private TestData() {}

    static float[] uniform(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int k = 0; k < n; k++) {
            a[k] = (rnd.nextFloat() * 2f - 1f) * scale;
        }
        return a;
    }

    static int[] randomMask(Random rnd, int n, double density) {
        int[] m = new int[n];
        for (int k = 0; k < n; k++) {
            m[k] = rnd.nextDouble() < density ? 1 : 0;
        }
        return m;
    }

    /** Returns {@code max|a - b| / max(max|b|, 1e-12)}; arrays must have equal length. */
    static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double diff = 0;
        double scale = 0;
        for (int k = 0; k < a.length; k++) {
            if (Float.isNaN(a[k]) || Float.isNaN(b[k])) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, Math.abs((double) a[k] - b[k]));
            scale = Math.max(scale, Math.abs(b[k]));
        }
        return diff / Math.max(scale, 1e-12);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int k = 0; k < n; k++) {
            r[k] = k;
        }
        return r;
    }
}
