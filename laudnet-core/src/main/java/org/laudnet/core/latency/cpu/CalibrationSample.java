package org.laudnet.core.latency.cpu;

/**
 * One timing of the calibration: a term, its work features, the median time, and the input elements of the maskers
 * evaluated within that time (a path timed as an inference call runs its block's maskers first), so that the fit can
 * subtract the masker terms' prediction from the path's time. Immutable.
 *
 * @param term the term timed
 * @param features the values of {@code term.features()}
 * @param millis the median time in ms (for a masker term: the maskers' cost, a difference of two medians, {@code >= 0})
 * @param spatialMaskerInput {@code B Cin Hin Win} when the spatial (or layer) masker ran within the time, else 0
 * @param channelMaskerInput {@code B Cin Hin Win} when the channel masker ran within the time, else 0
 */
record CalibrationSample(CpuTerm term, double[] features, double millis, double spatialMaskerInput,
        double channelMaskerInput) {

    /** Copies the features. */
    CalibrationSample {
        features = features.clone();
    }

    /** A sample without maskers. */
    static CalibrationSample of(CpuTerm term, double[] features, double millis) {
        return new CalibrationSample(term, features, millis, 0, 0);
    }

    /** {@inheritDoc} */
    @Override
    public double[] features() {
        return features.clone();
    }
}
