package org.laudnet.models.data;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * A deterministic shuffling sub-sampler: pass {@code k} (counted from 0, one pass per call of {@link #sample}) visits
 * the dataset in the permutation drawn by {@code new Random(seed + k)} (a Fisher-Yates shuffle of {@code 0..n-1}).
 * Two samplers with the same seed therefore produce the same sequence of epochs; {@link #setPass(int)} rewinds or
 * skips ahead, for instance after resuming from a checkpoint.
 */
public final class SeededShuffleSampler implements Sampler.SubSampler {

    private final long seed;
    private int pass;

    /**
     * Creates a sampler.
     *
     * @param seed the base seed
     */
    public SeededShuffleSampler(long seed) {
        this.seed = seed;
    }

    /**
     * Sets the pass that the next call of {@link #sample} draws.
     *
     * @param pass non-negative pass index
     */
    public synchronized void setPass(int pass) {
        if (pass < 0) {
            throw new IllegalArgumentException("pass must be non-negative, got " + pass);
        }
        this.pass = pass;
    }

    /** Returns the pass that the next call of {@link #sample} draws. */
    public synchronized int getPass() {
        return pass;
    }

    /**
     * Returns the permutation of pass {@code pass} over {@code size} items.
     *
     * @param size number of items
     * @param pass the pass index
     * @return the visiting order
     */
    public List<Long> permutation(long size, int pass) {
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("size must be in [0, 2^31), got " + size);
        }
        List<Long> order = new ArrayList<>((int) size);
        for (long i = 0; i < size; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed + pass));
        return order;
    }

    /** {@inheritDoc} */
    @Override
    public Iterator<Long> sample(RandomAccessDataset dataset) {
        int p;
        synchronized (this) {
            p = pass++;
        }
        return permutation(dataset.size(), p).iterator();
    }
}
