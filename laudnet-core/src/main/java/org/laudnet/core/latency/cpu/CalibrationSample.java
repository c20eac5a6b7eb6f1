package org.laudnet.core.latency.cpu;

import java.util.Locale;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;

/**
 * One timing of the calibration: a term, its work features, the median time, the input elements of the maskers
 * evaluated within that time (a path timed as an inference call runs its block's maskers first), so that the fit can
 * subtract the masker terms' prediction from the path's time, and the block configuration timed (for the samples
 * file). Immutable.
 *
 * @param term the term timed
 * @param features the values of {@code term.features()}
 * @param millis the median time in ms (for a masker term: the maskers' cost, a difference of two medians, {@code >= 0})
 * @param spatialMaskerInput {@code B Cin Hin Win} when the spatial (or layer) masker ran within the time, else 0
 * @param channelMaskerInput {@code B Cin Hin Win} when the channel masker ran within the time, else 0
 * @param query the block configuration timed at its realised densities; null for the operator timings
 */
record CalibrationSample(CpuTerm term, double[] features, double millis, double spatialMaskerInput,
        double channelMaskerInput, BlockLatencyQuery query) {

    /** Copies the features. */
    CalibrationSample {
        features = features.clone();
    }

    /** A sample without a block configuration. */
    CalibrationSample(CpuTerm term, double[] features, double millis, double spatialMaskerInput,
            double channelMaskerInput) {
        this(term, features, millis, spatialMaskerInput, channelMaskerInput, null);
    }

    /** A sample without maskers and block configuration (an operator timing). */
    static CalibrationSample of(CpuTerm term, double[] features, double millis) {
        return new CalibrationSample(term, features, millis, 0, 0, null);
    }

    /** {@inheritDoc} */
    @Override
    public double[] features() {
        return features.clone();
    }

    /**
     * Describes the configuration in one line without commas, e.g. {@code bottleneck cin=256 w=64 cout=256 h=56
     * stride=1 groups=1 mode=SPATIAL S=4 G=1 B=1 rho=0.2500 dc=1.0000}; empty for an operator timing.
     *
     * @return the description
     */
    String configuration() {
        if (query == null) {
            return "";
        }
        BlockGeometry g = query.geometry();
        return String.format(Locale.ROOT, "%s cin=%d w=%d cout=%d h=%d stride=%d groups=%d mode=%s S=%d G=%d B=%d"
                + " rho=%.4f dc=%.4f", g.type() == BlockType.BASIC ? "basic" : "bottleneck", g.inChannels(),
                g.width(), g.outChannels(), g.inHeight(), g.stride(), g.convGroups(), query.mode(),
                query.spatialGranularity(), query.channelGroups(), query.batchSize(), query.density(),
                query.channelDensity());
    }
}
