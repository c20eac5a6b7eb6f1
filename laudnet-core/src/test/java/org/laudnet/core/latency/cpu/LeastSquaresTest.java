package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LeastSquaresTest {

    @Test
    void recoversKnownCoefficientsFromExactSyntheticData() {
        Random r = new Random(3);
        int n = 40;
        double[][] f = new double[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double macs = 1e6 + r.nextDouble() * 1e9;
            double elems = 1e4 + r.nextDouble() * 1e7;
            double patches = r.nextInt(500);
            f[i] = new double[] {macs, elems, patches};
            y[i] = 0.25 + 2e-9 * macs + 3e-7 * elems + 0.004 * patches;
        }
        LinearTerm t = LeastSquares.fit(List.of("macs", "elements", "patches"), f, y);
        assertEquals(0.25, t.intercept(), 1e-6);
        assertEquals(2e-9, t.coefficient("macs"), 1e-14);
        assertEquals(3e-7, t.coefficient("elements"), 1e-12);
        assertEquals(0.004, t.coefficient("patches"), 1e-8);
        assertEquals(n, t.samples());
        assertEquals(0, t.rmsRelativeError(), 1e-6);
    }

    @Test
    void aNegativeTrueSlopeIsClampedToZeroAndNoisyDataStaysClose() {
        double[][] f = new double[20][];
        double[] y = new double[20];
        Random r = new Random(5);
        for (int i = 0; i < 20; i++) {
            double a = 1 + i;
            double b = 100 + 5 * i;
            f[i] = new double[] {a, b};
            // y decreases with b: the non-negative fit must set b's coefficient to 0
            y[i] = (2 + 0.5 * a - 0.001 * b) * (1 + 0.01 * (r.nextDouble() - 0.5));
        }
        LinearTerm t = LeastSquares.fit(List.of("a", "b"), f, y);
        assertEquals(0, t.coefficient("b"), 0);
        assertEquals(0.5, t.coefficient("a"), 0.05);
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.fit(List.of("a"), new double[][] {{1}}, new double[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.fit(List.of("a"), new double[][] {{1, 2}}, new double[] {1}));
    }

    @Test
    void theAbsoluteFitAcceptsZeroTimingsAndRecoversSmallDifferences() {
        int n = 30;
        double[][] f = new double[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double e = 1e5 * (i + 1);
            f[i] = new double[] {e};
            y[i] = 0.01 + 3e-8 * e;
        }
        LinearTerm t = LeastSquares.fitAbsolute(List.of("inputElements"), f, y);
        assertEquals(0.01, t.intercept(), 1e-9);
        assertEquals(3e-8, t.coefficient("inputElements"), 1e-15);
        assertEquals(0, t.rmsRelativeError(), 1e-9);
        // zero differences (a masker lost in noise) are data, not errors; all zero fits zero
        LinearTerm zero = LeastSquares.fitAbsolute(List.of("e"), new double[][] {{1}, {2}}, new double[] {0, 0});
        assertEquals(0, zero.intercept(), 0);
        assertEquals(0, zero.coefficient("e"), 0);
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.fitAbsolute(List.of("e"), new double[][] {{1}}, new double[] {-0.1}));
        // the relative fit refuses the zero the absolute fit takes
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.fit(List.of("e"), new double[][] {{1}}, new double[] {0}));
    }

    @Test
    void theRelativeFitIsRescaledToBeUnbiasedOnTheLogScale() {
        // t = 0.2 + 1e-3 f, times (1 + e) with e = +0.3 and -0.3 alternating at every f: the relative squared error
        // alone would fit about 0.83 of the truth; the rescaled fit has a geometric mean of t / p of exactly 1
        int n = 40;
        double[][] f = new double[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double x = 100 * (i / 2 + 1);
            f[i] = new double[] {x};
            y[i] = (0.2 + 1e-3 * x) * (i % 2 == 0 ? 1.3 : 0.7);
        }
        LinearTerm t = LeastSquares.fit(List.of("x"), f, y);
        double logSum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double p = t.predict(f[i]);
            logSum += Math.log(y[i] / p);
            sq += Math.pow((p - y[i]) / y[i], 2);
        }
        assertEquals(0, logSum / n, 1e-9);
        // the truth times sqrt(1.3 * 0.7) = 0.954, the geometric mean of the noise
        assertEquals(1e-3 * Math.sqrt(1.3 * 0.7), t.coefficient("x"), 1e-6);
        assertEquals(0.2 * Math.sqrt(1.3 * 0.7), t.intercept(), 1e-4);
        assertEquals(Math.sqrt(sq / n), t.rmsRelativeError(), 1e-12);
    }
}
