package org.laudnet.core.block;

import java.util.Locale;

/**
 * How a channel gate's granularity is given: as this project's number of groups {@code G} (the channel mask has
 * {@code G} entries, group {@code q} covering {@code w / G} contiguous channels), or as the reference
 * implementation's {@code channel_dyn_granularity}, the channels per group {@code K} ({@code G = w / K}). Both name
 * the same partition once the block width {@code w} is known; {@link GateSpec} stores {@code G}.
 *
 * <p>Text forms ({@link #parse}): {@code G} or {@code groups=G} for groups, {@code cpg=K} or
 * {@code channels-per-group=K} for channels per group.
 *
 * @param kind which quantity {@code value} is
 * @param value {@code G} or {@code K}, positive
 */
public record ChannelGranularity(Kind kind, int value) {

    /** Which quantity a {@link ChannelGranularity} gives. */
    public enum Kind {
        /** The number of groups {@code G} (this project's spelling). */
        GROUPS,
        /** Channels per group {@code K} (the reference's {@code channel_dyn_granularity}). */
        CHANNELS_PER_GROUP
    }

    /** Validates the fields. */
    public ChannelGranularity {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (value <= 0) {
            throw new IllegalArgumentException(
                    (kind == Kind.GROUPS ? "channel groups" : "channels per group") + " must be positive, got "
                            + value);
        }
    }

    /**
     * Parses {@code G}, {@code groups=G}, {@code cpg=K} or {@code channels-per-group=K}.
     *
     * @param text the text
     * @return the granularity
     * @throws IllegalArgumentException naming the text when it is none of these
     */
    public static ChannelGranularity parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        int eq = t.indexOf('=');
        String key = eq < 0 ? "groups" : t.substring(0, eq);
        String number = eq < 0 ? t : t.substring(eq + 1);
        Kind kind = switch (key) {
            case "groups", "g" -> Kind.GROUPS;
            case "cpg", "channels-per-group" -> Kind.CHANNELS_PER_GROUP;
            default -> throw new IllegalArgumentException("channel granularity '" + text
                    + "' must be G, groups=G, cpg=K or channels-per-group=K");
        };
        try {
            return new ChannelGranularity(kind, Integer.parseInt(number));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("channel granularity '" + text
                    + "' must be G, groups=G, cpg=K or channels-per-group=K", e);
        }
    }

    /**
     * Returns the number of groups {@code G} for a block of width {@code w}.
     *
     * @param width the block width {@code w}, positive
     * @return {@code G}
     * @throws IllegalArgumentException if the value does not divide the width
     */
    public int groups(int width) {
        if (width <= 0) {
            throw new IllegalArgumentException("width must be positive, got " + width);
        }
        if (width % value != 0) {
            throw new IllegalArgumentException((kind == Kind.GROUPS ? "channel groups " : "channels per group ")
                    + value + " must divide the stage width " + width);
        }
        return kind == Kind.GROUPS ? value : width / value;
    }
}
