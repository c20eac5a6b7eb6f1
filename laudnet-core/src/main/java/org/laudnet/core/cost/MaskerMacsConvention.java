package org.laudnet.core.cost;

/**
 * How the multiply-accumulates of a gate's masker are counted (method section 3, "maskers: pooling reads + their
 * conv/linear MACs").
 *
 * <p>Spatial masker on an input {@code (Cin, H, W)} with an {@code m x m} mask and {@code gs} mask groups:
 *
 * <pre>
 *   PHYSICAL  = Cin H W [pooled only, i.e. m &lt; H]  +  2 gs Cin m^2
 *   REFERENCE = Cin m^2                             +  (2 gs Cin + Cin) m^2
 * </pre>
 *
 * The average pool reads (adds) every input value once, and the 1x1 convolution performs {@code 2 gs Cin} MACs per
 * mask cell; {@link #PHYSICAL} counts exactly that. The reference implementation counts the pool by its
 * <em>output</em> size and adds {@code Cin} per cell for the bias (whose true cost is {@code 2 gs} additions). For the
 * layer gate ({@code m = 1}) on a ResNet-50 the totals differ by two orders of magnitude, so {@link #REFERENCE} exists
 * only to compare with numbers from the reference code or the paper.
 *
 * <p>Channel maskers ({@code G} groups, hidden width {@code h}): MLP-1 and MLP-2 are counted alike by both conventions
 * ({@code Cin H W} pool reads plus the linear layers' weights). The conv-linear masker (1x1 convolution
 * {@code Cin -> h}, BN, ReLU, pool, linear {@code h -> 2G}):
 *
 * <pre>
 *   PHYSICAL  = Cin h H W + h H W + 2 G h          (the 1x1 convolution runs at every pixel)
 *   REFERENCE = h H W + Cin h + 2 G h              (the reference counts the convolution once)
 * </pre>
 *
 * <p>Immutable; thread-safe.
 */
public enum MaskerMacsConvention {
    /** What the masker computes: every pooled input read once, convolutions at every position they run at. */
    PHYSICAL,
    /** The count of the reference implementation, for comparisons with its published numbers. */
    REFERENCE
}
