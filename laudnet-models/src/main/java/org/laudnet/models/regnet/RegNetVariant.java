package org.laudnet.models.regnet;

import java.util.List;

/**
 * The RegNetY models of the LAUDNet paper (Radosavovic et al., "Designing Network Design Spaces", 2020), as
 * torchvision's {@code regnet_y_400mf} and {@code regnet_y_800mf} define them: blocks per stage, stage widths and the
 * group width of the grouped 3x3 convolutions. Every stage strides by 2 in its first block, the bottleneck ratio is 1
 * ({@code w = Cout}) and the squeeze-excitation ratio is 0.25 of the block input channels.
 *
 * <p>The stage tables follow from the quantized linear width rule of the paper with torchvision's parameters
 * (400MF: depth 16, {@code w0 = 48}, {@code wa = 27.89}, {@code wm = 2.09}, group width 8; 800MF: depth 14,
 * {@code w0 = 56}, {@code wa = 38.84}, {@code wm = 2.4}, group width 16), including the final adjustment of each width
 * to a multiple of the group width. For 800MF this gives widths 64, 144, 320, 784 (not 128 and 768).
 */
public enum RegNetVariant {
    /** RegNetY-400MF: 1-3-6-6 blocks, widths 48-104-208-440, group width 8 (about 0.40 GMACs at 224). */
    Y_400MF(List.of(1, 3, 6, 6), List.of(48, 104, 208, 440), 8),
    /** RegNetY-800MF: 1-3-8-2 blocks, widths 64-144-320-784, group width 16 (about 0.80 GMACs at 224). */
    Y_800MF(List.of(1, 3, 8, 2), List.of(64, 144, 320, 784), 16);

    /** Output channels of the RegNet stem (3x3 stride-2 convolution). */
    public static final int STEM_WIDTH = 32;

    /** Squeeze-excitation ratio of RegNetY, relative to the block input channels. */
    public static final double SE_RATIO = 0.25;

    private final List<Integer> depths;
    private final List<Integer> widths;
    private final int groupWidth;

    RegNetVariant(List<Integer> depths, List<Integer> widths, int groupWidth) {
        this.depths = depths;
        this.widths = widths;
        this.groupWidth = groupWidth;
    }

    /** Returns the number of blocks of each of the four stages. */
    public List<Integer> depths() {
        return depths;
    }

    /** Returns the output width of each of the four stages. */
    public List<Integer> widths() {
        return widths;
    }

    /** Returns the group width of the grouped 3x3 convolutions. */
    public int groupWidth() {
        return groupWidth;
    }
}
