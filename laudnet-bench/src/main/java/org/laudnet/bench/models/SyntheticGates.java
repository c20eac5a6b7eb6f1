package org.laudnet.bench.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.GateResult;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synthetic gates for latency and serving benchmarks: gates whose decisions depend on the input like a trained gate's,
 * at a chosen mean keep fraction, without training. Every gate's masker weights are set to seeded random values
 * (normal, standard deviation {@code 1 / sqrt(fan-in)}; biases normal with standard deviation 0.1), then, block by
 * block in network order, the gate is run in eval mode on the calibration inputs (the outputs of the blocks before it,
 * already set) and each of its keep-logit biases (one per channel group or spatial mask group) is shifted by an offset
 * found by bisection so that the fraction of that group's kept mask entries ({@code keep >= skip}) over all samples
 * and cells is as close to the target density as the samples allow; each group is then kept on some inputs and
 * skipped on others. A spatial gate's fraction counts mask cells, a channel gate's channel groups, a layer gate's
 * samples.
 *
 * <p>The classifier's accuracy is not preserved: a network with synthetic gates is for measuring the speed of gated
 * execution only, never for predictions. Not thread-safe: it mutates the network's gate parameters; run it on a
 * network nothing else uses.
 */
public final class SyntheticGates {

    private static final Logger LOG = LoggerFactory.getLogger(SyntheticGates.class);
    private static final int BISECTION_STEPS = 60;

    private SyntheticGates() {}

    /**
     * One gate's calibration.
     *
     * @param block the block index in network order
     * @param kind {@code spatial}, {@code layer} or {@code channel}
     * @param offset the mean keep-bias offset chosen over the gate's groups
     * @param keepFraction the achieved keep fraction over the calibration samples
     */
    public record GateCalibration(int block, String kind, float offset, float keepFraction) {}

    /**
     * What {@link #apply} did.
     *
     * @param gates one entry per gate, in network order
     * @param meanMacsRatio the network's mean dynamic MACs over the samples divided by its static MACs
     */
    public record Result(List<GateCalibration> gates, double meanMacsRatio) {
        /** Defensive copy. */
        public Result {
            gates = List.copyOf(gates);
        }

        /**
         * The mean keep fraction over all gates.
         *
         * @return the mean of {@link GateCalibration#keepFraction()}
         */
        public double meanKeepFraction() {
            return gates.stream().mapToDouble(GateCalibration::keepFraction).average().orElse(1.0);
        }
    }

    /**
     * Randomises every gate of a network and sets its keep/skip biases to a target density.
     *
     * @param net an initialised gated network (its gates are changed in place)
     * @param ps a parameter store for eval-mode forwards
     * @param inputs the calibration batch {@code (N, C, H, W)} the network takes
     * @param density the target keep fraction of every gate, in (0, 1]
     * @param seed the seed of the masker weights
     * @return per-gate offsets and fractions, and the mean MACs ratio
     * @throws IllegalArgumentException for a density outside (0, 1], an empty batch or a network without gates
     */
    public static Result apply(GatedNetwork net, ParameterStore ps, NDArray inputs, double density, long seed) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density must be in (0, 1], got " + density);
        }
        if (inputs.getShape().dimension() != 4 || inputs.getShape().get(0) < 1) {
            throw new IllegalArgumentException("inputs must be a non-empty (N, C, H, W) batch, got "
                    + inputs.getShape());
        }
        boolean gated = net.getBlocks().stream()
                .anyMatch(b -> b.getSpatialGate().isPresent() || b.getChannelGate().isPresent());
        if (!gated) {
            throw new IllegalArgumentException("the network has no gates to set");
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<GateCalibration> out = new ArrayList<>();
        double macs = 0;
        NDManager base = inputs.getManager();
        NDManager step = base.newSubManager();
        try {
            NDArray in = inputs.duplicate();
            in.attach(step);
            NDArray x = net.runStem(ps, in, false);
            for (int b = 0; b < net.getBlocks().size(); b++) {
                AbstractGatedBlock block = net.getBlocks().get(b);
                if (block.getSpatialGate().isPresent()) {
                    String kind = block.getGateSpec().mode() == GateMode.LAYER ? "layer" : "spatial";
                    out.add(calibrate(b, kind, block.getSpatialGate().get(), ps, x, density, random));
                }
                if (block.getChannelGate().isPresent()) {
                    out.add(calibrate(b, "channel", block.getChannelGate().get(), ps, x, density, random));
                }
                BlockResult r = block.run(ps, x, false);
                macs += r.dynamicMacs().mean().getFloat();
                // each block's intermediates live on their own manager, released once its output moved on
                NDManager next = base.newSubManager();
                x = r.output();
                x.attach(next);
                step.close();
                step = next;
            }
        } finally {
            step.close();
        }
        macs += net.stemMacs() + net.headMacs();
        double ratio = macs / net.staticMacs();
        LOG.debug("synthetic gates: {} gates, mean MACs ratio {}", out.size(), ratio);
        return new Result(out, ratio);
    }

    private static GateCalibration calibrate(int index, String kind, Block gate, ParameterStore ps, NDArray x,
            double density, SplittableRandom random) {
        Parameter keepSkip = null;
        for (Pair<String, Parameter> p : gate.getParameters()) {
            Parameter param = p.getValue();
            NDArray a = param.getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            if (param.getType() == Parameter.Type.WEIGHT) {
                double std = 1.0 / Math.sqrt(Math.max(1, a.size() / a.getShape().get(0)));
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (std * gaussian(random));
                }
            } else if (param.getType() == Parameter.Type.BIAS) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.1 * gaussian(random));
                }
                keepSkip = param;
            } else {
                continue;
            }
            a.set(v);
        }
        if (keepSkip == null) {
            throw new IllegalStateException("gate of block " + index + " has no keep/skip bias");
        }
        float[] margins = margins(gate, ps, x);
        NDArray bias = keepSkip.getArray();
        long perSample = margins.length / x.getShape().get(0);
        if (bias.getShape().dimension() != 1 || bias.size() % 2 != 0 || perSample % (bias.size() / 2) != 0) {
            throw new IllegalStateException("gate of block " + index + ": last bias " + bias.getShape()
                    + " is not the keep/skip bias of " + perSample + " mask entries per sample");
        }
        // every keep/skip pair (a channel group, a spatial group) gets its own offset, so that each is kept on about
        // the target fraction of samples and cells and the gate's decisions follow the input
        int n = Math.toIntExact(bias.size() / 2);
        int cells = Math.toIntExact(perSample / n);
        int samples = Math.toIntExact(x.getShape().get(0));
        float[] b = bias.toFloatArray();
        double offsetSum = 0;
        for (int g = 0; g < n; g++) {
            float[] own = new float[samples * cells];
            for (int i = 0; i < samples; i++) {
                System.arraycopy(margins, Math.toIntExact(i * perSample + (long) g * cells), own, i * cells, cells);
            }
            float offset = offset(own, density);
            b[g] += offset;
            offsetSum += offset;
        }
        bias.set(b);
        float offset = (float) (offsetSum / n);
        float achieved = keepFraction(margins(gate, ps, x), 0f);
        return new GateCalibration(index, kind, offset, achieved);
    }

    /** The keep-minus-skip logits of a gate over a batch, every mask entry of every sample. */
    private static float[] margins(Block gate, ParameterStore ps, NDArray x) {
        GateResult r = gate instanceof SpatialGate s ? s.gate(ps, x, false) : ((ChannelGate) gate).gate(ps, x, false);
        NDArray logits = r.logits();
        long n = logits.getShape().get(0);
        NDArray keep = logits.get(":, 0");
        NDArray skip = logits.get(":, 1");
        float[] m = keep.sub(skip).reshape(n, -1).toFloatArray();
        r.mask().close();
        logits.close();
        return m;
    }

    /**
     * The offset {@code d} for which the fraction of {@code margins + d >= 0} is closest to the density, by bisection
     * on the offset (the fraction is non-decreasing in it).
     *
     * @param margins keep-minus-skip logits
     * @param density the target fraction
     * @return the offset
     */
    static float offset(float[] margins, double density) {
        float max = 0;
        for (float m : margins) {
            max = Math.max(max, Math.abs(m));
        }
        float lo = -max - 1;
        float hi = max + 1;
        for (int i = 0; i < BISECTION_STEPS; i++) {
            float mid = (lo + hi) / 2;
            if (mid == lo || mid == hi) {
                break;
            }
            if (keepFraction(margins, mid) >= density) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        double below = Math.abs(keepFraction(margins, lo) - density);
        double above = Math.abs(keepFraction(margins, hi) - density);
        float chosen = below < above ? lo : hi;
        // the middle of the offsets that keep the same entries, so that rounding in the gate cannot flip one
        float smallestKept = Float.POSITIVE_INFINITY;
        float largestSkipped = Float.NEGATIVE_INFINITY;
        for (float m : margins) {
            if (m + chosen >= 0) {
                smallestKept = Math.min(smallestKept, m);
            } else {
                largestSkipped = Math.max(largestSkipped, m);
            }
        }
        if (smallestKept == Float.POSITIVE_INFINITY) {
            return -largestSkipped - 1;
        }
        if (largestSkipped == Float.NEGATIVE_INFINITY) {
            return -smallestKept + 1;
        }
        return -(smallestKept + largestSkipped) / 2;
    }

    /** The fraction of {@code margins + offset >= 0}. */
    static float keepFraction(float[] margins, float offset) {
        int kept = 0;
        for (float m : margins) {
            if (m + offset >= 0) {
                kept++;
            }
        }
        return (float) kept / margins.length;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * Calibration samples from photos: each photo as it is, then seeded variants (a horizontal flip and crops of 60 to
     * 100 percent of each side), preprocessed, until {@code count} samples.
     *
     * @param photos the decoded photos (at least one)
     * @param preprocessing the network's preprocessing
     * @param count how many samples
     * @param seed the seed of the variants
     * @return {@code count} preprocessed samples, {@code C * crop * crop} values each
     * @throws IllegalArgumentException for no photos or a count below 1
     */
    public static List<float[]> samples(List<BufferedImage> photos, ImagePreprocessing preprocessing, int count,
            long seed) {
        if (photos.isEmpty() || count < 1) {
            throw new IllegalArgumentException("need photos and a positive count, got " + photos.size()
                    + " photos and count " + count);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            BufferedImage p = photos.get(i % photos.size());
            if (i >= photos.size()) {
                p = variant(p, random);
            }
            out.add(preprocessing.apply(p));
        }
        return out;
    }

    private static BufferedImage variant(BufferedImage image, SplittableRandom r) {
        int w = Math.max(1, (int) (image.getWidth() * (0.6 + 0.4 * r.nextDouble())));
        int h = Math.max(1, (int) (image.getHeight() * (0.6 + 0.4 * r.nextDouble())));
        int x0 = r.nextInt(image.getWidth() - w + 1);
        int y0 = r.nextInt(image.getHeight() - h + 1);
        boolean flip = r.nextBoolean();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        if (flip) {
            g.drawImage(image, w, 0, 0, h, x0, y0, x0 + w, y0 + h, null);
        } else {
            g.drawImage(image, 0, 0, w, h, x0, y0, x0 + w, y0 + h, null);
        }
        g.dispose();
        return out;
    }

    /**
     * Stacks samples into a batch on a manager.
     *
     * @param manager where the batch lives
     * @param samples equal-length samples
     * @param channels channels per sample
     * @param size the crop side
     * @return {@code (N, channels, size, size)}
     */
    public static NDArray batch(NDManager manager, List<float[]> samples, int channels, int size) {
        int per = channels * size * size;
        float[] all = new float[samples.size() * per];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i), 0, all, i * per, per);
        }
        return manager.create(all, new Shape(samples.size(), channels, size, size));
    }
}
