package org.laudnet.core.latency;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * The analytical GPU latency model of LAUDNet: a roofline evaluated over a tiled execution of every kernel.
 *
 * <h2>Machine</h2>
 *
 * {@code P} processing elements of {@code L} fp32 lanes at clock {@code f}; DRAM delivers {@code E_dram = BW / e}
 * elements/s ({@code e} = bytes per element: 4, or 2 for {@link ComputePrecision#FP16}); L2 delivers {@code E_l2 = k
 * E_dram}; a 32-byte sector holds {@code S_mem = 32 / e} elements; an fp32 operation occupies a lane for {@code Q = 4}
 * cycles; every kernel pays a fixed launch cost (8 us in the reference).
 *
 * <p>Helpers: {@code ceil_eff(x, p) = x / (ceil(x/p) p)}; {@code mem_eff(n, gap, S) = ceil_eff(n, S)} if {@code n >
 * S}, {@code n / S} if {@code n + gap > S}, else {@code n / (n + gap)} (negative gaps count as 0).
 *
 * <h2>Convolution kernel</h2>
 *
 * For a tile {@code (c_t, h_t, w_t, p)} of an output of {@code Cout} channels and {@code H x W} pixels per unit (a
 * unit is an image of a dense kernel, {@code H = Ho, W = Wo}, or a patch of a patched kernel, {@code H = W = S}), with
 * {@code u} units ({@code N} images or {@code n} patches), input/output channel densities {@code d_i, d_o} and weight
 * scale {@code d_w = d_i d_o} at batch 1, else 1:
 *
 * <pre>
 *   T      = ceil(Cout/c_t) ceil(H/h_t) ceil(W/w_t)
 *   D      = Cout Cin/g k^2 d_w + In d_i + Out d_o
 *            In  = N Cin Hi Wi (dense or in-place), n Cin r^2 (gathered, r = s (S-1) + k)
 *            Out = N Cout Ho Wo (dense), n Cout S^2 (patched)
 *   M      = T [c_t Cin/g k^2 d_w + u ceil(c_t/(Cout/g)) Cin/g (h_t+k-1)s (w_t+k-1)s d_i + u c_t h_t w_t d_o]
 *   t_mem  = D / E_dram + M / (E_l2 mem_eff(w_t, gap, S_mem)),  gap = Wo - w_t (dense, in-place), S - w_t (gathered)
 *   t_comp = [c_t h_t w_t Cin/g k^2 q / (f L)] / ceil_eff(c_t h_t w_t p, L Q) * R * d_i * m_o(c_t) * ceil(T/P)
 *            q = N (dense) or p (patched); R = 1 (dense) or ceil(n/p) (patched)
 *   t      = min over tiles of combine(t_comp, t_mem) + launch
 * </pre>
 *
 * where {@code m_o(c_t)} is the expected channel density of the busiest output-channel tile (load imbalance, {@link
 * ChannelImbalance}; 1 without channel gating). Tile candidates per extent {@code n}: powers of two up to 128 (up to
 * the first one {@code >= n}), {@code ceil(n/d)} for {@code d = 1..7} and {@code 2..7}; {@code p} ranges over powers
 * of two up to 256 (up to the first one {@code >= n}). For a dense kernel at densities 1 this is exactly the reference's
 * static convolution.
 *
 * <h2>Memory-only kernels</h2>
 *
 * <ul>
 *   <li>gather of {@code n} input regions of {@code r x r} from {@code (N, C, H, W)}: {@code min(N C H W, n C r^2) /
 *       (E_dram mem_eff(r, W - r, S_mem)) + n C r^2 / E_dram + launch} (rows of {@code r} contiguous elements waste
 *       sector bandwidth; distinct reads never exceed the input);
 *   <li>fused scatter-add (with ReLU) of {@code n} patches of {@code S x S} into {@code (N, C, Ho, Wo)}: {@code 2 N C Ho
 *       Wo / E_dram + n C S^2 / (E_dram mem_eff(S, Wo - S, S_mem)) + launch} (read identity, write output, read the
 *       compact patches in output order);
 *   <li>pooling {@code (N, C, Hi, Wi) -> (N, C, Ho, Wo)}: {@code N C (Hi Wi + Ho Wo) / E_dram + launch}.
 * </ul>
 *
 * <h2>Blocks</h2>
 *
 * Static: {@code conv1 + conv2 + conv3 + downsample} (the residual add is taken as fused into conv3's epilogue).
 * Spatial ({@code SPATIAL}, {@code BOTH}): {@code n = N ceil(rho m^2)} patches of {@code S x S} output pixels, {@code m
 * = Ho / S}; each convolution computes the region its successor needs ({@code r_in = s (r_out - 1) + k}, backwards
 * from {@code S}); the cheapest of three schedules is taken:
 *
 * <ol>
 *   <li>gathered: masker, gather of the input regions, conv1, conv2 and conv3 on compact buffers, scatter-add;
 *   <li>in place: masker, conv1 reading the input in place, conv2 and conv3 on compact buffers, scatter-add;
 *   <li>fused ({@code SPATIAL} bottlenecks with a stride-1 conv1 only): the masker's {@code 1x1} convolution runs as 2
 *       extra output channels of a dense conv1 ({@code pool(conv(x)) = conv(pool(x))} for a {@code 1x1} convolution),
 *       the masker part is the pooling of those channels, conv2 reads conv1's dense output in place, then conv3 and
 *       scatter-add.
 * </ol>
 *
 * Spatial masker: average pool of the block input to {@code m x m} (skipped when {@code m} is the input size) and a
 * {@code 1x1} convolution {@code Cin -> 2}. Channel masker: global pool, linear {@code Cin -> h}, linear {@code h -> 2G}
 * with {@code h = max(G/16, 16)}. Channel gating ({@code CHANNEL}, {@code BOTH}, {@code G} groups of {@code w/G}
 * channels): conv1 output density {@code dc}; conv2 input and output {@code dc} (basic block: conv2 input only); conv3
 * input {@code dc}. Layer skipping: {@code t = t_masker + t_downsample + rho (t_conv1 + t_conv2 + t_conv3)} with the
 * spatial masker at {@code m = 1}.
 *
 * <h2>Extensions (off in {@link ModelOptions#REFERENCE})</h2>
 *
 * <ul>
 *   <li>{@link ComputePrecision#TF32}/{@link ComputePrecision#FP16}: the compute term uses the part's dense tensor
 *       throughput, {@code t_tile = MACs / (F_tensor / (2P)) / eff} with {@code eff = ceil_eff(h_t w_t q, 16)
 *       ceil_eff(c_t, 8) ceil_eff(Cin/g k^2, k_mma)} (mma fragments {@code m16 n8 k8} / {@code m16 n8 k16}); FP16 also
 *       halves the bytes per element. Parts without such units keep the CUDA-core term.
 *   <li>{@link LaunchCostSource#PRESET}: the part's own launch cost instead of the constant 8 us.
 *   <li>{@link CombineMode#MAX}: overlap compute and memory.
 * </ul>
 *
 * <h2>Known limit</h2>
 *
 * The static search (as in the reference) does not tile across images, while a patched kernel tiles {@code p}
 * patches. At {@code S = Ho} a patch is a whole image, so a spatially gated block at density 1 can come out below the
 * static block on wide parts (up to 30 % on H100/H200 for the {@code 7 x 7} stage at batch 128; under 9 % on V100). For
 * {@code S < Ho} the dynamic prediction at density 1 is never below the static one on any preset.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TiledRooflineModel implements LatencyPredictor {

    /** {@code Q}, cycles an fp32 lane spends per operation. */
    public static final int CYCLES_PER_OP = 4;

    /** Bytes in one DRAM/L2 sector. */
    public static final int SECTOR_BYTES = 32;

    /** Largest power-of-two tile extent searched. */
    public static final int MAX_POW2_TILE = 128;

    /** Largest number of patches processed in parallel by one tile. */
    public static final int MAX_PATCHES_PARALLEL = 256;

    /** Largest divisor {@code d} of the even-split tile candidates {@code ceil(n/d)}. */
    private static final int MAX_SPLIT = 8;

    /** Output rows of an mma fragment. */
    private static final int MMA_M = 16;

    /** Output columns of an mma fragment. */
    private static final int MMA_N = 8;

    private final HardwareSpec hw;
    private final ModelOptions options;

    /**
     * A model with the reference semantics.
     *
     * @param hw the target part
     */
    public TiledRooflineModel(HardwareSpec hw) {
        this(hw, ModelOptions.REFERENCE);
    }

    /**
     * A model with the given switches.
     *
     * @param hw the target part
     * @param options the model switches
     */
    public TiledRooflineModel(HardwareSpec hw, ModelOptions options) {
        if (hw == null) {
            throw new IllegalArgumentException("hw must not be null");
        }
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        this.hw = hw;
        this.options = options;
    }

    /** Returns the target part. */
    public HardwareSpec hardware() {
        return hw;
    }

    /** Returns the model switches. */
    public ModelOptions options() {
        return options;
    }

    @Override
    public String name() {
        return "tiled-roofline[" + hw.name() + ", " + options.combine() + ", " + options.precision() + ", launch "
                + options.launchCost() + "]";
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Returns {@code ceil_eff(x, p) = x / (ceil(x/p) p)}, the used fraction of {@code p}-wide units that hold {@code
     * x} items.
     *
     * @param x items, positive
     * @param p unit width, positive
     * @return the efficiency in {@code (0, 1]}
     */
    public static double ceilEff(double x, double p) {
        if (!(x > 0) || !(p > 0)) {
            throw new IllegalArgumentException("x and p must be positive, got x = " + x + ", p = " + p);
        }
        return x / (Math.ceil(x / p) * p);
    }

    /**
     * Returns the sector efficiency of reading rows of {@code n} contiguous elements separated by {@code gap}
     * elements: {@code ceil_eff(n, S)} if {@code n > S}; {@code n / S} if {@code n + gap > S}; else {@code n / (n +
     * gap)}. A negative gap counts as 0.
     *
     * @param n contiguous elements per request, positive
     * @param gap elements skipped between requests
     * @param s elements per sector, positive
     * @return the efficiency in {@code (0, 1]}
     */
    public static double memEff(double n, double gap, double s) {
        if (!(n > 0) || !(s > 0)) {
            throw new IllegalArgumentException("n and s must be positive, got n = " + n + ", s = " + s);
        }
        double g = Math.max(0, gap);
        if (n > s) {
            return ceilEff(n, s);
        }
        if (n + g > s) {
            return n / s;
        }
        return n / (n + g);
    }

    /**
     * Returns the tile extents searched for an output extent {@code n}: powers of two up to {@link #MAX_POW2_TILE}
     * (stopping at the first one {@code >= n}), the even splits {@code ceil(n/d)} for {@code d = 1..7, d <= n}, and
     * {@code 2..min(n, 8) - 1}; sorted ascending, without duplicates.
     *
     * @param n the extent, positive
     * @return the candidates
     */
    public static int[] tileCandidates(int n) {
        Checks.positive("n", n);
        TreeSet<Integer> set = new TreeSet<>();
        for (int t = 1; t <= MAX_POW2_TILE; t *= 2) {
            set.add(t);
            if (t >= n) {
                break;
            }
        }
        for (int d = 1; d < MAX_SPLIT && d <= n; d++) {
            set.add((n + d - 1) / d);
        }
        for (int t = 2; t < Math.min(n, MAX_SPLIT); t++) {
            set.add(t);
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Returns the patch-parallel extents searched for {@code n} patches: powers of two up to {@link
     * #MAX_PATCHES_PARALLEL}, stopping at the first one {@code >= n}.
     *
     * @param n patches, non-negative
     * @return the candidates
     */
    public static int[] patchCandidates(long n) {
        List<Integer> out = new ArrayList<>();
        for (int p = 1; p <= MAX_PATCHES_PARALLEL; p *= 2) {
            out.add(p);
            if (p >= n) {
                break;
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private int bytesPerElement() {
        return options.precision().bytesPerElement();
    }

    /** Returns {@code E_dram}, elements/s from DRAM at the model's element width. */
    public double dramElementsPerSecond() {
        return hw.dramBandwidthBytesPerSecond() / bytesPerElement();
    }

    /** Returns {@code E_l2 = k E_dram}. */
    public double l2ElementsPerSecond() {
        return hw.l2Factor() * dramElementsPerSecond();
    }

    /** Returns {@code S_mem}, elements per 32-byte sector. */
    public int sectorElements() {
        return SECTOR_BYTES / bytesPerElement();
    }

    /** Returns the launch cost per kernel in seconds. */
    public double launchSeconds() {
        return options.launchCost().seconds(hw);
    }

    // ------------------------------------------------------------ conv kernels

    /**
     * Evaluates a dense convolution under one tile ({@code tile.patches()} must be 1): the reference static-conv
     * formula of the class documentation.
     *
     * @param conv the convolution
     * @param batchSize {@code N}
     * @param tile the tile
     * @return compute, memory and total time in seconds
     */
    public TileEstimate evaluateConvTile(ConvShape conv, int batchSize, ConvTile tile) {
        return evaluateTile(ConvKernel.dense(conv, batchSize), tile);
    }

    /**
     * Searches the fastest tile of a dense convolution.
     *
     * @param conv the convolution
     * @param batchSize {@code N}
     * @return the best tile's estimate (seconds)
     */
    public TileEstimate searchConv(ConvShape conv, int batchSize) {
        return search(ConvKernel.dense(conv, batchSize));
    }

    /**
     * Evaluates a (dense, channel-gated or patched) convolution kernel under one tile, per the formulas of the class
     * documentation.
     *
     * @param kernel the kernel
     * @param tile the tile; {@code patches} must be 1 for a dense kernel
     * @return compute, memory and total time in seconds
     */
    public TileEstimate evaluateTile(ConvKernel kernel, ConvTile tile) {
        if (kernel == null || tile == null) {
            throw new IllegalArgumentException("kernel and tile must not be null");
        }
        if (!kernel.patched() && tile.patches() != 1) {
            throw new IllegalArgumentException("tile.patches must be 1 for a dense kernel, got " + tile.patches());
        }
        ConvShape c = kernel.conv();
        int n = kernel.batchSize();
        boolean patched = kernel.patched();
        int k2 = c.kernel() * c.kernel();
        int s = c.stride();
        long cinG = c.inChannels() / c.groups();
        long coutG = c.outChannels() / c.groups();
        double di = kernel.inDensity();
        double dout = kernel.outDensity();
        int spatialH = patched ? kernel.patchSide() : c.outHeight();
        int spatialW = patched ? kernel.patchSide() : c.outWidth();
        double units = patched ? kernel.patches() : n;
        int ct = tile.channels();
        int ht = tile.height();
        int wt = tile.width();

        long tiles = ceilDiv(c.outChannels(), ct) * ceilDiv(spatialH, ht) * ceilDiv(spatialW, wt);
        double wScale = n == 1 ? di * dout : 1;

        double weights = (double) c.outChannels() * cinG * k2;
        double in;
        if (patched && kernel.gatheredInput()) {
            in = (double) kernel.patches() * c.inChannels() * kernel.inSide() * kernel.inSide();
        } else {
            in = (double) n * c.inChannels() * c.inHeight() * c.inWidth();
        }
        double out = patched
                ? (double) kernel.patches() * c.outChannels() * kernel.patchSide() * kernel.patchSide()
                : (double) n * c.outChannels() * c.outHeight() * c.outWidth();
        double dram = weights * wScale + in * di + out * dout;
        double perTile = (double) ct * cinG * k2 * wScale
                + units * ceilDiv(ct, coutG) * cinG * (double) (ht + c.kernel() - 1) * s
                        * (double) (wt + c.kernel() - 1) * s * di
                + units * ct * ht * wt * dout;
        double l2 = tiles * perTile;
        int gap = patched && kernel.gatheredInput() ? kernel.patchSide() - wt : c.outWidth() - wt;
        double tMem = dram / dramElementsPerSecond()
                + l2 / (l2ElementsPerSecond() * memEff(wt, gap, sectorElements()));

        int p = tile.patches();
        double rounds = patched ? Math.ceil(kernel.patches() / (double) p) : 1;
        double q = patched ? p : n;
        double tileMacs = (double) ct * ht * wt * cinG * k2 * q;
        double tensor = options.precision().tensorFlops(hw);
        double tTile;
        if (tensor > 0) {
            double perPe = tensor / 2 / hw.processingElements();
            double eff = ceilEff((double) ht * wt * q, MMA_M) * ceilEff(ct, MMA_N)
                    * ceilEff((double) cinG * k2, options.precision().mmaK());
            tTile = tileMacs / perPe / eff;
        } else {
            double eff = ceilEff((double) ct * ht * wt * (patched ? p : 1),
                    (double) hw.fp32LanesPerPe() * CYCLES_PER_OP);
            tTile = tileMacs / (hw.clockHz() * hw.fp32LanesPerPe()) / eff;
        }
        double maxOut = kernel.outGroupChannels() > 0
                ? ChannelImbalance.expectedMaxTileDensity(c.outChannels(), ct, kernel.outGroupChannels(), dout)
                : dout;
        double tComp = tTile * rounds * di * maxOut * ceilDiv(tiles, hw.processingElements());
        double launch = launchSeconds();
        return new TileEstimate(tile, tiles, tComp, tMem, launch,
                options.combine().combine(tComp, tMem) + launch);
    }

    /**
     * Searches the fastest tile of a convolution kernel over the candidate extents of the class documentation.
     * Deterministic: ties keep the first candidate in (p, c_t, h_t, w_t) ascending order.
     *
     * @param kernel the kernel
     * @return the best estimate (seconds)
     */
    public TileEstimate search(ConvKernel kernel) {
        if (kernel == null) {
            throw new IllegalArgumentException("kernel must not be null");
        }
        ConvShape c = kernel.conv();
        int spatialH = kernel.patched() ? kernel.patchSide() : c.outHeight();
        int spatialW = kernel.patched() ? kernel.patchSide() : c.outWidth();
        int[] ps = kernel.patched() ? patchCandidates(kernel.patches()) : new int[] {1};
        int[] cs = tileCandidates(c.outChannels());
        int[] hs = tileCandidates(spatialH);
        int[] ws = tileCandidates(spatialW);
        TileEstimate best = null;
        for (int p : ps) {
            for (int ct : cs) {
                for (int ht : hs) {
                    for (int wt : ws) {
                        TileEstimate e = evaluateTile(kernel, new ConvTile(ct, ht, wt, p));
                        if (best == null || e.totalSeconds() < best.totalSeconds()) {
                            best = e;
                        }
                    }
                }
            }
        }
        return best;
    }

    // ----------------------------------------------------- memory-only kernels

    /**
     * Predicts a gather kernel: {@code n} input regions of {@code r x r} pixels and {@code C} channels copied from
     * {@code (N, C, H, W)} into a compact buffer: {@code min(N C H W, n C r^2) / (E_dram mem_eff(r, W - r, S_mem)) + n
     * C r^2 / E_dram + launch}.
     *
     * @param channels {@code C}
     * @param inHeight {@code H}
     * @param inWidth {@code W}
     * @param regionSide {@code r}
     * @param patches {@code n}, over the whole batch
     * @param batchSize {@code N}
     * @return seconds
     */
    public double gatherSeconds(int channels, int inHeight, int inWidth, int regionSide, long patches,
            int batchSize) {
        Checks.positive("channels", channels);
        Checks.positive("inHeight", inHeight);
        Checks.positive("inWidth", inWidth);
        Checks.positive("regionSide", regionSide);
        Checks.positive("batchSize", batchSize);
        if (patches < 0) {
            throw new IllegalArgumentException("patches must be non-negative, got " + patches);
        }
        double written = (double) patches * channels * regionSide * regionSide;
        double read = Math.min((double) batchSize * channels * inHeight * inWidth, written);
        double e = dramElementsPerSecond();
        return read / (e * memEff(regionSide, inWidth - regionSide, sectorElements())) + written / e
                + launchSeconds();
    }

    /**
     * Predicts the fused scatter-add: {@code n} compact patches of {@code S x S} pixels added into the identity {@code
     * (N, C, Ho, Wo)}, ReLU applied, output written: {@code 2 N C Ho Wo / E_dram + n C S^2 / (E_dram mem_eff(S, Wo -
     * S, S_mem)) + launch}.
     *
     * @param channels {@code C}
     * @param outHeight {@code Ho}
     * @param outWidth {@code Wo}
     * @param patchSide {@code S}
     * @param patches {@code n}, over the whole batch
     * @param batchSize {@code N}
     * @return seconds
     */
    public double scatterAddSeconds(int channels, int outHeight, int outWidth, int patchSide, long patches,
            int batchSize) {
        Checks.positive("channels", channels);
        Checks.positive("outHeight", outHeight);
        Checks.positive("outWidth", outWidth);
        Checks.positive("patchSide", patchSide);
        Checks.positive("batchSize", batchSize);
        if (patches < 0) {
            throw new IllegalArgumentException("patches must be non-negative, got " + patches);
        }
        double full = (double) batchSize * channels * outHeight * outWidth;
        double compact = (double) patches * channels * patchSide * patchSide;
        double e = dramElementsPerSecond();
        return 2 * full / e + compact / (e * memEff(patchSide, outWidth - patchSide, sectorElements()))
                + launchSeconds();
    }

    /**
     * Predicts a pooling: {@code N C (Hi Wi + Ho Wo) / E_dram + launch}.
     *
     * @param pool the pooling
     * @param batchSize {@code N}
     * @return seconds
     */
    public double poolSeconds(PoolShape pool, int batchSize) {
        if (pool == null) {
            throw new IllegalArgumentException("pool must not be null");
        }
        Checks.positive("batchSize", batchSize);
        double elems = (double) batchSize * pool.channels()
                * ((double) pool.inHeight() * pool.inWidth() + (double) pool.outHeight() * pool.outWidth());
        return elems / dramElementsPerSecond() + launchSeconds();
    }

    @Override
    public double convLatencyMs(ConvShape conv, int batchSize) {
        return searchConv(conv, batchSize).totalSeconds() * 1e3;
    }

    @Override
    public double poolLatencyMs(PoolShape pool, int batchSize) {
        return poolSeconds(pool, batchSize) * 1e3;
    }

    // ------------------------------------------------------------------ blocks

    /** The convolutions of a block's residual branch at full resolution, in order (2 or 3). */
    static List<ConvShape> branch(BlockGeometry g) {
        if (g.type() == BlockType.BOTTLENECK) {
            int h1 = g.conv1OutHeight();
            int w1 = g.conv1OutWidth();
            return List.of(
                    new ConvShape(g.inChannels(), g.width(), g.inHeight(), g.inWidth(), 1, g.conv1Stride(), 1, 0),
                    new ConvShape(g.width(), g.width(), h1, w1, 3, g.conv2Stride(), g.convGroups(), 1),
                    new ConvShape(g.width(), g.outChannels(), g.outHeight(), g.outWidth(), 1, 1, 1, 0));
        }
        return List.of(
                new ConvShape(g.inChannels(), g.width(), g.inHeight(), g.inWidth(), 3, g.stride(), 1, 1),
                new ConvShape(g.width(), g.outChannels(), g.outHeight(), g.outWidth(), 3, 1, 1, 1));
    }

    /** The downsample convolution, or null. */
    static ConvShape downsample(BlockGeometry g) {
        return g.hasDownsample()
                ? new ConvShape(g.inChannels(), g.outChannels(), g.inHeight(), g.inWidth(), 1, g.stride(), 1, 0)
                : null;
    }

    private double downsampleSeconds(BlockGeometry g, int batch) {
        ConvShape ds = downsample(g);
        return ds == null ? 0 : searchConv(ds, batch).totalSeconds();
    }

    @Override
    public LatencyBreakdown staticBreakdown(BlockGeometry geometry, int batchSize) {
        if (geometry == null) {
            throw new IllegalArgumentException("geometry must not be null");
        }
        Checks.positive("batchSize", batchSize);
        List<ConvShape> convs = branch(geometry);
        double[] t = new double[3];
        for (int i = 0; i < convs.size(); i++) {
            t[i] = searchConv(convs.get(i), batchSize).totalSeconds();
        }
        return ms(0, 0, t, 0, downsampleSeconds(geometry, batchSize));
    }

    /**
     * Predicts the spatial masker: average pool of {@code (N, Cin, Hin, Win)} to {@code m x m} (skipped when {@code m}
     * equals the input size) and a {@code 1x1} convolution {@code Cin -> 2}.
     *
     * @param geometry the block
     * @param maskSide {@code m}
     * @param batchSize {@code N}
     * @return seconds
     */
    public double spatialMaskerSeconds(BlockGeometry geometry, int maskSide, int batchSize) {
        Checks.positive("maskSide", maskSide);
        double t = 0;
        if (maskSide != geometry.inHeight() || maskSide != geometry.inWidth()) {
            t += poolSeconds(new PoolShape(geometry.inChannels(), geometry.inHeight(), geometry.inWidth(), maskSide,
                    maskSide), batchSize);
        }
        return t + searchConv(new ConvShape(geometry.inChannels(), 2, maskSide, maskSide, 1, 1, 1, 0), batchSize)
                .totalSeconds();
    }

    /**
     * Predicts the channel masker: global average pool of the block input, linear {@code Cin -> h}, linear {@code h ->
     * 2G}, {@code h = max(G/16, 16)}.
     *
     * @param geometry the block
     * @param channelGroups {@code G}
     * @param batchSize {@code N}
     * @return seconds
     */
    public double channelMaskerSeconds(BlockGeometry geometry, int channelGroups, int batchSize) {
        Checks.positive("channelGroups", channelGroups);
        int hidden = Math.max(channelGroups / 16, 16);
        return poolSeconds(PoolShape.global(geometry.inChannels(), geometry.inHeight(), geometry.inWidth()),
                        batchSize)
                + searchConv(ConvShape.linear(geometry.inChannels(), hidden), batchSize).totalSeconds()
                + searchConv(ConvShape.linear(hidden, 2 * channelGroups), batchSize).totalSeconds();
    }

    @Override
    public LatencyBreakdown dynamicBreakdown(BlockLatencyQuery q) {
        if (q == null) {
            throw new IllegalArgumentException("query must not be null");
        }
        switch (q.mode()) {
            case NONE:
                return staticBreakdown(q.geometry(), q.batchSize());
            case LAYER:
                return layerBreakdown(q);
            case CHANNEL:
                return channelBreakdown(q);
            default:
                return spatialBreakdown(q);
        }
    }

    private LatencyBreakdown layerBreakdown(BlockLatencyQuery q) {
        BlockGeometry g = q.geometry();
        int n = q.batchSize();
        double masker = spatialMaskerSeconds(g, 1, n);
        List<ConvShape> convs = branch(g);
        double[] t = new double[3];
        for (int i = 0; i < convs.size(); i++) {
            t[i] = q.density() * searchConv(convs.get(i), n).totalSeconds();
        }
        return ms(masker, 0, t, 0, downsampleSeconds(g, n));
    }

    /** Channel densities (in, out) and output group size of branch convolution {@code i}. */
    private static double[] channelFactors(BlockGeometry g, int i, double dc) {
        boolean last = i == branch(g).size() - 1;
        double in = i == 0 ? 1 : dc;
        double out = last ? 1 : dc;
        return new double[] {in, out};
    }

    private LatencyBreakdown channelBreakdown(BlockLatencyQuery q) {
        BlockGeometry g = q.geometry();
        int n = q.batchSize();
        int groupChannels = g.width() / q.channelGroups();
        double dc = q.channelDensity();
        List<ConvShape> convs = branch(g);
        double[] t = new double[3];
        for (int i = 0; i < convs.size(); i++) {
            double[] f = channelFactors(g, i, dc);
            int gs = i == convs.size() - 1 ? 0 : groupChannels;
            t[i] = search(ConvKernel.channelGated(convs.get(i), n, f[0], f[1], gs)).totalSeconds();
        }
        return ms(channelMaskerSeconds(g, q.channelGroups(), n), 0, t, 0, downsampleSeconds(g, n));
    }

    private LatencyBreakdown spatialBreakdown(BlockLatencyQuery q) {
        BlockGeometry g = q.geometry();
        int n = q.batchSize();
        boolean channel = q.mode().hasChannelGate();
        double dc = channel ? q.channelDensity() : 1;
        int groupChannels = g.width() / q.channelGroups();
        int side = q.spatialGranularity();
        int m = q.maskSide();
        long patches = q.activePatchesPerImage() * n;
        List<ConvShape> convs = branch(g);
        int count = convs.size();

        int[] outSide = new int[count];
        outSide[count - 1] = side;
        for (int i = count - 1; i > 0; i--) {
            ConvShape c = convs.get(i);
            outSide[i - 1] = c.stride() * (outSide[i] - 1) + c.kernel();
        }
        ConvShape first = convs.get(0);
        int firstInSide = first.stride() * (outSide[0] - 1) + first.kernel();

        double channelMasker = channel ? channelMaskerSeconds(g, q.channelGroups(), n) : 0;
        double separateMasker = spatialMaskerSeconds(g, m, n) + channelMasker;
        double scatter = scatterAddSeconds(g.outChannels(), g.outHeight(), g.outWidth(), side, patches, n);
        double down = downsampleSeconds(g, n);

        // convolutions after the first one: on compact buffers, shared by every schedule
        double[] later = new double[3];
        for (int i = 1; i < count; i++) {
            later[i] = search(patchedKernel(g, convs, i, n, dc, groupChannels, outSide[i], patches, true))
                    .totalSeconds();
        }

        // schedule 1: gathered
        double gather = gatherSeconds(g.inChannels(), g.inHeight(), g.inWidth(), firstInSide, patches, n);
        double[] t = later.clone();
        t[0] = search(patchedKernel(g, convs, 0, n, dc, groupChannels, outSide[0], patches, true)).totalSeconds();
        LatencyBreakdown best = ms(separateMasker, gather, t, scatter, down);

        // schedule 2: conv1 reads the input in place
        t = later.clone();
        t[0] = search(patchedKernel(g, convs, 0, n, dc, groupChannels, outSide[0], patches, false)).totalSeconds();
        best = faster(best, ms(separateMasker, 0, t, scatter, down));

        // schedule 3: masker fused into a dense stride-1 1x1 conv1 as 2 extra outputs
        if (!channel && count == 3 && first.kernel() == 1 && first.stride() == 1) {
            ConvShape fused = first.withOutChannels(first.outChannels() + 2);
            t = later.clone();
            t[0] = searchConv(fused, n).totalSeconds();
            t[1] = search(patchedKernel(g, convs, 1, n, dc, groupChannels, outSide[1], patches, false))
                    .totalSeconds();
            double pool = m == first.outHeight() && m == first.outWidth()
                    ? 0
                    : poolSeconds(new PoolShape(2, first.outHeight(), first.outWidth(), m, m), n);
            best = faster(best, ms(pool, 0, t, scatter, down));
        }
        return best;
    }

    private static ConvKernel patchedKernel(BlockGeometry g, List<ConvShape> convs, int i, int batch, double dc,
            int groupChannels, int outSide, long patches, boolean gathered) {
        double[] f = channelFactors(g, i, dc);
        int gs = i == convs.size() - 1 ? 0 : groupChannels;
        return new ConvKernel(convs.get(i), batch, f[0], f[1], gs, outSide, patches, gathered);
    }

    private static LatencyBreakdown faster(LatencyBreakdown a, LatencyBreakdown b) {
        return b.totalMs() < a.totalMs() ? b : a;
    }

    private static LatencyBreakdown ms(double masker, double gather, double[] convs, double scatter,
            double downsample) {
        return LatencyBreakdown.of(masker * 1e3, gather * 1e3, convs[0] * 1e3, convs[1] * 1e3, convs[2] * 1e3,
                scatter * 1e3, downsample * 1e3);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
