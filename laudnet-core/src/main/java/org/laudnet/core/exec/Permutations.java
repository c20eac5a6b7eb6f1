package org.laudnet.core.exec;

import java.util.Random;

/** Index permutations for synthetic and imposed gate decisions. Stateless; thread-safe given a per-thread random. */
final class Permutations {

    private Permutations() {}

    /**
     * Returns {@code 0, 1, ..., n - 1}.
     *
     * @param n the length
     * @return the identity permutation
     */
    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    /**
     * Returns a uniformly random permutation of {@code 0 .. n - 1} (Fisher–Yates, drawing {@code n - 1} values).
     *
     * @param n the length
     * @param r the random source
     * @return the permutation
     */
    static int[] shuffled(int n, Random r) {
        int[] o = identity(n);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }
}
