package org.laudnet.core.exec;

import java.util.Arrays;
import java.util.List;
import org.laudnet.core.cost.BlockDensities;

/**
 * What the gates of a network decided in one call and what it cost: per block the path taken and the densities
 * (batch means and per sample), and the network's MACs per image against the static network's (stem, head and
 * maskers included; method section 3: {@code F_dyn / F_static}). Immutable (its arrays are copied in and its
 * accessors' arrays are the record's own: do not modify them) and thread-safe.
 *
 * @param blocks the per-block reports, in network order
 * @param stageOfBlock the stage index (from 0) of every block
 * @param dynamicMacs the mean over the call's images of each image's MACs
 * @param staticMacs the MACs of the static network per image
 * @param sampleDynamicMacs the MACs of each image of the batch, in batch order
 */
public record GateReport(
        List<ExecutionReport> blocks, int[] stageOfBlock, double dynamicMacs, long staticMacs,
        double[] sampleDynamicMacs) {

    /** Validates and copies. */
    public GateReport {
        blocks = List.copyOf(blocks);
        if (stageOfBlock.length != blocks.size()) {
            throw new IllegalArgumentException("stageOfBlock must have one entry per block (" + blocks.size()
                    + "), got " + stageOfBlock.length);
        }
        stageOfBlock = stageOfBlock.clone();
        sampleDynamicMacs = sampleDynamicMacs.clone();
    }

    /** Returns the batch size. */
    public int batch() {
        return sampleDynamicMacs.length;
    }

    /** Returns {@code F_dyn / F_static} of the call (mean over its images). */
    public double macsRatio() {
        return dynamicMacs / staticMacs;
    }

    /**
     * Returns one image's {@code F_dyn / F_static}.
     *
     * @param sample the image's index in the batch
     * @return the ratio
     */
    public double sampleMacsRatio(int sample) {
        return sampleDynamicMacs[sample] / staticMacs;
    }

    /** Returns the paths taken, in block order. */
    public List<ExecutionPath> paths() {
        return blocks.stream().map(ExecutionReport::path).toList();
    }

    /** Returns the number of stages. */
    public int stages() {
        return Arrays.stream(stageOfBlock).max().orElse(-1) + 1;
    }

    /**
     * Returns one stage's mean densities over its blocks (and over the batch, or one image).
     *
     * @param stage the stage index
     * @param sample an image's index in the batch, or -1 for the batch mean
     * @return the mean {@code d1, d2, d3, dc} of the stage's blocks
     */
    public BlockDensities stageDensities(int stage, int sample) {
        double d1 = 0;
        double d2 = 0;
        double d3 = 0;
        double dc = 0;
        int n = 0;
        for (int i = 0; i < blocks.size(); i++) {
            if (stageOfBlock[i] != stage) {
                continue;
            }
            BlockDensities d = sample < 0 ? blocks.get(i).densities() : blocks.get(i).sampleDensities().get(sample);
            d1 += d.d1();
            d2 += d.d2();
            d3 += d.d3();
            dc += d.dc();
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("stage must be in [0, " + stages() + "), got " + stage);
        }
        return new BlockDensities(d1 / n, d2 / n, d3 / n, dc / n);
    }

    /**
     * Returns the report of one image of the batch, as for a batch of that image alone: its MACs and MACs ratio, and
     * per block its densities, MACs ratio and gate units ({@link ExecutionReport#sample}); the paths and predicted
     * times are the batch's.
     *
     * @param sample the image's index
     * @return the single-image report
     */
    public GateReport sample(int sample) {
        if (sample < 0 || sample >= batch()) {
            throw new IllegalArgumentException("sample must be in [0, " + batch() + "), got " + sample);
        }
        List<ExecutionReport> one = blocks.stream().map(r -> r.sample(sample)).toList();
        return new GateReport(one, stageOfBlock, sampleDynamicMacs[sample], staticMacs,
                new double[] {sampleDynamicMacs[sample]});
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof GateReport g && g.blocks.equals(blocks) && Arrays.equals(g.stageOfBlock, stageOfBlock)
                && g.dynamicMacs == dynamicMacs && g.staticMacs == staticMacs
                && Arrays.equals(g.sampleDynamicMacs, sampleDynamicMacs);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return blocks.hashCode() * 31 + Arrays.hashCode(sampleDynamicMacs);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format("GateReport[batch %d, MACs ratio %.3f, paths %s]", batch(), macsRatio(), paths());
    }
}
