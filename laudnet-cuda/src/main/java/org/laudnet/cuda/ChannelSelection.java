package org.laudnet.cuda;

/**
 * The channels kept by a channel gate (method section 1, "Channel gate"): the width {@code w} is split into {@code G}
 * contiguous groups of {@code w / G} channels and channel {@code k} belongs to group {@code floor(k / (w / G))}.
 *
 * <p>The kept channel list (ascending) indexes the weight slices that the weight-gather kernel builds: conv1's output
 * filters {@code W1[idx, :]}, conv2's output and input channels {@code W2[idx, idx, :, :]}, conv3's input channels
 * {@code W3[:, idx]}.
 */
public final class ChannelSelection {

    private final int width;
    private final int groups;
    private final int[] channels;

    private ChannelSelection(int width, int groups, int[] channels) {
        this.width = width;
        this.groups = groups;
        this.channels = channels;
    }

    /**
     * Expands a group mask into channel indices.
     *
     * @param groupMask {@code (G)}, non-zero = keep the group
     * @param width {@code w}, divisible by {@code G}
     * @return the selection
     */
    public static ChannelSelection fromGroupMask(int[] groupMask, int width) {
        if (groupMask == null || groupMask.length == 0) {
            throw new IllegalArgumentException("groupMask must have at least one entry, got "
                    + (groupMask == null ? "null" : "length 0"));
        }
        if (width <= 0 || width % groupMask.length != 0) {
            throw new IllegalArgumentException(
                    "width must be positive and divisible by G = " + groupMask.length + ", got " + width);
        }
        int per = width / groupMask.length;
        int kept = 0;
        for (int g : groupMask) {
            if (g != 0) {
                kept++;
            }
        }
        int[] idx = new int[kept * per];
        int n = 0;
        for (int g = 0; g < groupMask.length; g++) {
            if (groupMask[g] != 0) {
                for (int c = 0; c < per; c++) {
                    idx[n++] = g * per + c;
                }
            }
        }
        return new ChannelSelection(width, groupMask.length, idx);
    }

    /** Returns {@code w}. */
    public int width() {
        return width;
    }

    /** Returns {@code G}. */
    public int groups() {
        return groups;
    }

    /** Returns the number of kept channels. */
    public int count() {
        return channels.length;
    }

    /** Returns a copy of the kept channel indices (ascending). */
    public int[] channels() {
        return channels.clone();
    }

    /** Returns the channel density {@code dc = count / w}. */
    public double density() {
        return channels.length / (double) width;
    }

    /**
     * Launch of the weight-gather kernel producing an {@code (nOut, nIn, kk)} slice.
     *
     * @param nOut gathered output channels
     * @param nIn gathered input channels
     * @param kk kernel area {@code kh kw}
     * @return an element-wise launch over {@code nOut nIn kk} elements
     */
    public static LaunchConfig weightGatherLaunch(int nOut, int nIn, int kk) {
        if (nOut < 0 || nIn <= 0 || kk <= 0) {
            throw new IllegalArgumentException(
                    "nOut must be non-negative and nIn, kk positive, got " + nOut + ", " + nIn + ", " + kk);
        }
        return LaunchConfig.elementwise((long) nOut * nIn * kk);
    }
}
