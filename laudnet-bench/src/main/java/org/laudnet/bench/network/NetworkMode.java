package org.laudnet.bench.network;

import java.util.Locale;
import org.laudnet.core.block.GateSpec;

/**
 * The gate configurations {@code bench network} times: the static network and the four LAUDNet modes with the
 * per-stage granularities of the method notes (spatial S = 4-4-2-1 for the four stages, channel G = 4). Immutable.
 */
public enum NetworkMode {
    /** A layer gate on every bottleneck. */
    LAYER,
    /** A channel gate of 4 groups on every bottleneck. */
    CHANNEL,
    /** A spatial gate with S = 4, 4, 2, 1 per stage. */
    SPATIAL,
    /** Spatial S = 4, 4, 2, 1 and channel G = 4 together. */
    BOTH;

    /** Spatial granularity per stage. */
    static final int[] SPATIAL_S = {4, 4, 2, 1};
    /** Channel groups. */
    static final int GROUPS = 4;

    /** Returns the command-line name (lower case). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a command-line name.
     *
     * @param name layer, channel, spatial or both (case-insensitive)
     * @return the mode
     * @throws IllegalArgumentException naming the value for anything else
     */
    public static NetworkMode parse(String name) {
        for (NetworkMode m : values()) {
            if (m.id().equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("--modes must list layer, channel, spatial or both, got '" + name + "'");
    }

    /** Returns the gate of each of the four stages. */
    GateSpec[] stageGates() {
        GateSpec[] g = new GateSpec[SPATIAL_S.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = switch (this) {
                case LAYER -> GateSpec.layer();
                case CHANNEL -> GateSpec.channel(GROUPS);
                case SPATIAL -> GateSpec.spatial(SPATIAL_S[i]);
                case BOTH -> GateSpec.both(SPATIAL_S[i], GROUPS);
            };
        }
        return g;
    }

    /** Returns a short description of the per-stage gates. */
    String describe() {
        return switch (this) {
            case LAYER -> "layer";
            case CHANNEL -> "channel G=4";
            case SPATIAL -> "spatial S=4-4-2-1";
            case BOTH -> "spatial S=4-4-2-1 + channel G=4";
        };
    }
}
